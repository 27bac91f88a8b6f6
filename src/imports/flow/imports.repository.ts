// Queries of the import flow. Bulk reads and writes are set-based: rows travel
// as one array per column through unnest(), so a 100k-row statement costs a
// handful of statements, and no statement comes near PostgreSQL's 65535
// parameter limit (each array is one parameter).
import { sql } from 'kysely';
import type { ImportDecision, PriorPending } from '../../db/schema-parts/imports.ts';
import type { ClearedState } from '../../db/schema.ts';
import type { Executor } from '../../shared/executor.ts';
import type { ExistingRow } from './dedupe.ts';

/** Rows per bulk statement: bounds the size of one array parameter and of one statement's memory. */
export const CHUNK = 10_000;

function chunks<T>(xs: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** PostgreSQL array literal for one text[] value (tags), passed inside a text[] of literals. */
export function pgTextArrayLiteral(xs: readonly string[]): string {
  return `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

// ---------------------------------------------------------------- candidates

export interface CandidateQuery {
  accountId: string;
  /**
   * One entry per distinct amount of the statement: rows of that amount dated
   * between `from` and `to` (the statement's first and last date with that
   * amount, widened by the dedupe window) can be fuzzy matches.
   */
  amounts: { amount: bigint; from: string; to: string }[];
  /** Bank ids of the statement: rows carrying one, dated within [bankFrom, bankTo], can be exact matches. */
  bankIds: string[];
  bankFrom: string;
  bankTo: string;
}

const DAY_MS = 86_400_000;
const shiftDay = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Builds the query from the statement rows that take part in matching. */
export function candidateQuery(accountId: string, rows: readonly { postedOn: string; amountMinor: bigint; bankId?: string | undefined | null }[], windowDays: number, horizonDays: number): CandidateQuery | undefined {
  if (rows.length === 0) return undefined;
  const byAmount = new Map<bigint, { lo: string; hi: string }>();
  let lo = rows[0]!.postedOn;
  let hi = lo;
  const ids = new Set<string>();
  for (const r of rows) {
    if (r.postedOn < lo) lo = r.postedOn;
    if (r.postedOn > hi) hi = r.postedOn;
    if (r.bankId) ids.add(r.bankId);
    const e = byAmount.get(r.amountMinor);
    if (!e) byAmount.set(r.amountMinor, { lo: r.postedOn, hi: r.postedOn });
    else {
      if (r.postedOn < e.lo) e.lo = r.postedOn;
      if (r.postedOn > e.hi) e.hi = r.postedOn;
    }
  }
  const amounts = [...byAmount].map(([amount, e]) => ({ amount, from: shiftDay(e.lo, -windowDays), to: shiftDay(e.hi, windowDays) }));
  // A fixed order, so the same statement always gives the same query.
  amounts.sort((a, b) => (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0));
  return { accountId, amounts, bankIds: [...ids].sort(), bankFrom: shiftDay(lo, -horizonDays), bankTo: shiftDay(hi, horizonDays) };
}

/**
 * Ids of the candidate rows, as SQL: rows of one of the statement's amounts
 * near a statement date with that amount (a hash join against the amount
 * list), plus rows carrying one of its bank ids. Far fewer rows than the
 * whole date range when the account has years of history.
 */
function candidateIds(q: CandidateQuery) {
  return sql`
    select t.id from unnest(${q.amounts.map((a) => a.amount)}::bigint[], ${q.amounts.map((a) => a.from)}::date[], ${q.amounts.map((a) => a.to)}::date[]) as f(a, lo, hi)
      join transactions t on t.amount_minor = f.a and t.posted_on between f.lo and f.hi
     where t.account_id = ${q.accountId}::uuid and t.parent_id is null
    union
    select t.id from transactions t
     where t.account_id = ${q.accountId}::uuid and t.parent_id is null and t.imported_id = any(${q.bankIds}::text[])
       and t.posted_on between ${q.bankFrom}::date and ${q.bankTo}::date`;
}

/**
 * The account's top-level rows that can match the statement (see
 * candidateIds), with an order-independent digest of them for the commit's
 * "nothing changed since the preview" check. Dates and payee texts are
 * interned, so a large candidate set holds one copy of each repeated string.
 */
export async function fetchCandidates(ex: Executor, q: CandidateQuery): Promise<{ rows: ExistingRow[]; fingerprint: string }> {
  const out: ExistingRow[] = [];
  let hashSum = 0n;
  const strings = new Map<string, string>();
  const intern = (v: string | null): string | null => {
    if (v === null) return null;
    const hit = strings.get(v);
    if (hit !== undefined) return hit;
    strings.set(v, v);
    return v;
  };
  const r = await sql<{
    id: string; posted_on: string; amount_minor: bigint; payee: string | null; raw: string | null;
    imported_id: string | null; pending: boolean; cleared_state: ClearedState; is_split: boolean; transfer_peer_id: string | null; h: bigint;
  }>`
    select t.id, t.posted_on, t.amount_minor, p.name as payee, t.import_payee_raw as raw, t.imported_id,
           t.pending, t.cleared_state, t.is_split, t.transfer_peer_id, ${ROW_HASH} as h
      from transactions t left join payees p on p.id = t.payee_id
     where t.id in (${candidateIds(q)})`.execute(ex);
  for (const x of r.rows) {
    hashSum += BigInt(x.h);
    out.push({
      id: x.id,
      accountId: q.accountId,
      postedOn: intern(x.posted_on)!,
      amountMinor: BigInt(x.amount_minor),
      payee: intern(x.payee),
      rawPayee: intern(x.raw),
      bankId: x.imported_id,
      pending: x.pending,
      reconciled: x.cleared_state === 'reconciled',
      linked: x.is_split || x.transfer_peer_id !== null,
    });
  }
  // The same digest candidatesFingerprint computes in SQL: row count and the exact sum of the row hashes.
  return { rows: out, fingerprint: `${out.length}:${hashSum}` };
}

/**
 * An order-independent digest of the rows fetchCandidates returns (same
 * query), over the columns duplicate detection depends on: fetchCandidates
 * computes it while fetching; commit recomputes it here, with the query
 * rebuilt from the batch (candidateQueryOfBatch), under the account lock.
 */
export async function candidatesFingerprint(ex: Executor, q: CandidateQuery): Promise<string> {
  const r = await sql<{ fp: string }>`
    select ${FINGERPRINT} as fp from transactions t where t.id in (${candidateIds(q)})`.execute(ex);
  return r.rows[0]!.fp;
}

/**
 * The CandidateQuery a preview used, rebuilt from the batch's stored rows
 * (the rows that took part in matching: not the skipped ones), so commit can
 * recompute candidatesFingerprint with exactly the same query. Undefined when
 * no row took part.
 */
export async function candidateQueryOfBatch(ex: Executor, batchId: string, accountId: string, windowDays: number, horizonDays: number): Promise<CandidateQuery | undefined> {
  const r = await sql<{ posted_on: string; amount_minor: bigint; bank_id: string | null }>`
    select posted_on, amount_minor, bank_id from import_rows where batch_id = ${batchId}::uuid and proposed <> 'skipped'`.execute(ex);
  return candidateQuery(accountId, r.rows.map((x) => ({ postedOn: x.posted_on, amountMinor: BigInt(x.amount_minor), bankId: x.bank_id })), windowDays, horizonDays);
}

/** Per-row hash over the columns duplicate detection depends on. */
const ROW_HASH = sql<bigint>`hashtextextended(
  t.id::text || '|' || t.amount_minor::text || '|' || t.posted_on::text || '|' || coalesce(t.imported_id, '') || '|' ||
  t.pending::text || '|' || t.cleared_state || '|' || coalesce(t.payee_id::text, '') || '|' || coalesce(t.import_payee_raw, '') || '|' ||
  t.is_split::text || '|' || coalesce(t.transfer_peer_id::text, ''), 0)`;
const FINGERPRINT = sql<string>`count(t.id)::text || ':' || coalesce(sum(${ROW_HASH}::numeric), 0)::text`;

// ---------------------------------------------------------------- import rows

export interface ImportRowInsert {
  rowIndex: number;
  sourceLine: number;
  postedOn: string;
  amountMinor: bigint;
  payee: string | null;
  memo: string | null;
  bankId: string | null;
  checkNumber: string | null;
  pending: boolean;
  kind: string | null;
  decision: ImportDecision;
  reasonCode: string;
  reason: string;
  matchedId: string | null;
  txId: string | null;
}

export async function insertImportRows(ex: Executor, batchId: string, rows: readonly ImportRowInsert[]): Promise<void> {
  for (const c of chunks(rows)) {
    await sql`
      insert into import_rows (batch_id, row_index, source_line, posted_on, amount_minor, payee, memo, bank_id, check_number, pending, kind,
                               decision, proposed, reason_code, reason, matched_transaction_id, tx_id)
      select ${batchId}::uuid, u.i, u.l, u.d, u.a, u.p, u.m, u.b, u.c, u.pe, u.k, u.dec, u.dec, u.rc, u.r, u.mt, u.tx
        from unnest(${c.map((r) => r.rowIndex)}::int[], ${c.map((r) => r.sourceLine)}::int[], ${c.map((r) => r.postedOn)}::date[],
                    ${c.map((r) => r.amountMinor)}::bigint[], ${c.map((r) => r.payee)}::text[], ${c.map((r) => r.memo)}::text[],
                    ${c.map((r) => r.bankId)}::text[], ${c.map((r) => r.checkNumber)}::text[], ${c.map((r) => r.pending)}::bool[],
                    ${c.map((r) => r.kind)}::text[], ${c.map((r) => r.decision)}::text[], ${c.map((r) => r.reasonCode)}::text[],
                    ${c.map((r) => r.reason)}::text[], ${c.map((r) => r.matchedId)}::uuid[], ${c.map((r) => r.txId)}::uuid[])
             as u(i, l, d, a, p, m, b, c, pe, k, dec, rc, r, mt, tx)`.execute(ex);
  }
}

export const importRowColumns = [
  'row_index', 'source_line', 'posted_on', 'amount_minor', 'payee', 'memo', 'bank_id', 'check_number', 'pending', 'kind',
  'decision', 'proposed', 'reason_code', 'reason', 'matched_transaction_id', 'tx_id',
] as const;

export function listImportRows(ex: Executor, batchId: string, opts: { decision?: ImportDecision | undefined; afterIndex?: number | undefined; limit: number }) {
  return ex
    .selectFrom('import_rows')
    .select(importRowColumns)
    .where('batch_id', '=', batchId)
    .$if(opts.decision !== undefined, (q) => q.where('decision', '=', opts.decision!))
    .$if(opts.afterIndex !== undefined, (q) => q.where('row_index', '>', opts.afterIndex!))
    .orderBy('row_index')
    .limit(opts.limit)
    .execute();
}

export type ImportRowView = Awaited<ReturnType<typeof listImportRows>>[number];

export async function decisionCounts(ex: Executor, batchId: string): Promise<Record<ImportDecision, number>> {
  const rows = await ex
    .selectFrom('import_rows')
    .select(['decision', (eb) => eb.fn.countAll<bigint>().as('n')])
    .where('batch_id', '=', batchId)
    .groupBy('decision')
    .execute();
  const out: Record<ImportDecision, number> = { new: 0, duplicate: 0, conflict: 0, skipped: 0, replace_pending: 0 };
  for (const r of rows) out[r.decision] = Number(r.n);
  return out;
}

/** Applies per-row overrides (skip a row, or import it as new) in one statement. */
export async function applyOverrides(ex: Executor, batchId: string, overrides: readonly { rowIndex: number; decision: ImportDecision; reasonCode: string; reason: string }[]): Promise<void> {
  for (const c of chunks(overrides)) {
    await sql`
      update import_rows r set decision = u.dec, reason_code = u.rc, reason = u.r
        from unnest(${c.map((o) => o.rowIndex)}::int[], ${c.map((o) => o.decision)}::text[], ${c.map((o) => o.reasonCode)}::text[], ${c.map((o) => o.reason)}::text[]) as u(i, dec, rc, r)
       where r.batch_id = ${batchId}::uuid and r.row_index = u.i`.execute(ex);
  }
}

export async function savePriors(ex: Executor, batchId: string, priors: readonly { rowIndex: number; prior: PriorPending }[]): Promise<void> {
  for (const c of chunks(priors)) {
    await sql`
      update import_rows r set prior = u.p::jsonb
        from unnest(${c.map((o) => o.rowIndex)}::int[], ${c.map((o) => JSON.stringify(o.prior))}::text[]) as u(i, p)
       where r.batch_id = ${batchId}::uuid and r.row_index = u.i`.execute(ex);
  }
}

// ---------------------------------------------------------------- writing transactions

export interface TxInsert {
  id: string;
  postedOn: string;
  amountMinor: bigint;
  payeeId: string | null;
  categoryId: string | null;
  notes: string | null;
  tags: string[];
  cleared: ClearedState;
  bankId: string | null;
  pending: boolean;
  rawPayee: string | null;
}

export async function insertTransactions(ex: Executor, ledgerId: string, accountId: string, batchId: string, rows: readonly TxInsert[], onChunk?: (done: number) => void): Promise<void> {
  let done = 0;
  for (const c of chunks(rows)) {
    await sql`
      insert into transactions (id, ledger_id, account_id, posted_on, amount_minor, payee_id, category_id, notes, tags, cleared_state,
                                imported_id, import_batch_id, pending, import_payee_raw, search_text)
      select u.id, ${ledgerId}::uuid, ${accountId}::uuid, u.d, u.a, u.p, u.c, u.n, u.tg::text[], u.cl, u.b, ${batchId}::uuid, u.pe, u.r,
             -- the same text finhub_tx_search_text() would compute, so its per-row trigger is skipped (see the imports migration)
             lower(coalesce(p.name, '') || ' ' || coalesce(u.n, ''))
        from unnest(${c.map((r) => r.id)}::uuid[], ${c.map((r) => r.postedOn)}::date[], ${c.map((r) => r.amountMinor)}::bigint[],
                    ${c.map((r) => r.payeeId)}::uuid[], ${c.map((r) => r.categoryId)}::uuid[], ${c.map((r) => r.notes)}::text[],
                    ${c.map((r) => pgTextArrayLiteral(r.tags))}::text[], ${c.map((r) => r.cleared)}::text[], ${c.map((r) => r.bankId)}::text[],
                    ${c.map((r) => r.pending)}::bool[], ${c.map((r) => r.rawPayee)}::text[])
             as u(id, d, a, p, c, n, tg, cl, b, pe, r)
        left join payees p on p.id = u.p`.execute(ex);
    done += c.length;
    onChunk?.(done);
  }
}

/**
 * Payee ids by name (as given), creating the missing payees. Existing names
 * are reused case-insensitively as the database compares them
 * (payees_name_key is unique on lower(name)); PostgreSQL's lower() does the
 * grouping, so it always agrees with that index. One upsert returns every row:
 * the no-op DO UPDATE makes RETURNING include the payees that already existed.
 * (Looking them up by lower(name) = any(...) gets planned on the trigram index
 * and takes a minute for a few thousand names.)
 */
export async function upsertPayees(ex: Executor, ledgerId: string, names: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of chunks([...new Set(names)])) {
    // PostgreSQL's lower() of every name (it can differ from JavaScript's outside ASCII), then one upsert
    // per distinct key; the two are matched here rather than by a join the planner may turn into a nested loop.
    const keys = await sql<{ n: string; k: string }>`select n, lower(n) as k from unnest(${c}::text[]) as x(n)`.execute(ex);
    const firstByKey = new Map<string, string>();
    for (const r of keys.rows) if (!firstByKey.has(r.k)) firstByKey.set(r.k, r.n);
    const ids = await sql<{ id: string; k: string }>`
      insert into payees (ledger_id, name)
      select ${ledgerId}::uuid, n from unnest(${[...firstByKey.values()]}::text[]) as x(n)
      on conflict (ledger_id, lower(name)) do update set name = payees.name
      returning id, lower(name) as k`.execute(ex);
    const idByKey = new Map(ids.rows.map((r) => [r.k, r.id]));
    for (const r of keys.rows) {
      const id = idByKey.get(r.k);
      if (id) out.set(r.n, id);
    }
  }
  return out;
}

// ---------------------------------------------------------------- balances

/** opening balance + every top-level row dated on or before `date`. */
export async function balanceAsOf(ex: Executor, accountId: string, date: string): Promise<bigint> {
  // tx_sum_minor holds all rows; subtracting the (usually few) later rows is cheaper than summing the earlier ones.
  const r = await sql<{ b: bigint }>`
    select (a.opening_balance_minor + a.tx_sum_minor - coalesce((
              select sum(t.amount_minor) from transactions t
               where t.account_id = a.id and t.parent_id is null and t.posted_on > ${date}::date), 0))::bigint as b
      from accounts a where a.id = ${accountId}::uuid`.execute(ex);
  return BigInt(r.rows[0]!.b);
}
