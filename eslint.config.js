// ESLint flat config: type-checked typescript-eslint everywhere, plus determinism rules for
// Temporal workflow code (which runs in a sandbox and is replayed from history).
const { defineConfig, globalIgnores } = require('eslint/config');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');

// Workflow code must not do I/O or touch the host: these modules are unavailable in the workflow
// sandbox or would make replays diverge. Activities and clients live outside src/workflows.
const NODE_BUILTINS = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'inspector',
  'module',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'querystring',
  'readline',
  'stream',
  'timers',
  'tls',
  'tty',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];
const WORKFLOW_FORBIDDEN_PACKAGES = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
];

module.exports = defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', '.interlock/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // Files outside tsconfig.json's include (root config files, scripts/) get a default project.
          allowDefaultProject: ['*.js', 'scripts/*.ts', 'bench/*.ts'],
          // Root configs, scripts and benches are a dozen files (the default limit is 8).
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 32,
        },
        tsconfigRootDir: __dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Temporal workflow functions and Nest handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain CommonJS config files (eslint.config.js, jest.config.js).
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The console's browser scripts (served as they are, no build step): plain scripts in the browser.
    files: ['src/api/console/assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        FormData: 'readonly',
        Date: 'readonly',
        JSON: 'readonly',
        console: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts', '**/*.spec.ts'],
    rules: {
      // expect(obj.method) and jest mocks pass methods around unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
      // Jest's asymmetric matchers (expect.any, expect.stringMatching, …) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Workflow code and the pure modules it imports (the workflow sandbox runs them too).
    files: [
      'src/workflows/**/*.ts',
      'src/engine/**/*.ts',
      'src/approvals/messages.ts',
      'src/approvals/validate-approval.ts',
    ],
    rules: {
      // The typescript-eslint variant lets `import type` through: types are erased at compile time.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...WORKFLOW_FORBIDDEN_PACKAGES].map((name) => ({
            name,
            message: 'Workflow code must be deterministic and free of I/O: do this in an activity.',
            allowTypeImports: true,
          })),
          patterns: [
            {
              group: ['node:*'],
              message: 'Node built-ins are unavailable in the workflow sandbox: use an activity.',
              allowTypeImports: true,
            },
            {
              group: [
                '@temporalio/activity/*',
                '@temporalio/client/*',
                '@temporalio/worker/*',
                '@temporalio/testing/*',
              ],
              message: 'Workflow code may only import @temporalio/workflow (and `import type` of activities).',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the workflow-safe uuid4() or pass randomness in as input.',
        },
        {
          object: 'Date',
          property: 'now',
          message: 'Use workflow time explicitly (new Date() is replay-safe in Temporal).',
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setImmediate', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'process', message: 'Workflow code must not read the host environment.' },
        { name: 'fetch', message: 'Workflow code must not do I/O: call an activity.' },
        { name: 'require', message: 'Use static imports of deterministic modules only.' },
      ],
    },
  },
  // Last: turn off stylistic rules that Prettier owns.
  prettier,
);
