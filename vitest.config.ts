import { defineConfig } from 'vitest/config';

// Two projects: every test runs on PGlite; tests that touch data (*.test.ts but
// not *.unit.test.ts) run again on real PostgreSQL when FINHUB_TEST_POSTGRES_URL
// is set. scripts/test.mjs decides which projects run.
const postgres = process.env.FINHUB_TEST_POSTGRES_URL;
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true as const,
        test: { name: 'pglite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], env: { FINHUB_TEST_ENGINE: 'pglite' } },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
                exclude: ['**/*.unit.test.ts', '**/node_modules/**'],
                env: { FINHUB_TEST_ENGINE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
