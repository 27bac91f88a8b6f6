// Transaction queries. Every function is scoped by ledger_id; list queries are
// written so the partial indexes in the foundation migration apply.
import { sql, type Expression, type SqlBool } from 'kysely';
import type { ClearedState } from '../db/schema.ts';
import type { Executor } from '../shared/executor.ts';

export interface TxFilter {
  accountId?: string | undefined;
  categoryId?: string | 'uncategorized' | undefined;
  payeeId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  amountMin?: bigint | undefined;
  amountMax?: bigint | undefined;
  cleared?: ClearedState | undefined;
  text?: string | undefined;
  /** A compiled search query (src/query) over `transactions as t`. */
  where?: Expression<SqlBool> | undefined;
}

export const txColumns = [
  't.id', 't.ledger_id', 't.account_id', 't.posted_on', 't.amount_minor', 't.payee_id', 't.category_id', 't.notes', 't.tags',
  't.cleared_state', 't.imported_id', 't.import_batch_id', 't.parent_id', 't.is_split', 't.transfer_peer_id', 't.created_at', 't.updated_at',
] as const;

function base(ex: Executor, ledgerId: string) {
  return ex
    .selectFrom('transactions as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .leftJoin('payees as p', 'p.id', 't.payee_id')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .select([...txColumns, 'a.currency', 'p.name as payee_name', 'c.name as category_name'])
    .where('t.ledger_id', '=', ledgerId);
}

export type TxRow = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;

export const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;

export async function listTransactions(ex: Executor, ledgerId: string, f: TxFilter, after: { d: string; id: string } | undefined, limit: number) {
  const uncategorized = f.categoryId === 'uncategorized';
  const category = f.categoryId && !uncategorized ? f.categoryId : undefined;
  // The page is chosen from the transactions alone, then named: its rows only get their
  // account's currency and their payee and category names.
  const page = ex
    .selectFrom('transactions as t')
    .select(txColumns)
    .where('t.ledger_id', '=', ledgerId)
    .$if(uncategorized, (q) => q.where('t.category_id', 'is', null).where('t.is_split', '=', false).where('t.transfer_peer_id', 'is', null))
    .$if(category !== undefined, (q) => q.where('t.category_id', '=', category!))
    // Without a category filter the list is top-level rows; split parts appear under their parent.
    .$if(f.categoryId === undefined, (q) => q.where('t.parent_id', 'is', null))
    .$if(f.accountId !== undefined, (q) => q.where('t.account_id', '=', f.accountId!))
    .$if(f.payeeId !== undefined, (q) => q.where('t.payee_id', '=', f.payeeId!))
    .$if(f.from !== undefined, (q) => q.where('t.posted_on', '>=', f.from!))
    .$if(f.to !== undefined, (q) => q.where('t.posted_on', '<=', f.to!))
    .$if(f.amountMin !== undefined, (q) => q.where('t.amount_minor', '>=', f.amountMin!))
    .$if(f.amountMax !== undefined, (q) => q.where('t.amount_minor', '<=', f.amountMax!))
    .$if(f.cleared !== undefined, (q) => q.where('t.cleared_state', '=', f.cleared!))
    .$if(!!f.text, (q) => q.where('t.search_text', 'like', likePattern(f.text!)))
    .$if(f.where !== undefined, (q) => q.where(f.where!))
    .$if(after !== undefined, (q) =>
      q.where(sql<boolean>`(t.posted_on, t.id) < (${after!.d}::date, ${after!.id}::uuid)`),
    )
    .orderBy('t.posted_on', 'desc')
    .orderBy('t.id', 'desc')
    .limit(limit);
  // One primary-key lookup per row of the page for each name (as joins, the planner liked to
  // rescan whole small tables for every row instead).
  return ex
    .selectFrom(page.as('t'))
    .select([
      ...txColumns,
      sql<string>`(select a.currency from accounts a where a.id = t.account_id)`.as('currency'),
      sql<string | null>`(select p.name from payees p where p.id = t.payee_id)`.as('payee_name'),
      sql<string | null>`(select c.name from categories c where c.id = t.category_id)`.as('category_name'),
    ])
    .orderBy('t.posted_on', 'desc')
    .orderBy('t.id', 'desc')
    .execute();
}

export const getTransaction = (ex: Executor, ledgerId: string, id: string) => base(ex, ledgerId).where('t.id', '=', id).executeTakeFirst();

export const getSplitParts = (ex: Executor, ledgerId: string, parentIds: string[]) =>
  parentIds.length === 0
    ? Promise.resolve([] as TxRow[])
    : base(ex, ledgerId).where('t.parent_id', 'in', parentIds).orderBy('t.amount_minor').orderBy('t.id').execute();

export const getPeers = (ex: Executor, ledgerId: string, peerIds: string[]) =>
  peerIds.length === 0
    ? Promise.resolve([] as { id: string; account_id: string; amount_minor: bigint; currency: string; account_name: string }[])
    : ex
        .selectFrom('transactions as t')
        .innerJoin('accounts as a', 'a.id', 't.account_id')
        .select(['t.id', 't.account_id', 't.amount_minor', 'a.currency', 'a.name as account_name'])
        .where('t.ledger_id', '=', ledgerId)
        .where('t.id', 'in', peerIds)
        .execute();

/** Sum of an account's top-level rows strictly after (date, id) in list order — for running balances. */
export async function sumNewerThan(ex: Executor, accountId: string, d: string, id: string): Promise<bigint> {
  const r = await ex
    .selectFrom('transactions as t')
    .select(sql<bigint>`coalesce(sum(t.amount_minor), 0)::bigint`.as('s'))
    .where('t.account_id', '=', accountId)
    .where('t.parent_id', 'is', null)
    .where(sql<boolean>`(t.posted_on, t.id) > (${d}::date, ${id}::uuid)`)
    .executeTakeFirstOrThrow();
  return BigInt(r.s);
}
