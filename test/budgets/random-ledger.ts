// Random ledgers for the budget property tests: on- and off-budget accounts in
// several currencies, income and expense categories, splits, transfers (also
// across currencies and out of the budget), pending rows, rates stored directly
// or inverted, assignments and spending-limit settings. Built through the
// services; every row the database holds is also recorded here for brute force.
import type { Actor } from '../../src/auth/actor.ts';
import type { Container } from '../../src/app/container.ts';
import type { AccountType } from '../../src/db/schema.ts';
import { createPrng, type Prng } from '../../src/demo/prng.ts';
import type { StoredRate } from '../../src/fx/rate-book.ts';

export interface GenAccount { id: string; type: AccountType; currency: string; opening: bigint; openedOn: string }
export interface GenCategory { id: string; isIncome: boolean; mode: 'envelope' | 'limit'; limit: bigint | null }
/** One stored row that can count: a plain row, a split part, or one side of a transfer. */
export interface GenRow { accountId: string; postedOn: string; amount: bigint; categoryId: string | null; peerAccountId: string | null; pending: boolean }
export interface GenAssignment { categoryId: string; month: string; amount: bigint }

export interface GenLedger {
  ledgerId: string;
  base: string;
  accounts: GenAccount[];
  categories: GenCategory[];
  rows: GenRow[];
  rates: StoredRate[];
  assignments: GenAssignment[];
  months: string[];
}

const MONTHS = ['2025-11', '2025-12', '2026-01', '2026-02', '2026-03', '2026-04'];
const ON: AccountType[] = ['checking', 'savings', 'credit_card', 'cash'];
const OFF: AccountType[] = ['investment', 'loan', 'asset', 'liability'];

const day = (r: Prng) => `${r.pick(MONTHS)}-${String(r.int(1, 28)).padStart(2, '0')}`;
const amount = (r: Prng, big = false) => BigInt(r.int(big ? 1_000 : 1, big ? 500_000 : 40_000)) * (r.chance(750) ? -1n : 1n);

function randomRate(r: Prng): string {
  return `${r.int(0, 3)}.${String(r.int(1, 99_999)).padStart(5, '0')}${r.pick(['', '5', '25'])}`.replace(/^0\.00000$/, '0.5');
}

