/**
 * No Docker engine runs where the tests do, so the Dockerfile is read here, enough to keep it in step
 * with the project: the Node.js major of .nvmrc on a Debian slim image, the final stage installing
 * production dependencies only, `npm start`'s command as the container's (exec form, so node is PID 1
 * and gets SIGTERM), a non-root user, and a HEALTHCHECK on the worker's health endpoint.
 * test/e2e/package.test.ts runs what the final stage holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { healthzUrl } from '../../src/healthcheck';
import { PROJECT_ROOT } from '../../tools/project-root';

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage: continuation lines joined, comments dropped. */
function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim());
  const result: Instruction[][] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    result[result.length - 1]?.push(instruction);
  }
  return result;
}

/** The JSON array of an exec-form CMD; undefined for shell form (sh -c would be PID 1, not node). */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

const dockerfile = stages(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
const final = dockerfile[dockerfile.length - 1] ?? [];
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
const nodeMajor = Number(readFileSync(join(PROJECT_ROOT, '.nvmrc'), 'utf8').trim());
const last = (keyword: string): Instruction | undefined => final.filter((i) => i.keyword === keyword).pop();

it('builds in stages on the Debian slim image of the Node.js major in .nvmrc, which engines allows', () => {
  expect(dockerfile.length).toBeGreaterThanOrEqual(2);
  for (const stage of dockerfile) {
    const image = stage[0]?.args.split(/\s+/)[0] ?? '';
    expect(image).toMatch(new RegExp(`^node:${nodeMajor}-[a-z]+-slim$`));
    expect(image).not.toContain('alpine');
  }
  expect(nodeMajor).toBeGreaterThanOrEqual(Number(/^>=(\d+)$/.exec(pkg.engines.node)?.[1]));
});

it('installs only production dependencies in the final stage, from the lock file, without running the build', () => {
  const installs = final.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)).map((i) => i.args);
  expect(installs).toEqual([expect.stringMatching(/^npm ci --omit=dev --ignore-scripts\b/)]);
});

it('starts the worker as npm start does, with node itself as PID 1', () => {
  expect(final.some((i) => i.keyword === 'ENTRYPOINT')).toBe(false);
  const command = execForm(last('CMD')?.args ?? '');
  expect(command).toEqual(pkg.scripts.start?.split(/\s+/));
  expect(command?.[command.length - 1]).toBe('lib/worker.js');
});

it('caps glibc malloc arenas, as the benchmark runs the worker (bench/stack.ts)', () => {
  const env = final.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
  expect(env).toMatch(/\bMALLOC_ARENA_MAX=2\b/);
});

it('runs as a non-root user', () => {
  const user = last('USER')?.args.split(':')[0];
  expect(user).toBeDefined();
  expect(['root', '0']).not.toContain(user);
});

it('checks health with the compiled health check, on the address the worker serves it', () => {
  const healthcheck = last('HEALTHCHECK')?.args ?? '';
  const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 'CMD '.length));
  expect(command).toEqual(['node', 'lib/healthcheck.js']);
  expect(existsSync(join(PROJECT_ROOT, 'src', 'healthcheck.ts'))).toBe(true);

  const address = /STAGELY_HEALTH_ADDRESS=(\S+)/.exec(final.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' '))?.[1] ?? '';
  expect(healthzUrl(address)).toBe(`http://127.0.0.1:${address.split(':').pop()}/healthz`);
  expect(last('EXPOSE')?.args).toBe(address.split(':').pop());
});

it('asks a wildcard address on loopback, and any other address as it is', () => {
  expect(healthzUrl('0.0.0.0:8080')).toBe('http://127.0.0.1:8080/healthz');
  expect(healthzUrl('[::]:8080')).toBe('http://[::1]:8080/healthz');
  expect(healthzUrl('10.0.0.5:9000')).toBe('http://10.0.0.5:9000/healthz');
});
