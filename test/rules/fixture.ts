// Random ledgers for the rules tests, built through the real services: three
// currencies (2, 0 and 3 decimals), splits, transfers, pending rows, tags and
// names that stress case rules (ǅ, Σ, İ, ſ, K, É) and LIKE (% _ \).
import type { Actor } from '../../src/auth/actor.ts';
import type { Container } from '../../src/app/container.ts';
import { createPrng } from '../../src/demo/prng.ts';
import type { EvalRow } from '../../src/query/evaluate.ts';

export const PAYEES = ['Amazon', 'AMAZON Prime', 'ǅemal Pekara', 'ΣΑΣ Taverna', 'İstanbul Kebap', 'ſtore', 'Kelvin K Lab', 'Café ÉCOLE', '100% Juice_Bar', 'Back\\slash', 'kiosk'];
export const CATEGORIES = ['Groceries', 'Eating out', 'Σπίτι', 'Éducation', 'Fun_100%', 'none'];
export const ACCOUNTS = [
  { name: 'Visa Card', type: 'credit_card', currency: 'USD' },
  { name: 'Checking', type: 'checking', currency: 'USD' },
  { name: 'Ǆ Savings', type: 'savings', currency: 'USD' },
  { name: 'Yen Wallet', type: 'cash', currency: 'JPY' },
  { name: 'Dinar Box', type: 'cash', currency: 'BHD' },
] as const;
export const NOTES = ['lunch with team', 'REIMBURSE me', "it's 50% off", 'a_b c', 'path\\to', 'ΣΟΦΙΑ', 'σοφια', 'ǅ title', 'ǆ lower', 'ſhort', 'KELVIN', 'İz', 'line\nbreak', 'gift 2024', '[x] done', 'Straße'];
export const TAGS = ['reimbursable', 'Work', 'ΣΑΣ', 'tax'];
const AMOUNTS = [5000, -5000, 1234, -1234, 100, -100, 1, -1, 0, 2000, -2000, 99999, 1500, -1500];

export interface Fixture {
  ledgerId: string;
  accounts: { id: string; name: string; currency: string }[];
  categories: { id: string; name: string }[];
}

