import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: every test runs on PGlite; tests that touch data (*.test.ts but
// not *.unit.test.ts) run again on real PostgreSQL when FINHUB_TEST_POSTGRES_URL
// is set. scripts/test.mjs decides which projects run.
const postgres = process.env.FINHUB_TEST_POSTGRES_URL;
// Names what test/helpers/db.ts builds once per run (a migrated PGlite dump, a
// PostgreSQL template database); test/helpers/global-setup.ts removes it after.
process.env.FINHUB_TEST_RUN_ID ??= Date.now().toString(36) + randomBytes(3).toString('hex');
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one worker per core but one, which is a single worker on
    // a 2-core CI machine. Test files spend much of their time waiting (for
    // PostgreSQL, child processes, Prometheus), so two run side by side there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/helpers/global-setup.ts'],
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
