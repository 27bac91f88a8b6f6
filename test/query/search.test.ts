// The query-language suite on a real database: every filter, random queries
// from the grammar and the injection cases give exactly the rows the
// brute-force evaluator picks from the same data.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { listTransactions } from '../../src/ledger/transactions.repository.ts';
import { compileQuery } from '../../src/query/compile.ts';
import { QuerySyntaxError } from '../../src/query/errors.ts';
import { parseQuery } from '../../src/query/parser.ts';
import { checkRegexes, ledgerCurrencies, prepareQuery, rareCategories } from '../../src/query/prepare.ts';
import { printQuery } from '../../src/query/printer.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { queryArb, type Pools } from './arbitrary.ts';
import { matches } from './brute.ts';
import { buildLedger, type Fixture } from './fixture.ts';

const NOW = new Date('2024-03-20T10:00:00Z');
let t: TestApp;
let actor: Actor;
let ledgers: Fixture[];

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
  ledgers = [await buildLedger(t.c, actor, 11, 110), await buildLedger(t.c, actor, 12, 60)];
});
afterAll(async () => t?.close());

/**
 * The ids the SQL compiler selects. `category:` has two SQL forms (a test on each row, or,
 * for categories few rows carry, a start from the category's rows): both must select the same.
 */
async function sqlIds(f: Fixture, text: string): Promise<string[]> {
  const k = t.c.db.kysely;
  const q = parseQuery(text);
  const currencies = await ledgerCurrencies(k, f.ledgerId);
  const run = async (rare: Map<string, string[]> | undefined) => {
    const compiled = compileQuery(q, { ledgerId: f.ledgerId, currencies, now: NOW, rareCategories: rare });
    await checkRegexes(k, compiled);
    const rows = await listTransactions(k, f.ledgerId, { where: compiled.where }, undefined, 100_000);
    return rows.map((r) => r.id).sort();
  };
  const perRow = await run(undefined);
  const fromCategory = await run(await rareCategories(k, f.ledgerId, q.root, 1_000_000));
  expect(fromCategory, `${text}: the rare-category form`).toEqual(perRow);
  return perRow;
}

function bruteIds(f: Fixture, text: string): string[] {
  const root = parseQuery(text).root;
  return f.rows.filter((r) => matches(root, r, NOW)).map((r) => r.id).sort();
}

async function same(text: string, f: Fixture = ledgers[0]!) {
  const got = await sqlIds(f, text);
  expect(got, text).toEqual(bruteIds(f, text));
  return got.length;
}

describe('each filter matches the brute-force evaluator', () => {
  const queries = [
    'payee:amazon', 'payee:AMAZON', 'payee:"amazon prime"', 'payee:café', "payee:o'brien", 'payee:\\', 'payee:%', 'payee:_', 'payee:x_y', '-payee:amazon',
    'category:groceries', 'category:"Eating out"', 'category:fun_100%', 'category:none', 'category:"none"', '-category:none', 'category:rent OR category:groceries',
    'account:visa', 'account:%', 'account:_acct', 'account:wallet',
    'amount:50', 'amount:>50', 'amount:>=50', 'amount:<-20', 'amount:<=-50', 'amount:-50', 'amount:+50', 'amount:10..20', 'amount:-20..-10', 'amount:-20..20', 'amount:..1',
    'amount:0', 'amount:12.34', 'amount:0.5', 'amount:>0.005', 'amount:<=0.01', 'amount:200..', 'amount:1234', 'amount:.01',
    'inflow:>50', 'outflow:>50', 'outflow:10..20', 'inflow:0..',
    'date:2024-01', 'date:2024-01..2024-03', 'date:2024-02-29', 'date:2024', 'date:2024-01..', 'date:..2024-03-15', 'date:last-month', 'date:this-month',
    'date:this-year', 'date:last-year', 'date:last-30-days', 'date:today', 'date:yesterday', 'date:this-week',
    'tag:reimbursable', 'tag:work', 'tag:TAX', '-tag:reimbursable',
    'notes:lunch', 'notes:50%', 'notes:a_b', 'notes:\\', "notes:\"'; drop table\"", 'notes:~^lunch', 'notes:~"coffee|gift"', 'notes:~[0-9]{4}', '-notes:lunch',
    'is:uncategorized', 'is:transfer', 'is:pending', 'is:cleared', 'is:uncleared', 'is:reconciled', 'is:split', '-is:split',
    'coffee', 'amazon', '"whole foods"', 'corner coffee', '%', '_', '\\', "'", '"50% off"',
    'payee:amazon amount:>50 date:2024', 'payee:amazon OR payee:corner', '-(payee:amazon OR is:transfer) amount:>10', 'NOT is:split AND category:none',
    '(category:groceries OR category:"eating out") -tag:reimbursable date:2023-12..2024-03',
  ];
  it.each(queries)('%s', async (q) => {
    await same(q);
  });

  it('is not vacuous: the common filters select some rows and not all', async () => {
    const total = ledgers[0]!.rows.length;
    for (const q of ['payee:amazon', 'category:groceries', 'amount:>50', 'date:2024-01..2024-03', 'tag:reimbursable', 'notes:lunch', 'is:split', 'is:transfer', 'is:pending', 'category:none', 'coffee']) {
      const n = await same(q);
      expect(n, q).toBeGreaterThan(0);
      expect(n, q).toBeLessThan(total);
    }
  });
});

