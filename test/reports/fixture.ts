// Random ledgers for the report property tests, built through the real
// services: four accounts in three currencies (opening balances, one opened
// mid-way), expense and income categories, payees, plain rows, splits with
// mixed-sign parts, transfers in one currency and across currencies, pending
// rows, tags and notes, and exchange rates (direct, inverse, triangulated).
// The same data comes back as plain objects for the brute-force reports.
import type { Actor } from '../../src/auth/actor.ts';
import type { Container } from '../../src/app/container.ts';
import { createPrng } from '../../src/demo/prng.ts';
import type { StoredRate } from '../../src/fx/rate-book.ts';

export interface Leaf {
  amount: bigint;
  category_id: string | null;
  category: string | null;
  notes: string | null;
}

export interface TopRow {
  id: string;
  account_id: string;
  account: string;
  currency: string;
  posted_on: string;
  amount_minor: bigint;
  payee_id: string | null;
  payee: string | null;
  category_id: string | null;
  category: string | null;
  notes: string | null;
  tags: string[];
  cleared_state: string;
  pending: boolean;
  is_split: boolean;
  is_transfer: boolean;
  /** Split parts, with amounts (the query evaluator reads category and notes). */
  parts: Leaf[];
}

export interface AccountRow {
  id: string;
  name: string;
  type: string;
  currency: string;
  opening_balance_minor: bigint;
  opened_on: string | null;
}

export interface CategoryRow {
  id: string;
  name: string;
  group_id: string;
  group_name: string;
  is_income: boolean;
}

export interface RandomLedger {
  ledgerId: string;
  base: string;
  accounts: AccountRow[];
  categories: CategoryRow[];
  payees: Map<string, string>;
  rows: TopRow[];
  rates: StoredRate[];
}

const ACCOUNTS = [
  { name: 'Checking', type: 'checking', currency: 'USD', openingBalanceMinor: 250_000 },
  { name: 'Visa Card', type: 'credit_card', currency: 'USD', openingBalanceMinor: 0 },
  { name: 'Euro Savings', type: 'savings', currency: 'EUR', openingBalanceMinor: 80_000, openedOn: '2024-02-10' },
  { name: 'Yen Wallet', type: 'cash', currency: 'JPY', openingBalanceMinor: 5_000 },
];
const PAYEES = ['Grocer', 'Landlord', 'Cinema', 'Airline', 'Employer', 'Fuel Co'];
const NOTES = ['weekly shop', 'rent', 'refund', 'trip'];