export async function buildRandomLedger(c: Container, actor: Actor, seed: string, opts: { multiCurrency: boolean }): Promise<GenLedger> {
  const r = createPrng(seed);
  const base = opts.multiCurrency ? r.pick(['USD', 'EUR', 'JPY']) : 'USD';
  const foreign = ['USD', 'EUR', 'GBP', 'JPY', 'BHD'].filter((x) => x !== base);
  const ledger = await c.ledgers.create(actor, { name: `prop ${seed}`, baseCurrency: base });
  const L = ledger.id;

  const accounts: GenAccount[] = [];
  const nAccounts = r.int(3, 5);
  for (let i = 0; i < nAccounts; i++) {
    const type = i < 2 ? r.pick(ON) : r.pick([...ON, ...OFF]);
    const currency = opts.multiCurrency && i > 0 && r.chance(400) ? r.pick(foreign) : base;
    const opening = r.chance(700) ? amount(r, true) : 0n;
    const openedOn = day(r);
    const a = await c.accounts.create(actor, L, { name: `acct ${i}`, type, currency, openingBalanceMinor: Number(opening), openedOn });
    accounts.push({ id: a.id, type, currency, opening, openedOn });
  }

  const categories: GenCategory[] = [];
  const income = await c.categories.createGroup(actor, L, { name: 'Income', isIncome: true });
  for (let i = 0; i < r.int(1, 2); i++) categories.push({ id: (await c.categories.createCategory(actor, L, { name: `inc ${i}`, groupId: income.id })).id, isIncome: true, mode: 'envelope', limit: null });
  for (let g = 0; g < 2; g++) {
    const group = await c.categories.createGroup(actor, L, { name: `group ${g}` });
    for (let i = 0; i < r.int(2, 3); i++) {
      const id = (await c.categories.createCategory(actor, L, { name: `cat ${g}.${i}`, groupId: group.id })).id;
      const limitMode = r.chance(300);
      const limit = limitMode && r.chance(700) ? BigInt(r.int(0, 30_000)) : null;
      if (limitMode) await c.budgets.setCategoryMode(actor, L, id, { mode: 'limit', limitMinor: limit === null ? null : Number(limit) });
      categories.push({ id, isIncome: false, mode: limitMode ? 'limit' : 'envelope', limit });
    }
  }
  const expense = categories.filter((x) => !x.isIncome);
  const anyCategory = () => (r.chance(150) ? null : r.chance(150) ? r.pick(categories.filter((x) => x.isIncome)).id : r.pick(expense).id);

  // Rates: each foreign currency in use gets a rate on 2025-10-01 (direct or inverse) and a few later ones.
  const rates: StoredRate[] = [];
  const used = new Set<string>();
  const addRate = (from: string, to: string, date: string) => {
    if (used.has(`${from}${to}${date}`)) return;
    used.add(`${from}${to}${date}`);
    rates.push({ from_currency: from, to_currency: to, rate_date: date, rate: randomRate(r) });
  };
  for (const cur of new Set(accounts.map((a) => a.currency).filter((x) => x !== base))) {
    const [f, t] = r.chance(500) ? [cur, base] : [base, cur];
    addRate(f, t, '2025-10-01');
    for (let i = 0; i < r.int(0, 6); i++) {
      const [f2, t2] = r.chance(500) ? [cur, base] : [base, cur];
      addRate(f2, t2, day(r));
    }
  }
  for (const x of rates) await c.fx.add(actor, L, { fromCurrency: x.from_currency, toCurrency: x.to_currency, rateDate: x.rate_date, rate: x.rate });

  const rows: GenRow[] = [];
  const created: { id: string; rows: GenRow[] }[] = [];
  const nTx = r.int(40, 90);
  for (let i = 0; i < nTx; i++) {
    const acc = r.pick(accounts);
    const postedOn = day(r);
    const kind = r.int(0, 9);
    if (kind <= 1) {
      // Transfer (both sides stored; the category, if any, sits on this side only).
      const other = r.pick(accounts.filter((a) => a.id !== acc.id));
      const amt = amount(r);
      const otherAmt = other.currency === acc.currency ? -amt : BigInt(r.int(1, 60_000)) * (amt < 0n ? 1n : -1n);
      const categoryId = r.chance(300) ? r.pick(expense).id : null;
      const t = await c.transactions.create(actor, L, { accountId: acc.id, postedOn, amountMinor: Number(amt), categoryId, transferAccountId: other.id, ...(other.currency !== acc.currency ? { transferAmountMinor: Number(otherAmt) } : {}) });
      const mine = { accountId: acc.id, postedOn, amount: amt, categoryId, peerAccountId: other.id, pending: false };
      const theirs = { accountId: other.id, postedOn, amount: otherAmt, categoryId: null, peerAccountId: acc.id, pending: false };
      rows.push(mine, theirs);
      created.push({ id: t.id, rows: [mine] }, { id: t.transfer!.peer_id, rows: [theirs] });
    } else if (kind <= 3) {
      const parts = Array.from({ length: r.int(2, 3) }, () => ({ amount: amount(r), categoryId: anyCategory() }));
      const total = parts.reduce((s, p) => s + p.amount, 0n);
      const t = await c.transactions.create(actor, L, { accountId: acc.id, postedOn, amountMinor: Number(total), splits: parts.map((p) => ({ amountMinor: Number(p.amount), categoryId: p.categoryId })) });
      const genParts = parts.map((p) => ({ accountId: acc.id, postedOn, amount: p.amount, categoryId: p.categoryId, peerAccountId: null, pending: false }));
      rows.push(...genParts);
      created.push({ id: t.id, rows: genParts });
    } else {
      const amt = amount(r);
      const categoryId = anyCategory();
      const t = await c.transactions.create(actor, L, { accountId: acc.id, postedOn, amountMinor: Number(amt), categoryId });
      const row = { accountId: acc.id, postedOn, amount: amt, categoryId, peerAccountId: null, pending: false };
      rows.push(row);
      created.push({ id: t.id, rows: [row] });
    }
  }
  // Pending rows (as a bank import leaves them) count like any other row.
  const pendingIds: string[] = [];
  for (const x of created) {
    if (!r.chance(150)) continue;
    pendingIds.push(x.id);
    for (const row of x.rows) row.pending = true;
  }
  if (pendingIds.length) await c.db.kysely.updateTable('transactions').set({ pending: true }).where('ledger_id', '=', L).where((eb) => eb.or([eb('id', 'in', pendingIds), eb('parent_id', 'in', pendingIds)])).execute();

  const assignments: GenAssignment[] = [];
  for (const month of ['2025-10', ...MONTHS]) {
    const items = expense.filter(() => r.chance(500)).map((cat) => ({ categoryId: cat.id, amount: r.chance(100) ? -BigInt(r.int(1, 5_000)) : BigInt(r.int(0, 60_000)) }));
    if (!items.length) continue;
    await c.budgets.setMonth(actor, L, month, items.map((x) => ({ categoryId: x.categoryId, assignedMinor: Number(x.amount) })));
    for (const x of items) if (x.amount !== 0n) assignments.push({ ...x, month });
  }
  return { ledgerId: L, base, accounts, categories, rows, rates, assignments, months: ['2025-10', ...MONTHS] };
}
