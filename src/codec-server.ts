/**
 * `node lib/codec-server.js [flags]`: the codec server as its own entry point, the same as
 * `stagely codec-server [flags]` (src/cli/commands/codec-server.ts holds it).
 */
import { main } from './cli';

main(['codec-server', ...process.argv.slice(2)]).then((code) => process.exit(code));
