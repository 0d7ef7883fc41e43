/** The `stagely` command run as an operator runs it: a child process, from the sources. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../tools/project-root';

const run = promisify(execFile);

export interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `stagely ARGS` with this environment; never throws on a non-zero exit, which it returns as `code`. */
export async function runStagely(args: string[], env: NodeJS.ProcessEnv): Promise<CommandOutcome> {
  try {
    const { stdout, stderr } = await run(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [join(PROJECT_ROOT, 'src', 'cli', 'index.ts'), ...args], { env, cwd: PROJECT_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
