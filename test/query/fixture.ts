// A small random ledger built through the real services (splits, transfers,
// two currencies, tags, pending rows, names with quotes, % and _), and the
// same rows loaded back as plain objects for the brute-force evaluator.
import type { Actor } from '../../src/auth/actor.ts';
import type { Container } from '../../src/app/container.ts';
import { createPrng } from '../../src/demo/prng.ts';

export interface Part {
  category: string | null;
  notes: string | null;
}

export interface Row {
  id: string;
  account: string;
  currency: string;
  posted_on: string;
  amount_minor: bigint;
  payee: string | null;
  category: string | null;
  notes: string | null;
  tags: string[];
  cleared_state: string;
  pending: boolean;
  is_split: boolean;
  is_transfer: boolean;
  parts: Part[];
}

export const PAYEES = ['Amazon', 'Amazon Prime', 'Corner Café', "O'Brien's Pub", 'Back\\slash Ltd', '100% Juice_Bar', 'Whole Foods', 'x_y'];
export const CATEGORIES = ['Groceries', 'Eating out', 'Rent', 'Fun_100%', 'none'];
export const ACCOUNTS = [
  { name: 'Visa Card', type: 'credit_card', currency: 'USD' },
  { name: 'Checking', type: 'checking', currency: 'USD' },
  { name: '50% Savings_acct', type: 'savings', currency: 'USD' },
  { name: 'Yen Wallet', type: 'cash', currency: 'JPY' },
];
export const NOTES = ['lunch with team', 'REIMBURSE me', "it's 50% off", 'a_b c', 'path\\to', 'coffee', "'; drop table transactions; --", 'gift card 2024'];
export const TAGS = ['reimbursable', 'Work', 'tax'];
const AMOUNTS = [5000, -5000, 1234, -1234, 100, -100, 1, -1, 0, 2000, -2000, 99999];

export interface Fixture {
  ledgerId: string;
  rows: Row[];
}

export async function buildLedger(c: Container, actor: Actor, seed: number, count: number, baseDay = '2024-03-15'): Promise<Fixture> {
  const r = createPrng(seed);
  const ledger = await c.ledgers.create(actor, { name: `query ${seed}`, baseCurrency: 'USD' });
  const accounts = [];
  for (const a of ACCOUNTS) accounts.push(await c.accounts.create(actor, ledger.id, a));
  const group = await c.categories.createGroup(actor, ledger.id, { name: 'Everyday' });
  const cats: { id: string }[] = [];
  for (const name of CATEGORIES) cats.push(await c.categories.createCategory(actor, ledger.id, { name, groupId: group.id }));
  const base = Date.parse(`${baseDay}T00:00:00Z`);
  const pending: string[] = [];
  for (let i = 0; i < count; i++) {
    const acct = r.pick(accounts);
    const day = new Date(base + r.int(-150, 40) * 86_400_000).toISOString().slice(0, 10);
    const amount = r.chance(400) ? r.pick(AMOUNTS) : r.int(-20000, 20000);
    const kind = r.int(0, 99);
    const common = {
      accountId: acct.id,
      postedOn: day,
      amountMinor: amount,
      payeeName: r.chance(850) ? r.pick(PAYEES) : undefined,
      notes: r.chance(600) ? r.pick(NOTES) : null,
      tags: TAGS.filter(() => r.chance(250)),
      clearedState: r.pick(['uncleared', 'cleared', 'reconciled'] as const),
    };
    let created;
    if (kind < 12 && amount !== 0) {
      const n = r.int(2, 3);
      const first = Math.trunc(amount / n);
      const amounts = [...Array.from({ length: n - 1 }, () => first), amount - first * (n - 1)];
      created = await c.transactions.create(actor, ledger.id, {
        ...common,
        splits: amounts.map((a) => ({ amountMinor: a, categoryId: r.chance(750) ? r.pick(cats).id : null, notes: r.chance(400) ? r.pick(NOTES) : null })),
      });
    } else if (kind < 20 && acct.currency === 'USD') {
      const other = r.pick(accounts.filter((a) => a.currency === 'USD' && a.id !== acct.id));
      created = await c.transactions.create(actor, ledger.id, { ...common, transferAccountId: other.id });
    } else {
      created = await c.transactions.create(actor, ledger.id, { ...common, categoryId: r.chance(700) ? r.pick(cats).id : null });
    }
    if (r.chance(120)) pending.push(created.id);
  }
  if (pending.length > 0) await c.db.kysely.updateTable('transactions').set({ pending: true }).where('id', 'in', pending).execute();
  return { ledgerId: ledger.id, rows: await loadRows(c, ledger.id) };
}

export async function loadRows(c: Container, ledgerId: string): Promise<Row[]> {
  const k = c.db.kysely;
  const all = await k
    .selectFrom('transactions as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .leftJoin('payees as p', 'p.id', 't.payee_id')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .select(['t.id', 't.parent_id', 'a.name as account', 'a.currency', 't.posted_on', 't.amount_minor', 'p.name as payee', 'c.name as category', 't.notes', 't.tags', 't.cleared_state', 't.pending', 't.is_split', 't.transfer_peer_id'])
    .where('t.ledger_id', '=', ledgerId)
    .execute();
  const parts = new Map<string, Part[]>();
  for (const p of all) if (p.parent_id) parts.set(p.parent_id, [...(parts.get(p.parent_id) ?? []), { category: p.category, notes: p.notes }]);
  return all
    .filter((t) => !t.parent_id)
    .map((t) => ({
      id: t.id, account: t.account, currency: t.currency, posted_on: t.posted_on, amount_minor: BigInt(t.amount_minor), payee: t.payee, category: t.category, notes: t.notes,
      tags: t.tags, cleared_state: t.cleared_state, pending: t.pending, is_split: t.is_split, is_transfer: t.transfer_peer_id !== null, parts: parts.get(t.id) ?? [],
    }));
}