describe('random queries from the grammar', () => {
  const pools: Pools = {
    payee: ['amazon', 'AMA', 'corner', "o'b", '%', '_', '\\', 'foods', 'zzz'],
    account: ['visa', 'check', '%', '_acct', 'wallet', 'c'],
    category: ['Groceries', 'eating out', 'RENT', 'Fun_100%', 'none', 'nope'],
    tag: ['reimbursable', 'work', 'tax', 'other'],
    notes: ['lunch', 'reimburse', '50%', 'a_b', '\\', "'", 'coffee', '2024'],
    regex: ['^lunch', 'coffee|gift', '[0-9]+', 'drop.*table', '^$', 'e$'],
    text: ['amazon', 'coffee', 'café', "o'brien", 'me', '%', '_', 'a b', 'x'],
  };
  it('give the same ids as the brute-force evaluator on every ledger', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb(pools), fc.integer({ min: 0, max: ledgers.length - 1 }), async (n, li) => {
        const text = printQuery(n);
        const f = ledgers[li]!;
        expect(await sqlIds(f, text), text).toEqual(bruteIds(f, text));
      }),
      { numRuns: 250 },
    );
  });
});

describe('injection and hostile values', () => {
  const hostile = ["'; drop table transactions; --", "\\'; select 1; --", '%_%', '\\\\', "O''Brien", '$1', '); delete from payees; --', '\u0000x'];
  it.each(hostile)('value %j is bound, not spliced', async (v) => {
    const quoted = `"${v.replace(/[\\"]/g, (c) => '\\' + c)}"`;
    for (const q of [`payee:${quoted}`, `notes:${quoted}`, `category:${quoted}`, `account:${quoted}`, `tag:${quoted.replace(/ /g, '')}`, quoted]) {
      if (v.includes('\u0000')) {
        // PostgreSQL text cannot hold NUL: the parser refuses it up front.
        expect(() => parseQuery(q)).toThrow(QuerySyntaxError);
        continue;
      }
      await same(q);
    }
    const left = await t.c.db.kysely.selectFrom('transactions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(left.n)).toBeGreaterThan(0);
  });

  it('an invalid regular expression is a query error at its position', async () => {
    const k = t.c.db.kysely;
    for (const [q, col] of [['notes:~"(unclosed"', 1], ['payee:x notes:~"a{2,1}"', 9], ['notes:~"*"', 1]] as const) {
      const compiled = compileQuery(parseQuery(q), { ledgerId: ledgers[0]!.ledgerId, currencies: ['USD' as never], now: NOW });
      const e = await checkRegexes(k, compiled).then(() => undefined, (x: unknown) => x);
      expect(e, q).toBeInstanceOf(QuerySyntaxError);
      expect((e as QuerySyntaxError).message).toContain(`invalid regular expression at column ${col}`);
    }
  });

  it('prepareQuery takes the rare-category form only below the threshold', async () => {
    const k = t.c.db.kysely;
    const f = ledgers[0]!;
    const root = parseQuery('category:groceries OR -category:"Eating out" OR category:nope').root;
    const counts = await k.selectFrom('transactions as x').innerJoin('categories as c', 'c.id', 'x.category_id').select(['c.name', (eb) => eb.fn.countAll<string>().as('n')]).where('x.ledger_id', '=', f.ledgerId).groupBy('c.name').execute();
    const groceries = Number(counts.find((c) => c.name.toLowerCase() === 'groceries')!.n);
    expect(groceries).toBeGreaterThan(1);
    // A threshold above the count: rare, with its id; at the count: not rare. An unknown name is rare with no ids.
    expect((await rareCategories(k, f.ledgerId, root, groceries + 1)).get('groceries')).toHaveLength(1);
    expect((await rareCategories(k, f.ledgerId, root, groceries)).has('groceries')).toBe(false);
    expect((await rareCategories(k, f.ledgerId, root, groceries + 1)).get('eating out')).toHaveLength(1);
    expect((await rareCategories(k, f.ledgerId, root)).get('nope')).toEqual([]);
  });

  it('prepareQuery maps errors to QUERY_INVALID on the given field', async () => {
    const e = await prepareQuery(t.c.db.kysely, ledgers[0]!.ledgerId, 'paye:x', { now: NOW, field: '/query/q' }).then(() => undefined, (x: unknown) => x);
    expect(e).toMatchObject({ code: 'QUERY_INVALID', errors: [{ field: '/query/q' }], details: { position: { offset: 0, column: 1, token: 'paye' } } });
  });
});

describe('search through the API', () => {
  let h: Record<string, string>;
  let ledgerId: string;
  let ids: Map<string, string>;
  beforeAll(async () => {
    const u = await t.user();
    h = u.headers;
    const a: Actor = { userId: u.id, isAdmin: false, via: 'cli' };
    const f = await buildLedger(t.c, a, 21, 70, new Date().toISOString().slice(0, 10));
    ledgerId = f.ledgerId;
    ids = new Map(f.rows.map((r) => [r.id, r.posted_on]));
    ledgers.push(f);
  });
  const get = (q: string, extra = '') => t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/transactions?q=${encodeURIComponent(q)}${extra}`, headers: h });

  it('pages through all matches with cursors, newest first', async () => {
    const q = '-is:transfer (amount:>10 OR category:none)';
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 50; i++) {
      const r = await get(q, `&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((x: { id: string }) => x.id));
      if (!r.body.next_cursor) break;
      cursor = r.body.next_cursor;
    }
    const f = ledgers[ledgers.length - 1]!;
    const want = f.rows.filter((r) => matches(parseQuery(q).root, r, new Date())).sort((a, b) => (a.posted_on === b.posted_on ? (a.id < b.id ? 1 : -1) : a.posted_on < b.posted_on ? 1 : -1)).map((r) => r.id);
    expect(want.length).toBeGreaterThan(7);
    expect(seen).toEqual(want);
    expect(ids.size).toBe(f.rows.length);
  });

  it('relative dates use the server clock', async () => {
    const r = await get('date:last-30-days', '&limit=200');
    expect(r.status).toBe(200);
    const f = ledgers[ledgers.length - 1]!;
    expect(r.body.items.map((x: { id: string }) => x.id).sort()).toEqual(f.rows.filter((x) => matches(parseQuery('date:last-30-days').root, x, new Date())).map((x) => x.id).sort());
  });

  it.each([
    ['amount:', "expected a value after 'amount:' at column 8", 7],
    ['payee:x (a', 'unclosed parenthesis opened at column 9', 10],
    ['paye:amazon', "did you mean 'payee'?", 0],
    ['notes:~"(x"', 'invalid regular expression at column 1', 0],
  ])('%s is a 400 QUERY_INVALID with the position', async (q, message, offset) => {
    const r = await get(q);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body.code).toBe('QUERY_INVALID');
    expect(r.body.detail).toContain(message);
    expect(r.body.errors).toEqual([{ field: '/query/q', message: r.body.detail }]);
    expect(r.body.position).toMatchObject({ offset, column: offset + 1 });
  });

  it('a query over the length limit is a 400, not a 500', async () => {
    const r = await get('a '.repeat(600));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('QUERY_INVALID');
  });
});
