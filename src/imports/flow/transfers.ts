// Transfers across accounts (issue 3, item 8): after a commit, rows of the
// batch that have an opposite twin in another account of the same ledger
// (same currency, amount exactly negated, dates within the dedupe window,
// neither side a transfer or a split yet) are offered as transfer pairs.
// Linking a pair reuses the ledger's transfer model: both rows point at each
// other (transactions.transfer_peer_id), which the deferred constraint trigger
// checks at COMMIT.
import { sql } from 'kysely';
import type { Executor } from '../../shared/executor.ts';
import { dayNumber } from './dedupe.ts';
import type { TransferSuggestion } from './views.ts';

/** Suggestions kept per batch; more are very unlikely to be reviewed one by one. */
export const MAX_TRANSFER_SUGGESTIONS = 500;

export interface WrittenRow {
  id: string;
  postedOn: string;
  amountMinor: bigint;
}

/** Candidate pairs kept per imported row (the nearest dates). */
const PAIRS_PER_ROW = 16;

/**
 * Pairs for the rows a commit just wrote into `accountId`. The other sides
 * are fetched in one query (amount = any(negated amounts), no join between
 * the two sets: a join over a freshly imported table gets planned as a nested
 * loop before statistics catch up) and paired here: nearest dates first,
 * one-to-one.
 */
export async function suggestTransfers(ex: Executor, ledgerId: string, accountId: string, written: readonly WrittenRow[], windowDays: number): Promise<TransferSuggestion[]> {
  const rows = written.filter((r) => r.amountMinor !== 0n);
  if (rows.length === 0) return [];
  const acct = await ex.selectFrom('accounts').select('currency').where('id', '=', accountId).executeTakeFirst();
  if (!acct) return [];
  let lo = rows[0]!.postedOn;
  let hi = lo;
  for (const r of rows) {
    if (r.postedOn < lo) lo = r.postedOn;
    if (r.postedOn > hi) hi = r.postedOn;
  }
  const shift = (d: string, n: number) => new Date((dayNumber(d) + n) * 86_400_000).toISOString().slice(0, 10);
  const others = await sql<{ id: string; account_id: string; account_name: string; posted_on: string; amount_minor: bigint }>`
    select t.id, t.account_id, a.name as account_name, t.posted_on, t.amount_minor
      from transactions t join accounts a on a.id = t.account_id
     where t.ledger_id = ${ledgerId}::uuid and t.account_id <> ${accountId}::uuid and a.currency = ${acct.currency}
       and t.parent_id is null and t.transfer_peer_id is null and not t.is_split
       and t.posted_on between ${shift(lo, -windowDays)}::date and ${shift(hi, windowDays)}::date
       and t.amount_minor = any(${[...new Set(rows.map((r) => -r.amountMinor))]}::bigint[])`.execute(ex);
  const byAmount = new Map<number, typeof others.rows>();
  for (const o of others.rows) {
    const key = Number(o.amount_minor);
    const l = byAmount.get(key);
    if (l) l.push(o);
    else byAmount.set(key, [o]);
  }
  type Pair = { a: WrittenRow; b: (typeof others.rows)[number]; dd: number };
  const pairs: Pair[] = [];
  for (const a of rows) {
    const list = byAmount.get(-Number(a.amountMinor));
    if (!list) continue;
    const day = dayNumber(a.postedOn);
    const mine = list.map((b) => ({ a, b, dd: Math.abs(dayNumber(b.posted_on) - day) })).filter((p) => p.dd <= windowDays);
    mine.sort((p, q) => p.dd - q.dd);
    pairs.push(...mine.slice(0, PAIRS_PER_ROW));
  }
  pairs.sort((p, q) => p.dd - q.dd || (p.a.postedOn < q.a.postedOn ? -1 : p.a.postedOn > q.a.postedOn ? 1 : 0) || (p.a.id < q.a.id ? -1 : 1) || (p.b.id < q.b.id ? -1 : 1));
  const used = new Set<string>();
  const out: TransferSuggestion[] = [];
  for (const p of pairs) {
    if (used.has(p.a.id) || used.has(p.b.id)) continue;
    used.add(p.a.id);
    used.add(p.b.id);
    out.push({
      transaction_id: p.a.id, account_id: accountId, posted_on: p.a.postedOn, amount_minor: Number(p.a.amountMinor),
      peer_id: p.b.id, peer_account_id: p.b.account_id, peer_account_name: p.b.account_name, peer_posted_on: p.b.posted_on, peer_amount_minor: Number(p.b.amount_minor),
      days_apart: p.dd,
    });
    if (out.length >= MAX_TRANSFER_SUGGESTIONS) break;
  }
  return out;
}

