// What a report's `q` means for where its numbers may come from. A query that
// only names accounts and transfers (`account:visa`, `-is:transfer`, OR and NOT
// of those) is a condition on rollup keys, so the monthly rollups still answer
// it; any other query is compiled to SQL and the report scans the base rows.
import { sql, type Expression, type SqlBool } from 'kysely';
import type { QueryNode } from '../query/ast.ts';
import { QuerySyntaxError, queryAppError } from '../query/errors.ts';
import { parseQuery } from '../query/parser.ts';
import { prepareQuery } from '../query/prepare.ts';
import type { Executor } from '../shared/executor.ts';

export interface AccountInfo {
  id: string;
  name: string;
  /** lower(name) as the database computes it (what `account:` compares against). */
  lower_name: string;
  type: string;
  currency: string;
  opening_balance_minor: bigint;
  opened_on: string | null;
  tx_sum_minor: bigint;
}

/** Which (account, transfer-or-not) keys the rollups may include. */
export type KeyTest = (accountId: string, isTransfer: boolean) => boolean;

export type ReportFilter =
  /** No query: every row. */
  | { kind: 'all' }
  /** A query over rollup keys only. */
  | { kind: 'keys'; test: KeyTest; text: string }
  /** Any other query: base rows matching `where` (over `transactions as t`). */
  | { kind: 'scan'; where: Expression<SqlBool>; text: string };

function keysOnly(n: QueryNode): boolean {
  switch (n.kind) {
    case 'and':
    case 'or':
      return n.items.every(keysOnly);
    case 'not':
      return keysOnly(n.item);
    case 'text':
      return false;
    case 'field':
      return n.field === 'account' || (n.field === 'is' && n.value === 'transfer');
  }
}

function evalKeys(n: QueryNode, account: AccountInfo, isTransfer: boolean): boolean {
  switch (n.kind) {
    case 'and':
      return n.items.every((i) => evalKeys(i, account, isTransfer));
    case 'or':
      return n.items.some((i) => evalKeys(i, account, isTransfer));
    case 'not':
      return !evalKeys(n.item, account, isTransfer);
    case 'field':
      // Same comparison as the SQL compiler: lower(name) LIKE '%' || lower-cased value || '%'.
      if (n.field === 'account') return account.lower_name.includes(n.value.toLowerCase());
      return isTransfer;
    case 'text':
      return false;
  }
}

/** Turns `q` into a filter; a bad query is a 400 QUERY_INVALID on /query/q. */
export async function reportFilter(ex: Executor, ledgerId: string, q: string | undefined, accounts: AccountInfo[], now: Date, field = '/query/q'): Promise<ReportFilter> {
  const text = q?.trim() ?? '';
  if (text === '') return { kind: 'all' };
  let root: QueryNode | undefined;
  try {
    root = parseQuery(text).root;
  } catch (e) {
    if (e instanceof QuerySyntaxError) throw queryAppError(e, field);
    throw e;
  }
  if (!root) return { kind: 'all' };
  if (keysOnly(root)) {
    const byId = new Map(accounts.map((a) => [a.id, a]));
    const r = root;
    return { kind: 'keys', text, test: (id, isTransfer) => { const a = byId.get(id); return a !== undefined && evalKeys(r, a, isTransfer); } };
  }
  const compiled = await prepareQuery(ex, ledgerId, text, { now, field });
  return compiled.where ? { kind: 'scan', where: compiled.where, text } : { kind: 'all' };
}

/** SQL condition on `alias.account_id` / transfer flag for a key filter (undefined: no condition). */
export function keyCondition(f: ReportFilter, accounts: AccountInfo[], accountCol: string, transferExpr: string) {
  if (f.kind !== 'keys') return undefined;
  const both: string[] = [];
  const plain: string[] = [];
  const transfers: string[] = [];
  for (const a of accounts) {
    const p = f.test(a.id, false);
    const t = f.test(a.id, true);
    if (p && t) both.push(a.id);
    else if (p) plain.push(a.id);
    else if (t) transfers.push(a.id);
  }
  if (both.length === accounts.length) return undefined;
  const acc = sql.ref(accountCol);
  const tr = sql.raw(transferExpr);
  const parts = [
    ...(both.length ? [sql<SqlBool>`${acc} in (${sql.join(both)})`] : []),
    ...(plain.length ? [sql<SqlBool>`(${acc} in (${sql.join(plain)}) and not ${tr})`] : []),
    ...(transfers.length ? [sql<SqlBool>`(${acc} in (${sql.join(transfers)}) and ${tr})`] : []),
  ];
  return parts.length === 0 ? sql<SqlBool>`false` : sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

