// Exchange rates and net worth through the API and the CLI: entering,
// replacing, listing, deleting, CSV import (all or nothing, errors name the
// line), conversion, net worth in a chosen currency, missing-rate errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let H: Record<string, string>;
let L: string;
let ledgerId: string;
const acc: Record<string, string> = {};

async function req(method: string, url: string, payload?: unknown) {
  return t.req({ method: method as 'GET', url, headers: H, ...(payload !== undefined ? { payload: payload as object } : {}) });
}
async function ok(method: string, url: string, payload?: unknown) {
  const r = await req(method, url, payload);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out, err };
}

beforeAll(async () => {
  t = await createTestApp();
  H = (await t.user()).headers;
  ledgerId = (await ok('POST', '/api/v1/ledgers', { name: 'fx routes', base_currency: 'USD' })).id;
  L = `/api/v1/ledgers/${ledgerId}`;
  acc.usd = (await ok('POST', `${L}/accounts`, { name: 'Checking', type: 'checking', currency: 'USD', opening_balance_minor: 100_000, opened_on: '2024-01-01' })).id;
  acc.eur = (await ok('POST', `${L}/accounts`, { name: 'Euro', type: 'checking', currency: 'EUR', opening_balance_minor: 50_000, opened_on: '2024-01-01' })).id;
  acc.gbp = (await ok('POST', `${L}/accounts`, { name: 'Sterling', type: 'savings', currency: 'GBP', opened_on: '2024-01-01' })).id;
  acc.old = (await ok('POST', `${L}/accounts`, { name: 'Old francs', type: 'cash', currency: 'CHF', opened_on: '2024-01-01', closed: true })).id;
  // A cross-currency transfer keeps both amounts: 110.00 USD out, 100.00 EUR in.
  await ok('POST', `${L}/transactions`, { account_id: acc.usd, posted_on: '2024-03-10', amount_minor: -11_000, transfer_account_id: acc.eur, transfer_amount_minor: 10_000 });
  await ok('POST', `${L}/transactions`, { account_id: acc.gbp, posted_on: '2024-03-11', amount_minor: 20_000 });
});
afterAll(async () => t?.close());

