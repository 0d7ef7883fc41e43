// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