export interface LinkOutcome {
  transaction_id: string;
  peer_id: string;
  linked: boolean;
  posted_on?: string;
  reason?: string;
}

/**
 * Links each pair as a transfer. Rows must be in this ledger, top-level, not
 * split, not already transfers, in different accounts of one currency with
 * exactly opposite amounts, and one of them must belong to the batch. A
 * transfer's two rows share one date: the earlier of the two (money leaves
 * before it arrives), unless one side is reconciled, whose date then wins
 * (reconciled rows are not changed). Pairs that do not qualify are reported,
 * not linked.
 */
export async function linkPairs(tx: Executor, ledgerId: string, batchId: string, pairs: readonly { transactionId: string; peerId: string }[]): Promise<LinkOutcome[]> {
  const ids = [...new Set(pairs.flatMap((p) => [p.transactionId, p.peerId]))];
  const rows = ids.length === 0 ? [] : await tx
    .selectFrom('transactions as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .select(['t.id', 't.account_id', 't.posted_on', 't.amount_minor', 't.parent_id', 't.is_split', 't.transfer_peer_id', 't.cleared_state', 't.import_batch_id', 'a.currency'])
    .where('t.ledger_id', '=', ledgerId)
    .where('t.id', 'in', ids)
    .forUpdate()
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const used = new Set<string>();
  const out: LinkOutcome[] = [];
  for (const p of pairs) {
    const a = byId.get(p.transactionId);
    const b = byId.get(p.peerId);
    const refuse = (reason: string) => out.push({ transaction_id: p.transactionId, peer_id: p.peerId, linked: false, reason });
    if (!a || !b) { refuse('no such transaction in this ledger'); continue; }
    if (a.id === b.id) { refuse('a transfer needs two different transactions'); continue; }
    if (a.import_batch_id !== batchId && b.import_batch_id !== batchId) { refuse('neither transaction belongs to this import'); continue; }
    if (used.has(a.id) || used.has(b.id)) { refuse('a transaction appears in more than one pair'); continue; }
    if (a.parent_id || b.parent_id || a.is_split || b.is_split) { refuse('split transactions and their parts cannot be transfers'); continue; }
    if (a.transfer_peer_id || b.transfer_peer_id) { refuse('already a transfer'); continue; }
    if (a.account_id === b.account_id) { refuse('both transactions are in the same account'); continue; }
    if (a.currency !== b.currency) { refuse(`the accounts have different currencies (${a.currency}, ${b.currency}); create a cross-currency transfer by hand`); continue; }
    if (BigInt(a.amount_minor) !== -BigInt(b.amount_minor)) { refuse('the amounts do not cancel out'); continue; }
    const aRec = a.cleared_state === 'reconciled';
    const bRec = b.cleared_state === 'reconciled';
    if (aRec && bRec && a.posted_on !== b.posted_on) { refuse('both rows are reconciled and their dates differ'); continue; }
    const date = aRec ? a.posted_on : bRec ? b.posted_on : a.posted_on < b.posted_on ? a.posted_on : b.posted_on;
    used.add(a.id);
    used.add(b.id);
    await sql`
      update transactions t set transfer_peer_id = v.peer, posted_on = ${date}::date, category_id = null, updated_at = now()
        from (values (${a.id}::uuid, ${b.id}::uuid), (${b.id}::uuid, ${a.id}::uuid)) as v(id, peer)
       where t.id = v.id and t.ledger_id = ${ledgerId}::uuid`.execute(tx);
    out.push({ transaction_id: a.id, peer_id: b.id, linked: true, posted_on: date });
  }
  return out;
}
