// Shared setup for import-flow tests: a real app and database, a user with a
// ledger and accounts, and builders for Statements (the parsers' output type;
// tests construct them directly so the flow is tested without the parsers).
import type { Actor } from '../../src/auth/actor.ts';
import type { Statement, StatementTransaction } from '../../src/imports/statement.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

export interface Books {
  t: TestApp;
  actor: Actor;
  user: { id: string; token: string; headers: Record<string, string> };
  ledgerId: string;
  checking: string;
  savings: string;
  card: string;
  euro: string;
}

export async function setupBooks(env: Record<string, string> = {}): Promise<Books> {
  return newBooks(await createTestApp(env));
}

/** A fresh user with a fresh ledger (USD) and four accounts, in an existing app. */
export async function newBooks(t: TestApp): Promise<Books> {
  const user = await t.user();
  const actor: Actor = { userId: user.id, isAdmin: false, via: 'cli' };
  const ledger = await t.c.ledgers.create(actor, { name: 'Household', baseCurrency: 'USD' });
  const mk = async (name: string, type: string, currency = 'USD') => (await t.c.accounts.create(actor, ledger.id, { name, type, currency })).id;
  return {
    t, actor, user, ledgerId: ledger.id,
    checking: await mk('Checking', 'checking'),
    savings: await mk('Savings', 'savings'),
    card: await mk('Visa', 'credit_card'),
    euro: await mk('Euro account', 'checking', 'EUR'),
  };
}

/** A manual (non-imported) transaction, through the ledger service. */
export async function manual(b: Books, accountId: string, postedOn: string, amountMinor: number, extra: { payeeName?: string; notes?: string; clearedState?: 'uncleared' | 'cleared' | 'reconciled' } = {}) {
  return b.t.c.transactions.create(b.actor, b.ledgerId, { accountId, postedOn, amountMinor, ...extra });
}

export type Tx = Partial<StatementTransaction> & { postedOn: string; amountMinor: bigint };

export function statement(rows: Tx[], extra: Partial<Statement> = {}): Statement {
  return {
    format: 'ofx2',
    encoding: { used: 'utf-8' },
    account: { currency: 'USD', accountId: '123456' },
    balances: [],
    warnings: [],
    ...extra,
    transactions: rows.map((r, i) => ({ sourceLine: 10 + i * 7, pending: false, ...r })),
  };
}

/** Top-level transactions of an account, oldest first. */
export async function accountRows(b: Books, accountId: string) {
  return b.t.c.db.kysely
    .selectFrom('transactions as t')
    .leftJoin('payees as p', 'p.id', 't.payee_id')
    .select(['t.id', 't.posted_on', 't.amount_minor', 't.imported_id', 't.import_batch_id', 't.pending', 't.cleared_state', 't.notes', 't.category_id', 't.transfer_peer_id', 'p.name as payee'])
    .where('t.account_id', '=', accountId)
    .where('t.parent_id', 'is', null)
    .orderBy('t.posted_on')
    .orderBy('t.amount_minor')
    .execute();
}

export async function countAll(b: Books) {
  const k = b.t.c.db.kysely;
  const [tx, batches, rows, payees] = await Promise.all([
    k.selectFrom('transactions').select((e) => e.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow(),
    k.selectFrom('import_batches').select((e) => e.fn.countAll<bigint>().as('n')).where('status', '=', 'committed').executeTakeFirstOrThrow(),
    k.selectFrom('import_rows').select((e) => e.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow(),
    k.selectFrom('payees').select((e) => e.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { transactions: Number(tx.n), committedBatches: Number(batches.n), importRows: Number(rows.n), payees: Number(payees.n) };
}

export async function balance(b: Books, accountId: string): Promise<bigint> {
  const a = await b.t.c.db.kysely.selectFrom('accounts').select(['opening_balance_minor', 'tx_sum_minor']).where('id', '=', accountId).executeTakeFirstOrThrow();
  return BigInt(a.opening_balance_minor) + BigInt(a.tx_sum_minor);
}
