/**
 * npm run build [-- out-dir]: compiles src/ to JavaScript and prebuilds the workflow bundle beside it,
 * which the compiled worker loads at start (no bundling in production).
 *
 *   npm run build && npm start
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildWorkflowBundle } from './build-workflow-bundle';
import { PROJECT_ROOT } from '../tools/project-root';

export async function build(outDir: string): Promise<void> {
  // From empty: the package ships all of lib/, so nothing a removed source left there may linger.
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
    stdio: 'inherit',
  });
  await buildWorkflowBundle(join(outDir, 'workflow-bundle.js'));
}

if (require.main === module) {
  const outDir = resolve(process.argv[2] ?? join(PROJECT_ROOT, 'lib'));
  build(outDir).then(
    () => console.log(`Built ${outDir} (start the worker with: node ${join(outDir, 'worker.js')})`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
