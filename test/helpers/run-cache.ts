// Where test/helpers/db.ts keeps what it builds once per vitest run
// (FINHUB_TEST_RUN_ID), and test/helpers/global-setup.ts removes it afterwards.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Per-run directory for the PGlite dumps. */
export function testCacheDir(runId: string): string {
  return join(tmpdir(), `finhub-test-${runId}`);
}

/** Prefix of the run's PostgreSQL template databases. */
export function templatePrefix(runId: string): string {
  return `finhub_tpl_${runId}_`;
}
