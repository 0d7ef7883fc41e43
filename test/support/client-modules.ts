/**
 * What a fresh Node process loads when it requires the client library, as a team embedding it would:
 * the client must load none of the worker (no @temporalio/worker or /activity, no AWS SDK, none of the
 * worker's, activities' or workflows' files).
 */
import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';

/**
 * Requires `specifier` from `cwd` in a new process and reports every module it loaded (require.cache):
 * the files under `libDir` (relative to it) and the packages.
 */
export function modulesLoadedBy(specifier: string, cwd: string, libDir: string): { files: string[]; packages: string[] } {
  const script = `require(${JSON.stringify(specifier)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' })) as string[];
  return {
    files: loaded.map((file) => relative(libDir, file)).filter((file) => !file.startsWith('..')),
    packages: [...new Set(loaded.flatMap((file) => [...file.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((match) => match[1] ?? '')))],
  };
}

export function expectClientOnly({ files, packages }: { files: string[]; packages: string[] }): void {
  // It did load the client and the packages a client needs: the check looks at the right cache.
  expect(files).toEqual(expect.arrayContaining(['client.js', 'config.js']));
  expect(packages).toEqual(expect.arrayContaining(['@temporalio/client', '@temporalio/envconfig']));
  expect(packages.filter((name) => /^(@temporalio\/(worker|activity)|@aws-sdk\/.*|@smithy\/.*)$/.test(name))).toEqual([]);
  expect(files.filter((file) => /^(worker\.js|worker\/|activities\/|workflows\/)/.test(file))).toEqual([]);
}
