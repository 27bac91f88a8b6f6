#!/usr/bin/env node
// `npm test`: the whole suite on PGlite, and again on real PostgreSQL when
// FINHUB_TEST_POSTGRES_URL points at a server (CI sets it; without it one line
// says the PostgreSQL pass was skipped and how to enable it). Ends with a plain
// "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const url = process.env.FINHUB_TEST_POSTGRES_URL;
const required = process.env.FINHUB_TEST_REQUIRE_POSTGRES === '1' || process.env.CI === 'true';
const extra = process.argv.slice(2);

if (url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    console.error(`FAIL: FINHUB_TEST_POSTGRES_URL is set but PostgreSQL is unreachable (${e.message}).`);
    process.exit(1);
  } finally {
    await client.end().catch(() => {});
  }
} else if (required) {
  console.error('FAIL: CI needs the PostgreSQL pass: set FINHUB_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB.');
  process.exit(1);
} else {
  console.log('NOTE: PostgreSQL pass not configured — running on PGlite only. Set FINHUB_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run every data test on PostgreSQL too.');
}

const outDir = join(process.cwd(), '.tmp');
mkdirSync(outDir, { recursive: true });
const report = join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
const r = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  { stdio: 'inherit', env: process.env },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed = j.numPassedTests;
  failed = j.numFailedTests;
  skipped = j.numPendingTests + j.numTodoTests;
  const suitesFailed = j.numFailedTestSuites;
  if (suitesFailed > 0 && failed === 0) failed = suitesFailed;
} catch {
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
