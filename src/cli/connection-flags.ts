/**
 * The global connection flags. Each one names a variable of Temporal's environment configuration
 * (@temporalio/envconfig) and, when given, replaces it before anything reads the environment, so
 * temporalSettings() (src/config.ts) stays the one place that turns settings into a connection, and
 * a flag always wins over the environment and the profile file alike.
 */
import { type Command, Option } from 'commander';

/** Flag (as the `temporal` CLI spells it) -> the variable it overrides. */
export const CONNECTION_FLAGS = [
  { flag: '--address <host:port>', env: 'TEMPORAL_ADDRESS', help: 'Temporal frontend address' },
  { flag: '--namespace <name>', env: 'TEMPORAL_NAMESPACE', help: 'Temporal namespace' },
  { flag: '--api-key <key>', env: 'TEMPORAL_API_KEY', help: 'API key (Temporal Cloud); implies TLS' },
  { flag: '--tls', env: 'TEMPORAL_TLS', help: 'connect with TLS' },
  { flag: '--tls-cert-path <file>', env: 'TEMPORAL_TLS_CLIENT_CERT_PATH', help: 'client certificate for mTLS' },
  { flag: '--tls-key-path <file>', env: 'TEMPORAL_TLS_CLIENT_KEY_PATH', help: 'client key for mTLS' },
  { flag: '--tls-ca-path <file>', env: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', help: 'server CA certificate' },
  { flag: '--tls-server-name <name>', env: 'TEMPORAL_TLS_SERVER_NAME', help: 'server name to verify' },
  { flag: '--profile <name>', env: 'TEMPORAL_PROFILE', help: 'profile of the Temporal config file' },
  { flag: '--config-file <file>', env: 'TEMPORAL_CONFIG_FILE', help: 'Temporal config file (TOML)' },
  { flag: '--task-queue <name>', env: 'STAGELY_TASK_QUEUE', help: "the worker's task queue" },
  { flag: '--web-ui <url>', env: 'STAGELY_WEB_UI', help: 'Temporal Web UI base URL, for run links (e.g. http://localhost:8233)' },
] as const;

export function addConnectionFlags(program: Command): Command {
  for (const { flag, env, help } of CONNECTION_FLAGS) program.addOption(new Option(flag, `${help} (overrides ${env})`));
  return program;
}

/** Writes the flags that were given over their variables in env; the rest of env stays as it is. */
export function applyConnectionFlags(options: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): void {
  for (const { flag, env: name } of CONNECTION_FLAGS) {
    const key = optionKey(flag);
    const value = options[key];
    if (value === undefined) continue;
    env[name] = value === true ? 'true' : String(value);
  }
}

function optionKey(flag: string): string {
  const long = flag.split(' ')[0]?.replace(/^--/, '') ?? '';
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
