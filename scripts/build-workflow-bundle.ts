/**
 * Bundles the workflow code once, so a worker can load it with `workflowBundle` instead of running
 * webpack at every start (and tests bundle once per run, not once per worker).
 *
 *   tsx scripts/build-workflow-bundle.ts [out-file]    (default lib/workflow-bundle.js)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../tools/project-root';

export async function buildWorkflowBundle(outFile: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(PROJECT_ROOT, 'src', 'workflows', 'index.ts'),
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
  });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return outFile;
}

if (require.main === module) {
  const out = process.argv[2] ?? join(PROJECT_ROOT, 'lib', 'workflow-bundle.js');
  buildWorkflowBundle(out).then(
    (file) => console.log(`Workflow bundle written to ${file}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
