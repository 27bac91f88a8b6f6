// docs/budgets.md, run: its ```budget-example blocks build a ledger through the
// API and check what the budget answers, its ```fx-examples are conversions,
// and its ```console blocks are CLI sessions against the same ledger.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { convertWithRate } from '../../src/fx/fx-math.ts';
import type { CurrencyCode } from '../../src/money/currencies.ts';
import { parseDecimal, toDecimalString, type Minor } from '../../src/money/money.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const DOC = readFileSync(new URL('../../docs/budgets.md', import.meta.url), 'utf8');
const blocks = (lang: string) => [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

let t: TestApp;
let H: Record<string, string>;
let L = '';
let currency = 'USD';
const accounts = new Map<string, { id: string; currency: string }>();
const categories = new Map<string, string>();

async function req(method: string, url: string, payload?: unknown) {
  return t.req({ method: method as 'GET', url, headers: H, ...(payload !== undefined ? { payload: payload as object } : {}) });
}
async function ok(method: string, url: string, payload?: unknown) {
  const r = await req(method, url, payload);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const minorOf = (text: string, cur = currency) => Number(parseDecimal(text, cur as CurrencyCode));
const cat = (name: string) => {
  const id = categories.get(name.trim());
  if (!id) throw new Error(`docs example names an unknown category "${name}"`);
  return id;
};
const FIELDS: Record<string, string> = { carried: 'carried_over', budgeted: 'budgeted', activity: 'activity', available: 'available' };
const MONTH_FIELDS: Record<string, string> = { 'to-be-budgeted': 'to_be_budgeted_minor', income: 'income_minor', budgeted: 'budgeted_minor', activity: 'activity_minor', available: 'available_minor' };

async function runLine(line: string): Promise<void> {
  let m: RegExpExecArray | null;
  if ((m = /^ledger "(.+)" ([A-Z]{3})$/.exec(line))) {
    currency = m[2]!;
    L = `/api/v1/ledgers/${(await ok('POST', '/api/v1/ledgers', { name: m[1], base_currency: currency })).id}`;
  } else if ((m = /^(income-group|group) ([^:]+): (.+)$/.exec(line))) {
    const g = (await ok('POST', `${L}/category-groups`, { name: m[2], is_income: m[1] === 'income-group' })).id;
    for (const name of m[3]!.split(',').map((s) => s.trim())) categories.set(name, (await ok('POST', `${L}/categories`, { name, group_id: g })).id);
  } else if ((m = /^account (\S+) (\S+) ([A-Z]{3})(?: opening (\S+))? on (\S+)$/.exec(line))) {
    const a = await ok('POST', `${L}/accounts`, { name: m[1], type: m[2], currency: m[3], opening_balance_minor: m[4] ? minorOf(m[4], m[3]) : 0, opened_on: m[5] });
    accounts.set(m[1]!, { id: a.id, currency: m[3]! });
  } else if ((m = /^(\d{4}-\d{2}-\d{2}) (\S+) (\S+) (.+)$/.exec(line))) {
    const acc = accounts.get(m[2]!)!;
    const body: Record<string, unknown> = { account_id: acc.id, posted_on: m[1], amount_minor: minorOf(m[3]!, acc.currency) };
    const rest = m[4]!;
    if (rest.startsWith('transfer ')) body.transfer_account_id = accounts.get(rest.slice(9))!.id;
    else if (rest.startsWith('split ')) body.splits = rest.slice(6).split(',').map((p) => {
      const parts = p.trim().split(' ');
      return { amount_minor: minorOf(parts.pop()!, acc.currency), category_id: cat(parts.join(' ')) };
    });
    else if (rest !== '-') body.category_id = cat(rest);
    await ok('POST', `${L}/transactions`, body);
  } else if ((m = /^assign (\d{4}-\d{2}) (.+)$/.exec(line))) {
    const items = m[2]!.split(',').map((p) => {
      const parts = p.trim().split(' ');
      return { assigned_minor: minorOf(parts.pop()!), category_id: cat(parts.join(' ')) };
    });
    await ok('PUT', `${L}/budgets/${m[1]}`, { categories: items });
  } else if ((m = /^mode (.+) (envelope|limit)(?: (\S+))?$/.exec(line))) {
    await ok('PUT', `${L}/budget-categories/${cat(m[1]!)}`, { mode: m[2], ...(m[3] ? { limit_minor: minorOf(m[3]) } : {}) });
  } else if ((m = /^rate ([A-Z]{3}) ([A-Z]{3}) (\S+) (\S+)$/.exec(line))) {
    await ok('POST', `${L}/fx-rates`, { from_currency: m[1], to_currency: m[2], rate_date: m[3], rate: m[4] });
  } else if ((m = /^expect-error (\d{4}-\d{2}) (\S+) ([A-Z]{3}) ([A-Z]{3}) (\S+)$/.exec(line))) {
    const r = await req('GET', `${L}/budgets/${m[1]}`);
    expect(r.status, line).toBe(422);
    expect(r.body, line).toMatchObject({ code: m[2], from_currency: m[3], to_currency: m[4], date: m[5] });
  } else if ((m = /^expect (\d{4}-\d{2}) (\S+) (\S+)$/.exec(line)) && MONTH_FIELDS[m[2]!]) {
    const b = await ok('GET', `${L}/budgets/${m[1]}`);
    expect(toDecimalString(BigInt(b[MONTH_FIELDS[m[2]!]!]) as Minor, currency as CurrencyCode), line).toBe(m[3]);
  } else if ((m = /^expect (\d{4}-\d{2}) (.+) (carried|budgeted|activity|available|status) (\S+)$/.exec(line))) {
    const b = await ok('GET', `${L}/budgets/${m[1]}`);
    const l = b.categories.find((c: { name: string }) => c.name === m![2]);
    expect(l, line).toBeDefined();
    if (m[3] === 'status') expect(l.status, line).toBe(m[4]);
    else expect(toDecimalString(BigInt(l[`${FIELDS[m[3]!]}_minor`]) as Minor, currency as CurrencyCode), line).toBe(m[4]);
  } else {
    throw new Error(`docs/budgets.md: cannot read example line "${line}"`);
  }
}

/** Splits a shell line into words (double quotes group, no other shell syntax). */
const words = (s: string) => [...s.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);

beforeAll(async () => {
  t = await createTestApp();
  H = (await t.user()).headers;
});
afterAll(async () => t?.close());

describe('docs/budgets.md', () => {
  const examples = blocks('budget-example');
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(examples.join('\n').match(/^expect/gm)!.length).toBeGreaterThanOrEqual(15);
  });

  it.each(examples.map((b, i) => [i + 1, b] as const))('budget example %i', async (_i, block) => {
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      if (line && !line.startsWith('#')) await runLine(line);
    }
  });

  it.each(blocks('fx-examples').flatMap((b) => b.trim().split('\n')))('%s', (line) => {
    const m = /^(\S+) ([A-Z]{3}) -> ([A-Z]{3}) at (\S+) = (\S+)$/.exec(line)!;
    expect(m, line).not.toBeNull();
    const [, amount, from, to, rate, want] = m;
    const got = convertWithRate(parseDecimal(amount!, from as CurrencyCode), from as CurrencyCode, to as CurrencyCode, rate!);
    expect(toDecimalString(got, to as CurrencyCode)).toBe(want);
  });

  it('console sessions print what the page shows', async () => {
    const sessions = blocks('console');
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    for (const s of sessions) {
      const lines = s.trimEnd().split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]!.startsWith('$ finhub ')) continue;
        const want: string[] = [];
        for (let j = i + 1; j < lines.length && !lines[j]!.startsWith('$ '); j++) want.push(lines[j]!);
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCommand(words(lines[i]!.slice('$ finhub '.length)), { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
        expect({ code, out, err }, lines[i]).toEqual({ code: 0, out: want, err: [] });
      }
    }
  });
});
