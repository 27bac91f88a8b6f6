// Writes a generated household (demo-data.ts) into one ledger through ordinary
// multi-row INSERTs. Ids are generated here (crypto.randomUUID) so that rows
// that refer to each other — both sides of a transfer, a split parent and its
// parts — can go into the same statement: the foreign keys on parent_id and
// transfer_peer_id are checked at the end of each statement, and the deferred
// split/transfer triggers at commit. A group is never divided between two
// statements. Nothing is disabled: the database checks every row as usual.
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, TransactionsTable } from '../db/schema.ts';
import type { DemoHousehold, DemoTx } from './demo-data.ts';

export interface LoadHouseholdOptions {
  ledgerId: string;
  data: DemoHousehold;
  /** Rows per INSERT statement (default 1000, at most 5000: 13 parameters a row, 65535 per statement). */
  batchSize?: number;
}

export interface LoadHouseholdResult {
  accounts: number;
  categoryGroups: number;
  categories: number;
  payees: number;
  /** Every inserted transactions row: both sides of each transfer, split parents and their parts. */
  transactions: number;
}

type Executor = Kysely<Database> | Transaction<Database>;
type TxRow = Insertable<TransactionsTable>;

/** Largest batch that keeps a statement under PostgreSQL's 65535 bind parameters. */
export const MAX_LOAD_BATCH = 5000;

/**
 * Inserts the household into the ledger. Given a Transaction, the load joins
 * it and the caller commits or rolls back; given a Kysely instance, the load
 * runs in a transaction of its own so that it lands whole or not at all.
 */
export async function loadHousehold(executor: Executor, opts: LoadHouseholdOptions): Promise<LoadHouseholdResult> {
  const batchSize = opts.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_LOAD_BATCH) {
    throw new RangeError(`batchSize must be an integer between 1 and ${MAX_LOAD_BATCH}`);
  }
  if (executor.isTransaction) return load(executor, opts.ledgerId, opts.data, batchSize);
  return executor.transaction().execute((tx) => load(tx, opts.ledgerId, opts.data, batchSize));
}

async function insertChunks<T>(rows: T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

async function load(tx: Executor, ledgerId: string, data: DemoHousehold, batchSize: number): Promise<LoadHouseholdResult> {
  // ---- Reference data, with ids chosen up front ------------------------------
  const accountIds = new Map<string, string>();
  const accountRows = data.accounts.map((a) => {
    if (accountIds.has(a.key)) throw new Error(`duplicate account key "${a.key}"`);
    const id = randomUUID();
    accountIds.set(a.key, id);
    return {
      id, ledger_id: ledgerId, name: a.name, type: a.type, currency: a.currency,
      opening_balance_minor: a.openingBalanceMinor, opened_on: a.openedOn,
    };
  });

  const categoryIds = new Map<string, string>();
  const groupRows = data.categoryGroups.map((g, n) => ({ id: randomUUID(), ledger_id: ledgerId, name: g.name, is_income: g.isIncome, sort_order: n }));
  const categoryRows = data.categoryGroups.flatMap((g, n) =>
    g.categories.map((name, k) => {
      if (categoryIds.has(name)) throw new Error(`duplicate category "${name}"`);
      const id = randomUUID();
      categoryIds.set(name, id);
      return { id, ledger_id: ledgerId, group_id: (groupRows[n] as { id: string }).id, name, sort_order: k };
    }),
  );

  const payeeIds = new Map<string, string>();
  const payeeRows = data.payees.map((name) => {
    if (payeeIds.has(name)) throw new Error(`duplicate payee "${name}"`);
    const id = randomUUID();
    payeeIds.set(name, id);
    return { id, ledger_id: ledgerId, name };
  });

  const account = (key: string): string => {
    const id = accountIds.get(key);
    if (id === undefined) throw new Error(`transaction refers to unknown account "${key}"`);
    return id;
  };
  const category = (name: string | null): string | null => {
    if (name === null) return null;
    const id = categoryIds.get(name);
    if (id === undefined) throw new Error(`transaction refers to unknown category "${name}"`);
    return id;
  };
  const payee = (name: string | null): string | null => {
    if (name === null) return null;
    const id = payeeIds.get(name);
    if (id === undefined) throw new Error(`transaction refers to unknown payee "${name}"`);
    return id;
  };

  await insertChunks(accountRows, batchSize, (c) => tx.insertInto('accounts').values(c).execute());
  await insertChunks(groupRows, batchSize, (c) => tx.insertInto('category_groups').values(c).execute());
  await insertChunks(categoryRows, batchSize, (c) => tx.insertInto('categories').values(c).execute());
  await insertChunks(payeeRows, batchSize, (c) => tx.insertInto('payees').values(c).execute());

  // ---- Transactions, grouped so that linked rows share a statement ------------------
  const row = (t: DemoTx, over: Partial<TxRow> & Pick<TxRow, 'id' | 'account_id' | 'amount_minor'>): TxRow => ({
    ledger_id: ledgerId,
    posted_on: t.postedOn,
    payee_id: payee(t.payee),
    category_id: null,
    notes: t.notes,
    tags: t.tags,
    cleared_state: t.cleared,
    parent_id: null,
    is_split: false,
    transfer_peer_id: null,
    ...over,
  });

  /** The rows one DemoTx becomes: one, a transfer pair, or a split parent followed by its parts. */
  const expand = (t: DemoTx): TxRow[] => {
    const id = randomUUID();
    if (t.transfer) {
      if (t.splits) throw new Error('a transfer cannot also be a split');
      const peer = randomUUID();
      return [
        row(t, { id, account_id: account(t.accountKey), amount_minor: t.amountMinor, category_id: category(t.category), transfer_peer_id: peer }),
        row(t, { id: peer, account_id: account(t.transfer.toAccountKey), amount_minor: t.transfer.amountMinor, transfer_peer_id: id }),
      ];
    }
    if (t.splits && t.splits.length > 0) {
      const accountId = account(t.accountKey);
      const parts = t.splits.map((s) =>
        row(t, { id: randomUUID(), account_id: accountId, amount_minor: s.amountMinor, category_id: category(s.category), notes: s.notes ?? null, tags: [], parent_id: id }),
      );
      return [row(t, { id, account_id: accountId, amount_minor: t.amountMinor, is_split: true }), ...parts];
    }
    return [row(t, { id, account_id: account(t.accountKey), amount_minor: t.amountMinor, category_id: category(t.category) })];
  };

  let inserted = 0;
  let batch: TxRow[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await tx.insertInto('transactions').values(rows).execute();
    inserted += rows.length;
  };
  for (const t of data.transactions) {
    const group = expand(t);
    // A group larger than a whole batch goes alone; otherwise it never straddles two statements.
    if (batch.length > 0 && batch.length + group.length > batchSize) await flush();
    for (const r of group) batch.push(r);
  }
  await flush();

  return {
    accounts: accountRows.length,
    categoryGroups: groupRows.length,
    categories: categoryRows.length,
    payees: payeeRows.length,
    transactions: inserted,
  };
}
