// Lint: type-aware rules where they prevent real bugs, and determinism enforced by tooling in
// src/workflow/ (orchestrators replay, so they must not touch the clock, randomness or I/O).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', 'packages/functions-local-host/test/apps/**', 'test/bench/floor-app/**', '.devhost/**', '.deploy/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain Node scripts (the deployment package's staging step).
    files: ['infra/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['src/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process'], message: 'Orchestrators must be deterministic: no Node built-ins in src/workflow/.' },
            { group: ['@azure/*', '@microsoft/*', '**/store/*', '**/graph/msGraphGateway*', '**/mail/*'], message: 'Orchestrators do no I/O: call an activity instead.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'No I/O in orchestrators.' }, { name: 'setTimeout', message: 'Use context.df.createTimer.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
        { object: 'Math', property: 'random', message: 'Not deterministic on replay.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use context.df.currentUtcDateTime.' }],
    },
  },
);