describe('exchange rates', () => {
  it('enters a rate (201), replaces the same pair and day (200), keeps the decimal text exact', async () => {
    const a = await req('POST', `${L}/fx-rates`, { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1.0850' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1.085', source: 'manual' });
    const b = await req('POST', `${L}/fx-rates`, { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1.0845', source: 'ECB' });
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ id: a.body.id, rate: '1.0845', source: 'ECB' });
    const row = await t.c.db.kysely.selectFrom('fx_rates').select(['rate']).where('id', '=', a.body.id).executeTakeFirstOrThrow();
    expect(row.rate).toBe('1.0845');
  });

  it.each([
    [{ from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: 1.08 }, 400, '/body/rate'],
    [{ from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '0' }, 400, '/body/rate'],
    [{ from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1.0000000000001' }, 400, '/body/rate'],
    [{ from_currency: 'EUR', to_currency: 'EUR', rate_date: '2024-03-01', rate: '1' }, 400, '/body/to_currency'],
    [{ from_currency: 'XXX', to_currency: 'USD', rate_date: '2024-03-01', rate: '1' }, 400, '/body/from_currency'],
    [{ from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-02-30', rate: '1' }, 400, '/body/rate_date'],
    [{ from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1', extra: 1 }, 400, '/body/extra'],
  ])('refuses %j', async (body, status, field) => {
    const r = await req('POST', `${L}/fx-rates`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('imports CSV all or nothing; every problem names its line', async () => {
    const bad = 'date,from,to,rate\n2024-01-01,EUR,USD,1.09\n2024-01-02,EUR,USD,abc\n\n2024-13-01,EUR,USD,1.1\n2024-01-01,EUR,USD,1.2\n2024-01-03,EUR,XYZ,1\n2024-01-04,EUR,USD\n';
    const r = await req('POST', `${L}/fx-rates/import`, { csv: bad });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.detail).toMatch(/^exchange-rate CSV: line 3: rate/);
    expect(r.body.errors.map((e: { message: string }) => e.message.replace(/:.*/, ''))).toEqual(['line 3', 'line 5', 'line 6', 'line 7', 'line 8']);
    expect(r.body.errors[2].message).toContain('given on line 2');
    expect((await ok('GET', `${L}/fx-rates?from=2024-01-01&to=2024-01-31`)).items).toEqual([]);
    for (const [csv, msg] of [['', 'empty'], ['date,from,rate\n2024-01-01,EUR,1', 'no "to" column'], ['date,from,to,rate\n', 'no rates']]) {
      const e = await req('POST', `${L}/fx-rates/import`, { csv: csv || ' ' });
      expect(e.status).toBe(400);
      expect(e.body.detail).toContain(msg);
    }
    const good = 'Date,From,To,Rate,Source\n2024-01-01,EUR,USD,1.09,ECB\n"2024-01-01","GBP","USD","1.27",\n2024-03-01,EUR,USD,1.1,ECB\n';
    const imp = await ok('POST', `${L}/fx-rates/import`, { csv: good, source: 'bank file' });
    expect(imp).toEqual({ lines: 3, inserted: 2, replaced: 1, pairs: ['EUR→USD', 'GBP→USD'] });
    const list = await ok('GET', `${L}/fx-rates?from_currency=GBP&to_currency=USD`);
    expect(list.items).toEqual([expect.objectContaining({ rate: '1.27', source: 'bank file', rate_date: '2024-01-01' })]);
  });

  it('lists newest first in pages; deletes by id', async () => {
    for (let d = 10; d < 15; d++) await ok('POST', `${L}/fx-rates`, { from_currency: 'USD', to_currency: 'JPY', rate_date: `2024-02-${d}`, rate: `15${d - 10}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { rate_date: string }[]; next_cursor: string | null } = await ok('GET', `${L}/fx-rates?from_currency=USD&to_currency=JPY&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((x) => x.rate_date));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['2024-02-14', '2024-02-13', '2024-02-12', '2024-02-11', '2024-02-10']);
    const either = await ok('GET', `${L}/fx-rates?from_currency=JPY&to_currency=USD&either_way=true&limit=200`);
    expect(either.items).toHaveLength(5);
    const victim = either.items[0].id;
    expect((await req('DELETE', `${L}/fx-rates/${victim}`)).status).toBe(204);
    expect((await req('DELETE', `${L}/fx-rates/${victim}`)).status).toBe(404);
    expect((await req('DELETE', `${L}/fx-rates/not-a-uuid`)).status).toBe(404);
    expect((await req('GET', `${L}/fx-rates?cursor=nonsense`)).status).toBe(400);
  });

  it('converts with the stored rates and says how', async () => {
    expect(await ok('GET', `${L}/fx-rates/convert?amount_minor=-1005&from_currency=EUR&to_currency=USD&date=2024-03-05`)).toEqual({
      amount_minor: -1005, amount: '-10.05', from_currency: 'EUR', to_currency: 'USD', date: '2024-03-05', converted_minor: -1106, converted: '-11.06', via: 'direct', rate_dates: ['2024-03-01'],
    });
    const inv = await ok('GET', `${L}/fx-rates/convert?amount_minor=1100&from_currency=USD&to_currency=EUR&date=2024-03-05`);
    expect(inv).toMatchObject({ converted_minor: 1000, via: 'inverse' });
    const tri = await ok('GET', `${L}/fx-rates/convert?amount_minor=1000&from_currency=GBP&to_currency=EUR&date=2024-03-05`);
    // 10.00 GBP × 1.27 = 12.70 USD ÷ 1.1 = 11.5454… EUR -> 11.55
    expect(tri).toMatchObject({ converted_minor: 1155, via: 'triangulated', rate_dates: ['2024-01-01', '2024-03-01'] });
    const missing = await req('GET', `${L}/fx-rates/convert?amount_minor=1&from_currency=EUR&to_currency=USD&date=2023-12-31`);
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ code: 'FX_RATE_MISSING', from_currency: 'EUR', to_currency: 'USD', date: '2023-12-31' });
  });
});

describe('net worth', () => {
  it('converts each account balance at the day\'s rate and sums', async () => {
    const nw = await ok('GET', `${L}/net-worth?currency=USD&date=2024-03-31`);
    const by = Object.fromEntries(nw.accounts.map((a: { name: string }) => [a.name, a]));
    expect(by.Checking).toMatchObject({ balance_minor: 89_000, converted_minor: 89_000, via: 'identity' });
    // 500.00 + 100.00 EUR = 600.00 EUR × 1.1 = 660.00 USD
    expect(by.Euro).toMatchObject({ balance_minor: 60_000, converted_minor: 66_000, via: 'direct', rate_dates: ['2024-03-01'] });
    expect(by.Sterling).toMatchObject({ balance_minor: 20_000, converted_minor: 25_400 });
    expect(by['Old francs']).toMatchObject({ balance_minor: 0, converted_minor: 0, via: 'zero', closed: true });
    expect(nw.total_minor).toBe(89_000 + 66_000 + 25_400);
    // Before the transfer and the sterling deposit, with January's rate.
    const jan = await ok('GET', `${L}/net-worth?currency=EUR&date=2024-01-31`);
    // 1000.00 USD / 1.09 = 917.431… -> 917.43 EUR; 500.00 EUR
    expect(jan.total_minor).toBe(91_743 + 50_000);
    expect(jan.accounts.find((a: { name: string }) => a.name === 'Sterling')).toMatchObject({ balance_minor: 0, via: 'triangulated' });
  });

  it('a missing rate is a 422 naming the pair and the day, not a wrong number', async () => {
    const r = await req('GET', `${L}/net-worth?currency=USD&date=2023-12-31`);
    // No account is open before 2024-01-01: nothing to convert.
    expect(r.status).toBe(200);
    expect(r.body.accounts).toEqual([]);
    await ok('POST', `${L}/transactions`, { account_id: acc.old, posted_on: '2024-03-20', amount_minor: 5000 });
    const m = await req('GET', `${L}/net-worth?currency=USD&date=2024-03-31`);
    expect(m.status).toBe(422);
    expect(m.body).toMatchObject({ code: 'FX_RATE_MISSING', from_currency: 'CHF', to_currency: 'USD', date: '2024-03-31' });
    expect((await req('GET', `${L}/net-worth?currency=ABC`)).status).toBe(400);
  });
});

describe('finhub fx and finhub net-worth', () => {
  it('adds, lists, converts, imports and deletes rates; prints net worth', async () => {
    const add = await cli('fx', 'add', '--ledger', 'fx routes', 'chf', 'usd', '1.13', '--date', '2024-03-01');
    expect(add.code, add.err.join('\n')).toBe(0);
    expect(add.out[0]).toMatch(/^added 2024-03-01 {2}1 CHF = 1\.13 USD {2}\(manual, id [0-9a-f-]{36}\)$/);
    const list = await cli('fx', 'list', '--ledger', ledgerId, '--pair', 'USD/JPY', '--limit', '3');
    expect(list.code).toBe(0);
    expect(list.out).toHaveLength(4);
    expect(list.out[3]).toBe('3 rates (more exist; raise --limit)');
    const conv = await cli('fx', 'convert', '--ledger', ledgerId, '--amount=-10.05', 'EUR', 'USD', '--date', '2024-03-05');
    expect(conv.out).toEqual(['-10.05 EUR = -11.06 USD on 2024-03-05 (direct rate of 2024-03-01)']);
    const nw = await cli('net-worth', '--ledger', ledgerId, '--date', '2024-03-31');
    expect(nw.code, nw.err.join('\n')).toBe(0);
    // 50.00 CHF × 1.13 = 56.50 USD; 890.00 + 660.00 + 254.00 + 56.50
    expect(nw.out.find((l) => l.startsWith('Old francs'))).toMatch(/56\.50 USD {2}\(50\.00 CHF, direct\) {2}closed$/);
    expect(nw.out.at(-1)).toMatch(/^Net worth on 2024-03-31 +1,860\.50 USD$/);
    const dir = mkdtempSync(join(tmpdir(), 'fx-'));
    writeFileSync(join(dir, 'bad.csv'), 'date,from,to,rate\n2024-05-01,EUR,USD,x\n2024-05-02,EUR,USD,-1\n');
    const bad = await cli('fx', 'import', '--ledger', ledgerId, join(dir, 'bad.csv'));
    expect(bad.code).toBe(2);
    expect(bad.err.slice(0, 2).map((l) => l.replace(/^.*bad\.csv: /, ''))).toEqual([expect.stringMatching(/^line 2: rate/), expect.stringMatching(/^line 3: rate/)]);
    expect(bad.err.at(-1)).toContain('nothing was imported');
    writeFileSync(join(dir, 'good.csv'), 'date,from,to,rate\n2024-05-01,EUR,USD,1.12\n');
    const good = await cli('fx', 'import', '--ledger', ledgerId, join(dir, 'good.csv'));
    expect(good.out).toEqual(['imported 1 rates (1 new, 0 replaced) for EUR→USD']);
    const id = JSON.parse((await cli('fx', 'list', '--ledger', ledgerId, '--pair', 'EUR/USD', '--from', '2024-05-01', '--json')).out[0]!).id;
    expect((await cli('fx', 'delete', '--ledger', ledgerId, id)).out).toEqual([`deleted exchange rate ${id}`]);
    const missing = await cli('fx', 'convert', '--ledger', ledgerId, '--amount', '1', 'EUR', 'USD', '--date', '2020-01-01');
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toContain('no exchange rate EUR→USD on or before 2020-01-01');
  });
});