export async function randomLedger(c: Container, actor: Actor, seed: number, count: number): Promise<RandomLedger> {
  const r = createPrng(`reports-${seed}`);
  const ledger = await c.ledgers.create(actor, { name: `reports ${seed}`, baseCurrency: 'USD' });
  const L = ledger.id;
  const accounts = [];
  for (const a of ACCOUNTS) accounts.push(await c.accounts.create(actor, L, a));
  const living = await c.categories.createGroup(actor, L, { name: 'Living' });
  const income = await c.categories.createGroup(actor, L, { name: 'Income', isIncome: true });
  const cats: { id: string }[] = [];
  for (const name of ['Food', 'Rent', 'Fun']) cats.push(await c.categories.createCategory(actor, L, { name, groupId: living.id }));
  for (const name of ['Salary', 'Interest']) cats.push(await c.categories.createCategory(actor, L, { name, groupId: income.id }));
  const day = () => `2024-${String(r.int(1, 8)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
  const cat = () => (r.chance(750) ? r.pick(cats).id : null);
  const pending: string[] = [];
  for (let i = 0; i < count; i++) {
    const acct = r.pick(accounts);
    const amount = r.chance(100) ? r.pick([0, 1, -1, 100_000]) : r.chance(150) ? r.int(1, 300_000) : -r.int(1, 40_000);
    const common = {
      accountId: acct.id, postedOn: day(), amountMinor: amount, payeeName: r.chance(850) ? r.pick(PAYEES) : undefined,
      notes: r.chance(300) ? r.pick(NOTES) : null, tags: r.chance(200) ? ['trip'] : [], clearedState: r.pick(['uncleared', 'cleared', 'reconciled'] as const),
    };
    const kind = r.int(0, 99);
    let created;
    if (kind < 15 && amount !== 0) {
      // Parts of mixed sign now and then (a purchase with cash back).
      const a = Math.trunc(amount / 2) + (r.chance(300) ? 5_000 : 0);
      created = await c.transactions.create(actor, L, { ...common, splits: [{ amountMinor: a, categoryId: cat() }, { amountMinor: amount - a, categoryId: cat(), notes: r.chance(400) ? 'refund' : null }] });
    } else if (kind < 25 && amount !== 0) {
      const other = r.pick(accounts.filter((x) => x.id !== acct.id));
      const transferAmountMinor = other.currency === acct.currency ? undefined : (amount < 0 ? 1 : -1) * r.int(1, 50_000);
      created = await c.transactions.create(actor, L, { ...common, transferAccountId: other.id, transferAmountMinor });
    } else {
      created = await c.transactions.create(actor, L, { ...common, categoryId: cat() });
    }
    if (r.chance(100)) pending.push(created.id);
  }
  if (pending.length) await c.db.kysely.updateTable('transactions').set({ pending: true }).where('id', 'in', pending).execute();
  // EUR->USD direct, USD->JPY direct (JPY->USD by the inverse), JPY<->EUR only by triangulation through USD.
  const rates = [
    { from_currency: 'EUR', to_currency: 'USD', rate_date: '2023-12-01', rate: '1.1' },
    { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1.0845' },
    { from_currency: 'USD', to_currency: 'EUR', rate_date: '2024-05-15', rate: '0.9333' },
    { from_currency: 'USD', to_currency: 'JPY', rate_date: '2023-12-01', rate: '150.5' },
    { from_currency: 'USD', to_currency: 'JPY', rate_date: '2024-04-10', rate: '153.25' },
  ];
  await c.db.kysely.insertInto('fx_rates').values(rates.map((x) => ({ ledger_id: L, ...x }))).execute();
  return { ...(await loadLedger(c, L)), rates };
}

export async function loadLedger(c: Container, ledgerId: string): Promise<Omit<RandomLedger, 'rates'>> {
  const k = c.db.kysely;
  const [ledger, accounts, categories, payees, all] = await Promise.all([
    k.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirstOrThrow(),
    k.selectFrom('accounts').select(['id', 'name', 'type', 'currency', 'opening_balance_minor', 'opened_on']).where('ledger_id', '=', ledgerId).execute(),
    k.selectFrom('categories as c').innerJoin('category_groups as g', 'g.id', 'c.group_id').select(['c.id', 'c.name', 'g.id as group_id', 'g.name as group_name', 'g.is_income']).where('c.ledger_id', '=', ledgerId).execute(),
    k.selectFrom('payees').select(['id', 'name']).where('ledger_id', '=', ledgerId).execute(),
    k.selectFrom('transactions as t')
      .innerJoin('accounts as a', 'a.id', 't.account_id')
      .leftJoin('payees as p', 'p.id', 't.payee_id')
      .leftJoin('categories as c', 'c.id', 't.category_id')
      .select(['t.id', 't.parent_id', 't.account_id', 'a.name as account', 'a.currency', 't.posted_on', 't.amount_minor', 't.payee_id', 'p.name as payee', 't.category_id', 'c.name as category', 't.notes', 't.tags', 't.cleared_state', 't.pending', 't.is_split', 't.transfer_peer_id'])
      .where('t.ledger_id', '=', ledgerId)
      .execute(),
  ]);
  const parts = new Map<string, Leaf[]>();
  for (const p of all) if (p.parent_id) parts.set(p.parent_id, [...(parts.get(p.parent_id) ?? []), { amount: BigInt(p.amount_minor), category_id: p.category_id, category: p.category, notes: p.notes }]);
  return {
    ledgerId,
    base: ledger.base_currency,
    accounts: accounts.map((a) => ({ ...a, opening_balance_minor: BigInt(a.opening_balance_minor) })),
    categories,
    payees: new Map(payees.map((p) => [p.id, p.name])),
    rows: all.filter((x) => !x.parent_id).map((x) => ({
      id: x.id, account_id: x.account_id, account: x.account, currency: x.currency, posted_on: x.posted_on, amount_minor: BigInt(x.amount_minor),
      payee_id: x.payee_id, payee: x.payee, category_id: x.category_id, category: x.category, notes: x.notes, tags: x.tags, cleared_state: x.cleared_state,
      pending: x.pending, is_split: x.is_split, is_transfer: x.transfer_peer_id !== null, parts: parts.get(x.id) ?? [],
    })),
  };
}
