// ESLint: typescript-eslint's type-aware checks for promises and switches, and the import rules that
// keep the layers apart: workflow code stays runnable in the Temporal sandbox, and dependencies point
// one way (cli → temporal, tests → support, never back).
import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node built-ins, bare (`fs`) and prefixed (`node:fs`). */
const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));

/**
 * workflows/ and runbooks/ are bundled into the workflow sandbox: no Node built-ins, no activities,
 * no module that does I/O. `import type` is fine: it is erased before bundling.
 */
const SANDBOX = [
  {
    group: ['node:*', ...NODE_BUILTINS, ...NODE_BUILTINS.map((name) => `${name}/*`)],
    message: 'workflow code runs in the Temporal sandbox: no Node built-ins (import type is fine)',
  },
  {
    group: ['**/activities', '**/activities/**'],
    message: 'workflow code names activities by string and imports their types only (import type)',
  },
  {
    group: [
      '**/transport/**',
      '**/simulator/**',
      '**/worker/**',
      '**/cli/**',
      '**/temporal/**',
      '**/lab/secrets*',
      '**/lab/load*',
      '@temporalio/activity',
      '@temporalio/activity/**',
      '@temporalio/client',
      '@temporalio/client/**',
      '@temporalio/worker',
      '@temporalio/worker/**',
      '@temporalio/testing',
      '@temporalio/envconfig',
      '@kubernetes/client-node',
      'execa',
      'ssh2',
      'get-port',
      'env-paths',
      'selfsigned',
    ],
    message: 'workflow code runs in the Temporal sandbox: no I/O modules (import type is fine)',
  },
];

/** The command line sits on top: nothing below it imports cli/. */
const NO_CLI = {
  group: ['**/cli/**'],
  message: 'cli/ sits on top: give this module its own types and let cli/ map them',
};

/** test/ is for the tests; what product code or the bench shares with them lives in testing/. */
const NO_TEST = { group: ['**/test/**'], message: 'only tests import test/; move shared code to testing/' };

/** testing/ is what the tests and the benchmarks share: the product never imports it. */
const NO_TESTING = {
  group: ['**/testing/**'],
  message: 'testing/ is shared by the tests and the benchmarks only; the product never imports it',
};

/** The simulated lab is for rehearsals and tests, never for the steps themselves. */
const NO_SIMULATOR = {
  group: ['**/simulator/**'],
  message: 'steps reach the lab through transport/, never the simulator',
};

const restrict = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    { patterns: patterns.map((pattern) => ({ ...pattern, allowTypeImports: true })) },
  ],
});

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      '.tools/',
      '.state/',
      'coverage/',
      'test/golden/',
      'test/fixtures/',
      'test/engine/histories/',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      // `import { type X } from 'm'` still loads m at run time (verbatimModuleSyntax): in the sandbox too.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  // No source line over 140 columns, in every folder of source: long messages are broken over lines
  // (`'…' +`), long regular expressions written in parts (test/support/regexp.ts). URLs and imports may
  // run longer. Generated files, vendored files and fixtures are ignored above.
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      'max-len': [
        'error',
        {
          code: 140,
          ignoreUrls: true,
          ignorePattern: '^\\s*(import|export) .* from ',
        },
      ],
    },
  },
  // Dependencies point one way. A later block replaces an earlier one's options for the same rule,
  // so each folder lists all of its restrictions.
  { files: ['**/*.ts', '**/*.js'], ignores: ['test/**'], rules: restrict(NO_TEST) },
  {
    files: ['workflows/**/*.ts', 'runbooks/**/*.ts', 'contract/**/*.ts'],
    rules: restrict(...SANDBOX, NO_TEST, NO_TESTING),
  },
  {
    files: ['testing/engine-runbooks.ts', 'testing/engine-workflows.ts'],
    rules: restrict(...SANDBOX, NO_TEST),
  },
  { files: ['temporal/**/*.ts'], rules: restrict(NO_CLI, NO_TEST, NO_TESTING) },
  { files: ['cli/**/*.ts'], rules: restrict(NO_TEST, NO_TESTING) },
  {
    files: ['activities/**/*.ts', 'transport/**/*.ts', 'lab/**/*.ts', 'render/**/*.ts', 'worker/**/*.ts'],
    rules: restrict(NO_CLI, NO_SIMULATOR, NO_TEST, NO_TESTING),
  },
);
