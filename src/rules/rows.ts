// Transactions as rule states: loading them in keyset chunks, comparing a
// state before and after the rules, and writing the differences back in
// set-based statements (one UPDATE … FROM unnest(…) per kind of change).
import { sql, type Expression, type SqlBool } from 'kysely';
import type { ClearedState } from '../db/schema.ts';
import { upsertPayees } from '../imports/flow/imports.repository.ts';
import type { Executor } from '../shared/executor.ts';
import type { RowState } from './engine.ts';
import type { Program } from './program.ts';

export interface Scope {
  /** A compiled query over `transactions as t` (prepareQuery). */
  where?: Expression<SqlBool> | undefined;
  from?: string | undefined;
  to?: string | undefined;
  ids?: readonly string[] | undefined;
}

/** A loaded row: its rule state plus what identifies and places it. */
export interface LoadedRow {
  id: string;
  accountId: string;
  payeeId: string | null;
  state: RowState;
}

export const CHUNK = 20_000;
/** The first chunk is smaller: nothing else runs while it loads. */
export const FIRST_CHUNK = 5_000;
/** Changed rows are written once at least this many have been collected (history.ts). */
export const WRITE_BATCH = 10_000;

export interface RowWrite {
  id: string;
  before: RowState;
  after: RowState;
}

export const cloneState = (s: RowState): RowState => ({ ...s, tags: [...s.tags] });

async function partsOf(ex: Executor, ledgerId: string, parentIds: string[]) {
  const parts = new Map<string, { category_id: string | null; notes: string | null }[]>();
  if (parentIds.length === 0) return parts;
  const rows = await sql<{ parent_id: string; category_id: string | null; notes: string | null }>`
    select parent_id, category_id, notes from transactions
     where ledger_id = ${ledgerId}::uuid and parent_id = any(${parentIds}::uuid[])`.execute(ex);
  for (const r of rows.rows) {
    const l = parts.get(r.parent_id);
    if (l) l.push(r);
    else parts.set(r.parent_id, [r]);
  }
  return parts;
}

type RawRow = {
  id: string; account_id: string; posted_on: string; amount_minor: bigint | string; payee_id: string | null; payee: string | null; category_id: string | null;
  notes: string | null; tags: string[]; cleared_state: ClearedState; pending: boolean; is_split: boolean; transfer_peer_id: string | null;
};

/**
 * Up to `limit` top-level rows of the scope after `after`, oldest first.
 * With `json`, the chunk comes back as one JSON text (json_agg): the embedded
 * engine decodes a wide result row by row in JavaScript, and one JSON.parse
 * is several times faster there; PostgreSQL's driver is faster the plain way.
 */
export async function loadRows(ex: Executor, program: Program, scope: Scope, after: { d: string; id: string } | undefined, limit: number, json = false): Promise<LoadedRow[]> {
  const q = ex
    .selectFrom('transactions as t')
    .leftJoin('payees as p', 'p.id', 't.payee_id')
    .select(['t.id', 't.account_id', 't.posted_on', 't.amount_minor', 't.payee_id', 'p.name as payee', 't.category_id', 't.notes', 't.tags', 't.cleared_state', 't.pending', 't.is_split', 't.transfer_peer_id'])
    .where('t.ledger_id', '=', program.ledgerId)
    .where('t.parent_id', 'is', null)
    .$if(scope.where !== undefined, (q) => q.where(scope.where!))
    .$if(scope.from !== undefined, (q) => q.where('t.posted_on', '>=', scope.from!))
    .$if(scope.to !== undefined, (q) => q.where('t.posted_on', '<=', scope.to!))
    .$if(scope.ids !== undefined, (q) => q.where(sql<boolean>`t.id = any(${scope.ids!}::uuid[])`))
    .$if(after !== undefined, (q) => q.where(sql<boolean>`(t.posted_on, t.id) > (${after!.d}::date, ${after!.id}::uuid)`))
    .orderBy('t.posted_on')
    .orderBy('t.id')
    .limit(limit);
  let rows: RawRow[];
  if (json) {
    const r = await ex
      .selectFrom(q.as('x'))
      .select(sql<string>`coalesce(json_agg(json_build_array(x.id, x.account_id, x.posted_on, x.amount_minor::text, x.payee_id, x.payee, x.category_id, x.notes, x.tags, x.cleared_state, x.pending, x.is_split, x.transfer_peer_id) order by x.posted_on, x.id), '[]')::text`.as('j'))
      .executeTakeFirstOrThrow();
    rows = (JSON.parse(r.j) as unknown[][]).map((a) => ({
      id: a[0], account_id: a[1], posted_on: a[2], amount_minor: a[3], payee_id: a[4], payee: a[5], category_id: a[6], notes: a[7], tags: a[8], cleared_state: a[9], pending: a[10], is_split: a[11], transfer_peer_id: a[12],
    }) as RawRow);
  } else rows = await q.execute();
  const parts = await partsOf(ex, program.ledgerId, rows.filter((r) => r.is_split).map((r) => r.id));
  return rows.map((r) => {
    const account = program.accounts.get(r.account_id)!;
    return {
      id: r.id,
      accountId: r.account_id,
      payeeId: r.payee_id,
      state: {
        account: account.name,
        currency: account.currency,
        postedOn: r.posted_on,
        amountMinor: BigInt(r.amount_minor),
        payee: r.payee,
        category: r.category_id === null ? null : (program.categories.get(r.category_id) ?? null),
        categoryId: r.category_id,
        notes: r.notes,
        tags: r.tags,
        clearedState: r.cleared_state,
        pending: r.pending,
        isTransfer: r.transfer_peer_id !== null,
        isSplit: r.is_split,
        parts: (parts.get(r.id) ?? []).map((p) => ({ category: p.category_id === null ? null : (program.categories.get(p.category_id) ?? null), notes: p.notes })),
      },
    };
  });
}

