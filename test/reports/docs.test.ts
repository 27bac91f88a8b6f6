// docs/reports.md runs: the example household is built from the doc's own
// tables, every ```console example is run through the CLI and must print
// exactly what the doc shows, every ```http example must answer with (at
// least) the JSON shown after it, and every command of a ```sh block must
// succeed.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { runCommand } from '../../src/cli/main.ts';
import type { CurrencyCode } from '../../src/money/currencies.ts';
import { parseDecimal } from '../../src/money/money.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const DOC = readFileSync(new URL('../../docs/reports.md', import.meta.url), 'utf8');
let t: TestApp;
let token: string;
let ledgerId: string;

/** The markdown table after an HTML comment marker, as rows of cells. */
function table(marker: string): string[][] {
  const at = DOC.indexOf(`<!-- ${marker} -->`);
  expect(at, marker).toBeGreaterThan(0);
  const lines = DOC.slice(at).split('\n').slice(1);
  const rows: string[][] = [];
  for (const l of lines) {
    if (!l.startsWith('|')) {
      if (rows.length) break;
      continue;
    }
    rows.push(l.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows.slice(2); // header and separator
}

/** Words of a command line; double quotes group. */
function argv(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

async function cli(args: string[]) {
  const lines: string[] = [];
  const code = await runCommand(args, { out: (l) => lines.push(...l.split('\n')), err: (l) => lines.push(...l.split('\n')) }, async () => t.c);
  return { code, lines };
}

const blocks = (lang: string) => [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const usd = (s: string) => Number(parseDecimal(s, 'USD' as CurrencyCode));

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  token = u.token;
  const actor: Actor = { userId: u.id, isAdmin: false, via: 'cli' };
  const c = t.c;
  ledgerId = (await c.ledgers.create(actor, { name: 'Example', baseCurrency: 'USD' })).id;
  const accounts = new Map<string, string>();
  for (const [name, type, currency, opening, openedOn] of table('example-accounts')) {
    accounts.set(name!, (await c.accounts.create(actor, ledgerId, { name, type, currency, openingBalanceMinor: usd(opening!), openedOn: openedOn || undefined })).id);
  }
  const living = await c.categories.createGroup(actor, ledgerId, { name: 'Living' });
  const income = await c.categories.createGroup(actor, ledgerId, { name: 'Income', isIncome: true });
  const cats = new Map<string, string>();
  for (const name of ['Groceries', 'Rent']) cats.set(name, (await c.categories.createCategory(actor, ledgerId, { name, groupId: living.id })).id);
  cats.set('Salary', (await c.categories.createCategory(actor, ledgerId, { name: 'Salary', groupId: income.id })).id);
  for (const [date, account, amount, payee, category] of table('example-transactions')) {
    const base = { accountId: accounts.get(account!)!, postedOn: date!, amountMinor: usd(amount!), payeeName: payee || undefined };
    const split = /^split: (.*)$/.exec(category!);
    const transfer = /^transfer to (.*)$/.exec(category!);
    if (split) {
      const parts = split[1]!.split(',').map((p) => p.trim().split(' ')).map(([name, a]) => ({ amountMinor: usd(a!), categoryId: name === 'none' ? null : cats.get(name!)! }));
      await c.transactions.create(actor, ledgerId, { ...base, splits: parts });
    } else if (transfer) {
      await c.transactions.create(actor, ledgerId, { ...base, transferAccountId: accounts.get(transfer[1]!)! });
    } else {
      const tx = await c.transactions.create(actor, ledgerId, { ...base, categoryId: category && category !== 'pending' ? cats.get(category)! : null });
      if (category === 'pending') await c.db.kysely.updateTable('transactions').set({ pending: true }).where('id', '=', tx.id).execute();
    }
  }
});
afterAll(async () => t?.close());

describe('docs/reports.md', () => {
  it('has its example household and examples of every report', () => {
    expect(table('example-transactions').length).toBeGreaterThanOrEqual(8);
    const commands = blocks('console').map((b) => b.split('\n')[0]!);
    for (const r of ['spending', 'cashflow', 'balances', 'net-worth', 'payees', 'trend']) expect(commands.some((c) => c.startsWith(`$ finhub report ${r} `)), r).toBe(true);
  });

  it.each(blocks('console').map((b) => [b.split('\n')[0]!, b] as const))('%s', async (_first, block) => {
    const [cmd, ...expected] = block.replace(/\n$/, '').split('\n');
    const r = await cli(argv(cmd!.replace(/^\$ finhub /, '')));
    expect(r.lines).toEqual(expected);
    expect(r.code, r.lines.join('\n')).toBe(expected.some((l) => l.startsWith('error:')) ? 2 : 0);
  });

  it.each(blocks('http').map((b) => [b.trim()] as const))('%s', async (request) => {
    const [method, path] = request.split(' ') as ['GET', string];
    const after = DOC.slice(DOC.indexOf(request) + request.length);
    const json = /```json\n([\s\S]*?)```/.exec(after)![1]!;
    const res = await t.req({ method, url: path.replace('{Example}', ledgerId), token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(JSON.parse(json));
  });

  it('every command of the sh blocks succeeds', async () => {
    const lines = blocks('sh').flatMap((b) => b.split('\n')).filter((l) => l.startsWith('$ finhub '));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const l of lines) {
      const r = await cli(argv(l.replace(/^\$ finhub /, '')));
      expect(r.code, `${l}\n${r.lines.join('\n')}`).toBe(0);
    }
  });
});
