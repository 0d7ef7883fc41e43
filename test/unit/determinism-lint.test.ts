/**
 * The determinism line in eslint.config.mjs: code under src/workflows and src/common (which workflow
 * code imports) may not import Node built-ins, the AWS SDK, the I/O parts of the Temporal SDK or the
 * activity implementations; `import type` stays legal, and src/activities may import all of these.
 * And the client line: the client, what it loads, the command line and the codec load no worker code
 * (the worker and activity packages, the AWS SDK, src/worker, src/activities, the workflows).
 * And nothing under src/ loads tests, benchmarks or scripts (test hooks are handed in).
 *
 * Why a child process: ESLint loads eslint.config.mjs with a dynamic `import()`. Inside Jest's module
 * sandbox that fails ("A dynamic import callback was invoked without --experimental-vm-modules"), and
 * loading the .mjs ourselves to pass it as `overrideConfig` (with `overrideConfigFile: true`) fails too,
 * because Jest also intercepts `require` of ES modules (even via createRequire/process.getBuiltinModule).
 * So the linting runs in a plain Node process, exactly as `npx eslint` would: `new ESLint({ cwd })`
 * finds the project's flat config itself, and `lintText` lints each fixture under a path that need not
 * exist. All fixtures go through one process, started once.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const PROJECT_ROOT = join(__dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

interface Fixture {
  filePath: string;
  code: string;
}

interface LintOutcome {
  fatalErrorCount: number;
  messages: { ruleId: string | null; severity: number; message: string; fatal?: boolean }[];
}

/** Runs in a plain Node process with the project root as cwd: stdin is Fixture[], stdout is { configFile, outcomes }. */
const LINT_SCRIPT = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  try {
    const eslint = new ESLint({ cwd: process.cwd() });
    const configFile = await eslint.findConfigFile();
    const outcomes = [];
    for (const { filePath, code } of JSON.parse(input)) {
      const [result] = await eslint.lintText(code, { filePath });
      outcomes.push({
        fatalErrorCount: result.fatalErrorCount,
        messages: result.messages.map(({ ruleId, severity, message, fatal }) => ({ ruleId, severity, message, fatal })),
      });
    }
    process.stdout.write(JSON.stringify({ configFile, outcomes }));
  } catch (error) {
    process.stderr.write(String(error && error.stack ? error.stack : error));
    process.exitCode = 1;
  }
});
`;

const NODE_BUILTIN = 'must not use Node built-ins';
const IO_PACKAGE = 'Only @temporalio/workflow and @temporalio/common belong in workflow code';
const ACTIVITY_CODE = 'Workflow code may import only the types of activities';

/** Imports the sandbox refuses, each used as a value so no other rule rewrites them. */
const RESTRICTED: [string, string][] = [
  ["import { readFileSync } from 'fs';\nexport const used = [readFileSync];\n", NODE_BUILTIN],
  ["import * as crypto from 'node:crypto';\nexport const used = [crypto];\n", NODE_BUILTIN],
  ["import { Client } from '@temporalio/client';\nexport const used = [Client];\n", IO_PACKAGE],
  ["import { Worker } from '@temporalio/worker';\nexport const used = [Worker];\n", IO_PACKAGE],
  ["import { EC2Client } from '@aws-sdk/client-ec2';\nexport const used = [EC2Client];\n", IO_PACKAGE],
  ["import { createActivities } from '../activities';\nexport const used = [createActivities];\n", ACTIVITY_CODE],
  ["import { awsSettings } from '../worker/settings';\nexport const used = [awsSettings];\n", ACTIVITY_CODE],
];

/** Imports workflow code may use. */
const ALLOWED: string[] = [
  "import type { Activities } from '../activities';\nexport type Used = Activities;\n",
  "import { sleep } from '@temporalio/workflow';\nexport const used = [sleep];\n",
  "import { ApplicationFailure } from '@temporalio/common';\nexport const used = [ApplicationFailure];\n",
  "import type { EC2Client } from '@aws-sdk/client-ec2';\nexport type Used = EC2Client;\n",
  "import { formatDuration } from '../common/durations';\nexport const used = [formatDuration];\n",
];

const SANDBOXED_FILES = ['src/workflows/lint-fixture.ts', 'src/common/lint-fixture.ts'];
const ACTIVITY_FILE = 'src/activities/lint-fixture.ts';

const WORKER_PACKAGE = 'The client side must not load the worker, the activity package or the AWS SDK';
const WORKER_CODE = 'The client side may import only the types of the worker, the activities and the workflows';

/** Imports that would make the built client load worker code. */
const CLIENT_RESTRICTED: [string, string][] = [
  ["import { Worker } from '@temporalio/worker';\nexport const used = [Worker];\n", WORKER_PACKAGE],
  ["import { Context } from '@temporalio/activity';\nexport const used = [Context];\n", WORKER_PACKAGE],
  ["import { EC2Client } from '@aws-sdk/client-ec2';\nexport const used = [EC2Client];\n", WORKER_PACKAGE],
  ["import { awsSettings } from '../worker/settings';\nexport const used = [awsSettings];\n", WORKER_CODE],
  ["import { parseDuration } from './worker';\nexport const used = [parseDuration];\n", WORKER_CODE],
  ["import { DEFAULT_EC2_BUDGET } from '../activities/ec2-budget';\nexport const used = [DEFAULT_EC2_BUDGET];\n", WORKER_CODE],
  ["import { provisionInstance } from '../workflows';\nexport const used = [provisionInstance];\n", WORKER_CODE],
];

/** Imports the client side may use. */
const CLIENT_ALLOWED: string[] = [
  "import { Client } from '@temporalio/client';\nexport const used = [Client];\n",
  "import { randomUUID } from 'node:crypto';\nexport const used = [randomUUID];\n",
  "import type { NativeConnectionOptions } from '@temporalio/worker';\nexport type Used = NativeConnectionOptions;\n",
  "import type { provisionInstance } from '../workflows';\nexport type Used = typeof provisionInstance;\n",
  "import { temporalSettings } from '../config';\nexport const used = [temporalSettings];\n",
];

const CLIENT_FILES = ['src/client.ts', 'src/config.ts', 'src/cli/lint-fixture.ts', 'src/codec/lint-fixture.ts'];

const TEST_CODE = 'Code under src/ must not import tests, benchmarks or scripts';

/** Imports no production module may use, wherever it is. */
const PRODUCTION_RESTRICTED: string[] = [
  "import { main } from '../test/support/test-worker';\nexport const used = [main];\n",
  "import { startStack } from '../../scripts/local-stack';\nexport const used = [startStack];\n",
  "import type { CrashPoint } from '../test/support/test-worker';\nexport type Used = CrashPoint;\n",
];

const PRODUCTION_FILES = ['src/worker.ts', ACTIVITY_FILE, 'src/worker/lint-fixture.ts', 'src/common/lint-fixture.ts', 'src/cli/lint-fixture.ts'];

const fixtures: Fixture[] = [
  ...SANDBOXED_FILES.flatMap((filePath) => [...RESTRICTED.map(([code]) => code), ...ALLOWED].map((code) => ({ filePath, code }))),
  ...RESTRICTED.map(([code]) => ({ filePath: ACTIVITY_FILE, code })),
  ...CLIENT_FILES.flatMap((filePath) => [...CLIENT_RESTRICTED.map(([code]) => code), ...CLIENT_ALLOWED].map((code) => ({ filePath, code }))),
  ...PRODUCTION_FILES.flatMap((filePath) => PRODUCTION_RESTRICTED.map((code) => ({ filePath, code }))),
];

let configFile: string | undefined;
const outcomes = new Map<string, LintOutcome>();

function outcomeOf(filePath: string, code: string): LintOutcome {
  const outcome = outcomes.get(`${filePath}\n${code}`);
  if (!outcome) throw new Error(`no lint outcome for ${filePath}: ${code}`);
  return outcome;
}

function restrictedImportErrors(outcome: LintOutcome): LintOutcome['messages'] {
  return outcome.messages.filter((m) => m.ruleId === RULE);
}

beforeAll(() => {
  const stdout = execFileSync(process.execPath, ['-e', LINT_SCRIPT], {
    cwd: PROJECT_ROOT,
    input: JSON.stringify(fixtures),
    encoding: 'utf8',
    timeout: 60_000,
  });
  const answer = JSON.parse(stdout) as { configFile?: string; outcomes: LintOutcome[] };
  configFile = answer.configFile;
  fixtures.forEach(({ filePath, code }, index) => {
    const outcome = answer.outcomes[index];
    if (outcome) outcomes.set(`${filePath}\n${code}`, outcome);
  });
}, 60_000);

it("lints with the project's eslint.config.mjs", () => {
  expect(configFile).toBe(join(PROJECT_ROOT, 'eslint.config.mjs'));
});

describe.each(SANDBOXED_FILES)('in %s', (filePath) => {
  it.each(RESTRICTED)('refuses %j', (code, message) => {
    const outcome = outcomeOf(filePath, code);

    expect(outcome.fatalErrorCount).toBe(0);
    expect(restrictedImportErrors(outcome)).toEqual([expect.objectContaining({ severity: 2, message: expect.stringContaining(message) })]);
  });

  it.each(ALLOWED)('allows %j', (code) => {
    const outcome = outcomeOf(filePath, code);

    expect(outcome.fatalErrorCount).toBe(0);
    expect(restrictedImportErrors(outcome)).toEqual([]);
  });
});

describe(`in ${ACTIVITY_FILE}`, () => {
  it.each(RESTRICTED)('allows %j', (code) => {
    const outcome = outcomeOf(ACTIVITY_FILE, code);

    expect(outcome.fatalErrorCount).toBe(0);
    expect(restrictedImportErrors(outcome)).toEqual([]);
  });
});

describe.each(CLIENT_FILES)('on the client side, in %s', (filePath) => {
  it.each(CLIENT_RESTRICTED)('refuses %j', (code, message) => {
    const outcome = outcomeOf(filePath, code);

    expect(outcome.fatalErrorCount).toBe(0);
    expect(restrictedImportErrors(outcome)).toEqual([expect.objectContaining({ severity: 2, message: expect.stringContaining(message) })]);
  });

  it.each(CLIENT_ALLOWED)('allows %j', (code) => {
    const outcome = outcomeOf(filePath, code);

    expect(outcome.fatalErrorCount).toBe(0);
    expect(restrictedImportErrors(outcome)).toEqual([]);
  });
});

describe.each(PRODUCTION_FILES)('in production code, %s', (filePath) => {
  it.each(PRODUCTION_RESTRICTED)('refuses %j', (code) => {
    const outcome = outcomeOf(filePath, code);

    expect(outcome.fatalErrorCount).toBe(0);
    expect(restrictedImportErrors(outcome)).toEqual([expect.objectContaining({ severity: 2, message: expect.stringContaining(TEST_CODE) })]);
  });
});