export type ChangeField = 'payee' | 'category' | 'notes' | 'tags' | 'cleared_state' | 'transfer' | 'posted_on';

const sameTags = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The rule-editable fields that differ between two states. */
export function changedFields(before: RowState, after: RowState): ChangeField[] {
  const out: ChangeField[] = [];
  if (before.payee !== after.payee) out.push('payee');
  if (before.categoryId !== after.categoryId) out.push('category');
  if (before.notes !== after.notes) out.push('notes');
  if (!sameTags(before.tags, after.tags)) out.push('tags');
  if (before.clearedState !== after.clearedState) out.push('cleared_state');
  if (before.isTransfer !== after.isTransfer) out.push('transfer');
  if (before.postedOn !== after.postedOn) out.push('posted_on');
  return out;
}

/** PostgreSQL array literal of text values (each one quoted). */
export const textArrayLiteral = (xs: readonly string[]) => `{${xs.map((x) => `"${x.replace(/[\\"]/g, (c) => '\\' + c)}"`).join(',')}}`;

/**
 * Writes the rule-editable fields of changed rows (payee, category, notes,
 * tags, cleared state). Payees are resolved by name in bulk, created when
 * new. Rows whose payee or notes change go in their own statement, as only
 * those need the search-text trigger. Returns the number of payees created.
 */
export async function writeStates(ex: Executor, ledgerId: string, rows: readonly RowWrite[]): Promise<void> {
  if (rows.length === 0) return;
  const names = [...new Set(rows.flatMap((r) => (r.after.payee !== r.before.payee && r.after.payee !== null ? [r.after.payee] : [])))];
  const payeeIds = names.length > 0 ? await upsertPayees(ex, ledgerId, names) : new Map<string, string>();
  const text: typeof rows[number][] = [];
  const plain: typeof rows[number][] = [];
  for (const r of rows) (r.after.payee !== r.before.payee || r.after.notes !== r.before.notes ? text : plain).push(r);
  const cols = (list: typeof rows) => ({
    ids: list.map((r) => r.id),
    cats: list.map((r) => r.after.categoryId),
    tags: list.map((r) => textArrayLiteral(r.after.tags)),
    cleared: list.map((r) => r.after.clearedState as ClearedState),
  });
  if (text.length > 0) {
    const c = cols(text);
    // payee: the resolved id when the name changed; otherwise the row keeps its own (u.p null and u.keep).
    const payees = text.map((r) => (r.after.payee !== r.before.payee && r.after.payee !== null ? payeeIds.get(r.after.payee)! : null));
    const keep = text.map((r) => r.after.payee === r.before.payee);
    await sql`
      update transactions t
         set payee_id = case when u.keep then t.payee_id else u.p end, notes = u.n, category_id = u.c, tags = u.tg::text[], cleared_state = u.cs, updated_at = now()
        from unnest(${c.ids}::uuid[], ${payees}::uuid[], ${keep}::bool[], ${text.map((r) => r.after.notes)}::text[], ${c.cats}::uuid[], ${c.tags}::text[], ${c.cleared}::text[])
             as u(id, p, keep, n, c, tg, cs)
       where t.id = u.id and t.ledger_id = ${ledgerId}::uuid`.execute(ex);
  }
  if (plain.length > 0) {
    const c = cols(plain);
    await sql`
      update transactions t
         set category_id = u.c, tags = u.tg::text[], cleared_state = u.cs, updated_at = now()
        from unnest(${c.ids}::uuid[], ${c.cats}::uuid[], ${c.tags}::text[], ${c.cleared}::text[]) as u(id, c, tg, cs)
       where t.id = u.id and t.ledger_id = ${ledgerId}::uuid`.execute(ex);
  }
}

/** Marks this database transaction's updates as made by rules (they are not recorded as user recategorizations). */
export async function markRulesWriting(ex: Executor, on: boolean): Promise<void> {
  await sql`select set_config('finhub.rules_apply', ${on ? 'on' : 'off'}, true)`.execute(ex);
}
