import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'coverage/', 'bench/results/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Money must never pass through a float: parseFloat/Number.parseFloat are banned in source.
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Money is never a float; use src/money.' }],
      'no-restricted-properties': ['error', { object: 'Number', property: 'parseFloat', message: 'Money is never a float; use src/money.' }, { object: 'Math', property: 'round', message: 'Use bigint arithmetic from src/money (Math.round is float rounding).' }],
    },
  },
  {
    files: ['bench/**', 'scripts/**', 'test/**', '**/*.test.ts'],
    // Tests read untyped JSON responses; benchmarks compute float statistics (not money).
    rules: { 'no-restricted-properties': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Migrations are written against Kysely<any>: they must not depend on today's schema types.
    files: ['src/db/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