/** Days relative to `base`, as YYYY-MM-DD. */
export const dayOffset = (base: string, n: number) => new Date(Date.parse(`${base}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export async function buildRulesLedger(c: Container, actor: Actor, seed: number, count: number, baseDay: string): Promise<Fixture> {
  const r = createPrng(seed);
  const ledger = await c.ledgers.create(actor, { name: `rules ${seed}`, baseCurrency: 'USD' });
  const accounts = [];
  for (const a of ACCOUNTS) accounts.push(await c.accounts.create(actor, ledger.id, a));
  const group = await c.categories.createGroup(actor, ledger.id, { name: 'Everyday' });
  const categories: { id: string; name: string }[] = [];
  for (const name of CATEGORIES) categories.push(await c.categories.createCategory(actor, ledger.id, { name, groupId: group.id }));
  // Payees are inserted up front and given by id: findOrCreatePayee compares JavaScript's lower case with
  // PostgreSQL's and fails on the second use of a name like 'ΣΑΣ …' or 'İ…' (reported).
  const payeeRows = await c.db.kysely.insertInto('payees').values(PAYEES.map((name) => ({ ledger_id: ledger.id, name }))).returning('id').execute();
  const pending: string[] = [];
  for (let i = 0; i < count; i++) {
    const acct = r.pick(accounts);
    const day = dayOffset(baseDay, r.int(-120, 30));
    const amount = r.chance(450) ? r.pick(AMOUNTS) : r.int(-20000, 20000);
    const kind = r.int(0, 99);
    const common = {
      accountId: acct.id,
      postedOn: day,
      amountMinor: amount,
      payeeId: r.chance(850) ? r.pick(payeeRows).id : undefined,
      notes: r.chance(600) ? r.pick(NOTES) : null,
      tags: TAGS.filter(() => r.chance(250)),
      clearedState: r.pick(['uncleared', 'cleared', 'reconciled'] as const),
    };
    let created;
    if (kind < 10 && amount !== 0) {
      const n = r.int(2, 3);
      const first = Math.trunc(amount / n);
      const amounts = [...Array.from({ length: n - 1 }, () => first), amount - first * (n - 1)];
      created = await c.transactions.create(actor, ledger.id, {
        ...common,
        splits: amounts.map((a) => ({ amountMinor: a, categoryId: r.chance(700) ? r.pick(categories).id : null, notes: r.chance(400) ? r.pick(NOTES) : null })),
      });
    } else if (kind < 16 && acct.currency === 'USD') {
      const other = r.pick(accounts.filter((a) => a.currency === 'USD' && a.id !== acct.id));
      created = await c.transactions.create(actor, ledger.id, { ...common, transferAccountId: other.id });
    } else {
      created = await c.transactions.create(actor, ledger.id, { ...common, categoryId: r.chance(650) ? r.pick(categories).id : null });
    }
    if (r.chance(120)) pending.push(created.id);
  }
  // Halves of transfers not linked yet: opposite amounts in two USD accounts, 0-3 days apart (and a few decoys).
  const usd = accounts.filter((a) => a.currency === 'USD');
  const mover = (await c.db.kysely.insertInto('payees').values({ ledger_id: ledger.id, name: 'Move Money' }).returning('id').executeTakeFirstOrThrow()).id;
  for (let i = 0; i < Math.max(3, Math.floor(count / 12)); i++) {
    const [from, to] = [r.pick(usd), r.pick(usd)];
    const day = dayOffset(baseDay, r.int(-100, 20));
    const amount = r.pick([2500, 10000, 33333]);
    await c.transactions.create(actor, ledger.id, { accountId: from.id, postedOn: day, amountMinor: -amount, payeeId: mover, clearedState: r.pick(['uncleared', 'reconciled'] as const) });
    await c.transactions.create(actor, ledger.id, { accountId: to.id, postedOn: dayOffset(day, r.int(0, 3)), amountMinor: r.chance(850) ? amount : amount + 1, payeeId: mover, clearedState: r.pick(['uncleared', 'cleared', 'reconciled'] as const) });
  }
  if (pending.length > 0) await c.db.kysely.updateTable('transactions').set({ pending: true }).where('id', 'in', pending).execute();
  return { ledgerId: ledger.id, accounts: accounts.map((a) => ({ id: a.id, name: a.name, currency: a.currency })), categories };
}

/** Every top-level row of the ledger as the evaluator sees it. */
export async function evalRows(c: Container, ledgerId: string): Promise<(EvalRow & { id: string })[]> {
  const all = await c.db.kysely
    .selectFrom('transactions as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .leftJoin('payees as p', 'p.id', 't.payee_id')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .select(['t.id', 't.parent_id', 'a.name as account', 'a.currency', 't.posted_on', 't.amount_minor', 'p.name as payee', 'c.name as category', 't.notes', 't.tags', 't.cleared_state', 't.pending', 't.is_split', 't.transfer_peer_id'])
    .where('t.ledger_id', '=', ledgerId)
    .execute();
  const parts = new Map<string, { category: string | null; notes: string | null }[]>();
  for (const p of all) if (p.parent_id) parts.set(p.parent_id, [...(parts.get(p.parent_id) ?? []), { category: p.category, notes: p.notes }]);
  return all
    .filter((t) => !t.parent_id)
    .map((t) => ({
      id: t.id, account: t.account, currency: t.currency, postedOn: t.posted_on, amountMinor: BigInt(t.amount_minor), payee: t.payee, category: t.category,
      notes: t.notes, tags: t.tags, clearedState: t.cleared_state, pending: t.pending, isSplit: t.is_split, isTransfer: t.transfer_peer_id !== null, parts: parts.get(t.id) ?? [],
    }));
}
