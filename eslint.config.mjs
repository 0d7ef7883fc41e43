// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Production code (src/) never loads tests, benchmarks or scripts: a test's hook is handed in, as the
 * crash tests hand the activities their pause points (test/support/crash-worker.ts).
 */
const productionCode = {
  group: ['**/test/**', '**/bench/**', '**/scripts/**'],
  message: 'Code under src/ must not import tests, benchmarks or scripts; hand a test hook in instead.',
};

/**
 * The determinism line. Workflow code runs in Temporal's sandbox and is replayed from history, so it
 * and every module it imports (src/common) may not load Node built-ins, the AWS SDK, or the parts of
 * the Temporal SDK that do I/O. `import type` stays legal: types vanish at compile time.
 */
const sandboxRestrictions = {
  paths: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)].map((name) => ({
    name,
    message: 'Workflow code and the modules it imports must not use Node built-ins (non-deterministic, not in the sandbox).',
    allowTypeImports: true,
  })),
  patterns: [
    {
      group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing', '@aws-sdk/*'],
      message: 'Only @temporalio/workflow and @temporalio/common belong in workflow code; do I/O in an activity.',
      allowTypeImports: true,
    },
    {
      group: ['**/activities', '**/activities/**', '../worker', '../client', '../config', '../cli/**'],
      message: 'Workflow code may import only the types of activities and nothing from the worker or client side.',
      allowTypeImports: true,
    },
    productionCode,
  ],
};

/**
 * The client line. A team that embeds the client (lib/client.js) must not load the worker, the
 * activity package or the AWS SDK with it, so the client and what it loads (src/config.ts, the codec,
 * src/common, which the determinism line above already covers), the command line and the codec
 * server import none of them. test/e2e/production-worker.test.ts checks the built client's
 * require.cache.
 */
const clientRestrictions = {
  patterns: [
    {
      group: ['@temporalio/worker', '@temporalio/activity', '@aws-sdk/*', '@smithy/*'],
      message: 'The client side must not load the worker, the activity package or the AWS SDK (import type is fine).',
      allowTypeImports: true,
    },
    {
      group: ['**/activities', '**/activities/**', './worker', '../worker', '**/workflows', '**/workflows/**'],
      message: 'The client side may import only the types of the worker, the activities and the workflows.',
      allowTypeImports: true,
    },
    productionCode,
  ],
};

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', '.venv/**', '.stagely/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  // Later blocks replace this rule's options for their files, so each of them repeats productionCode.
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [productionCode] }],
    },
  },
  {
    files: ['src/client.ts', 'src/config.ts', 'src/provision-conflict.ts', 'src/codec-server.ts', 'src/codec/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', clientRestrictions],
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', sandboxRestrictions],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
