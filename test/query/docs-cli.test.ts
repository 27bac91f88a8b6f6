// The docs' examples run against a test ledger, and `finhub search` gives the
// same rows as the API and the brute-force evaluator.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { parseQuery } from '../../src/query/parser.ts';
import { printQuery } from '../../src/query/printer.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { matches } from './brute.ts';
import { buildLedger, type Fixture } from './fixture.ts';

let t: TestApp;
let f: Fixture;
let headers: Record<string, string>;
const SEED = 31;

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  headers = u.headers;
  f = await buildLedger(t.c, { userId: u.id, isAdmin: false, via: 'cli' }, SEED, 60, new Date().toISOString().slice(0, 10));
});
afterAll(async () => t?.close());

const docQueries = [...readFileSync(new URL('../../docs/query-language.md', import.meta.url), 'utf8').matchAll(/```query\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

describe('docs/query-language.md examples', () => {
  it('has examples', () => expect(docQueries.length).toBeGreaterThanOrEqual(10));

  it.each(docQueries)('%s', async (q) => {
    const root = parseQuery(q).root;
    expect(parseQuery(printQuery(root)).root && printQuery(parseQuery(printQuery(root)).root)).toBe(printQuery(root));
    const r = await t.req({ method: 'GET', url: `/api/v1/ledgers/${f.ledgerId}/transactions?limit=200&q=${encodeURIComponent(q)}`, headers });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const want = f.rows.filter((x) => matches(root, x, new Date())).map((x) => x.id).sort();
    expect(r.body.items.map((x: { id: string }) => x.id).sort()).toEqual(want);
  });
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out, err };
}

describe('finhub search', () => {
  it('prints matching transactions newest first, as JSON lines', async () => {
    const q = 'amount:>20 -is:transfer';
    const r = await cli('search', '--ledger', `query ${SEED}`, '--json', '--limit', '1000', q);
    expect(r.code).toBe(0);
    const got = r.out.map((l) => JSON.parse(l) as { id: string; posted_on: string });
    const want = f.rows.filter((x) => matches(parseQuery(q).root, x, new Date()));
    expect(want.length).toBeGreaterThan(3);
    expect(got.map((x) => x.id).sort()).toEqual(want.map((x) => x.id).sort());
    expect(got.map((x) => x.posted_on)).toEqual([...got.map((x) => x.posted_on)].sort().reverse());
  });

  it('joins positionals into one query and honours --limit', async () => {
    const r = await cli('search', '--ledger', f.ledgerId, '--limit', '3', 'amount:>0', 'OR', 'amount:0');
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(4);
    expect(r.out[3]).toMatch(/^3 transactions \(more match; raise --limit to see them\)$/);
    expect(r.out[0]).toMatch(/^\d{4}-\d{2}-\d{2} {2}/);
  });

  it('says so when nothing matches', async () => {
    const r = await cli('search', '--ledger', f.ledgerId, 'payee:"no such payee anywhere"');
    expect(r).toMatchObject({ code: 0, out: ['no transactions match'] });
  });

  it('points at a query error and exits 2', async () => {
    const r = await cli('search', '--ledger', f.ledgerId, 'payee:x amount:');
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['  payee:x amount:', `  ${' '.repeat(15)}^`, "error: expected a value after 'amount:' at column 16 [QUERY_INVALID]"]);
  });

  it('exits 3 for an unknown ledger and 2 for a bad --limit', async () => {
    expect((await cli('search', '--ledger', 'nope nope', 'x')).code).toBe(3);
    expect((await cli('search', '--ledger', f.ledgerId, '--limit', '0', 'x')).code).toBe(2);
    expect((await cli('search', 'x')).code).toBe(2);
  });
});
