// Duplicate detection: a pure function from (statement rows, the account's
// existing rows) to one decision per statement row. No database, no clock.
//
// Order of evidence (issue 3, item 6):
//   1. the bank's transaction id, per account: same id = same transaction
//      (duplicate; replace_pending when the existing row is pending and the file
//      row has posted; conflict when amount or date disagree beyond tolerance);
//   2. otherwise the same amount within ±window days, preferring the same or a
//      similar payee, then the nearest date. Two rows that both carry bank ids
//      and the ids differ are different transactions (except a pending row,
//      which gets a new id when it posts).
// A pending row that is split, part of a transfer or reconciled is matched
// like any pending row but never replaced (its date and amount are tied to
// its parts or its other side, or were confirmed by the user): its posted
// version is a duplicate, reason pending_posted_linked / _reconciled.
// Every existing row is claimed at most once across the whole statement: all
// candidate pairs are ranked and taken best-first (a global greedy assignment),
// so identical twin rows in a file are both kept unless the account already
// holds two matching rows. Reconciled rows can be matched but are never
// replaced.
import { payeeKeyCache, payeeSimilarity, type PayeeKey } from './payee-similarity.ts';

export type MatchDecision = 'new' | 'duplicate' | 'conflict' | 'replace_pending';

export type ReasonCode =
  | 'bank_id'
  | 'bank_id_posted'
  | 'bank_id_conflict'
  | 'amount_date_payee'
  | 'amount_date'
  | 'pending_posted'
  | 'pending_posted_linked'
  | 'pending_posted_reconciled'
  | 'no_match'
  | 'twin_rows'
  | 'different_bank_id';

export interface FileRow {
  postedOn: string;
  amountMinor: bigint;
  payee?: string | undefined;
  memo?: string | undefined;
  bankId?: string | undefined;
  pending: boolean;
}

export interface ExistingRow {
  id: string;
  accountId: string;
  postedOn: string;
  amountMinor: bigint;
  /** Payee name in finhub. */
  payee?: string | null | undefined;
  /** The payee text of the bank file this row was imported from. */
  rawPayee?: string | null | undefined;
  bankId?: string | null | undefined;
  pending: boolean;
  reconciled: boolean;
  /** Split or transfer side: its amount and date are tied to other rows, so it is never replaced. */
  linked?: boolean | undefined;
}

export interface MatchOptions {
  accountId: string;
  windowDays: number;
  /** Formats minor units for reason texts (e.g. "-12.50"). */
  formatAmount?: (minor: bigint) => string;
}

export interface RowDecision {
  decision: MatchDecision;
  /** Index into `existing` of the matched row. */
  matched?: number;
  matchedId?: string;
  reasonCode: ReasonCode;
  reason: string;
}

/** Candidate pairs kept per statement row in the fuzzy phase (bounded work on pathological files). */
const MAX_CANDIDATES_PER_ROW = 64;

export function dayNumber(date: string): number {
  // 'YYYY-MM-DD' -> days since 1970-01-01, without Date parsing per call.
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

const matchText = (r: FileRow) => r.payee || r.memo || '';
/** A text quoted for a reason string (shortened; plain quoting unless it holds quotes or control characters). */
const q = (s: string) => {
  const t = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return /["\\\p{Cc}]/u.test(t) ? JSON.stringify(t) : `"${t}"`;
};
const daysApart = (n: number) => (n === 0 ? 'same day' : `±${n} day${n === 1 ? '' : 's'}`);

interface Prepared {
  day: number;
  key: PayeeKey;
}

interface ExistingPrepared extends Prepared {
  rawKey: PayeeKey | undefined;
  text: string;
}

/** Tier of payee agreement: 3 same, 2 similar, 1 unknown (a side has none), 0 different. */
function payeeTier(sim: number, a: PayeeKey, b: PayeeKey): number {
  if (a.norm === '' || b.norm === '') return 1;
  if (sim >= 1) return 3;
  return sim >= 0.5 ? 2 : 0;
}

/** A pending row: its posted version may arrive under a new bank id. */
const postable = (e: ExistingRow) => e.pending;
/** A pending row that an import may overwrite with its posted version (reconciled, split and transfer rows are kept as they are). */
const replaceable = (e: ExistingRow) => postable(e) && !e.linked && !e.reconciled;

/** May these two rows be the same transaction, given their bank ids? */
function idsCompatible(f: FileRow, e: ExistingRow): boolean {
  if (!f.bankId || !e.bankId || f.bankId === e.bankId) return true;
  // A pending row is re-issued under a new id when it posts.
  return postable(e) && !f.pending;
}

function fuzzyKind(f: FileRow, e: ExistingRow): 'duplicate' | 'replace_pending' | 'linked_posted' {
  if (!postable(e) || f.pending) return 'duplicate';
  return e.linked || e.reconciled ? 'linked_posted' : 'replace_pending';
}

const keptWhy = (e: ExistingRow) => (e.reconciled ? 'but it is reconciled' : 'but it is split or part of a transfer');
const keptCode = (e: ExistingRow): ReasonCode => (e.reconciled ? 'pending_posted_reconciled' : 'pending_posted_linked');
const KEPT = 'so it is kept as it is (not updated to the posted values)';

export function matchRows(file: readonly FileRow[], existing: readonly ExistingRow[], opts: MatchOptions): RowDecision[] {
  const fmt = opts.formatAmount ?? ((m: bigint) => m.toString());
  const w = opts.windowDays;
  const out: (RowDecision | undefined)[] = new Array(file.length);
  const claimed = new Uint8Array(existing.length);
  const mine = existing.map((e) => e.accountId === opts.accountId);

  // Dates and payee texts repeat a lot in a statement: parse and normalise each once.
  const keyOf = payeeKeyCache();
  const days = new Map<string, number>();
  const dayOf = (d: string) => {
    let n = days.get(d);
    if (n === undefined) days.set(d, (n = dayNumber(d)));
    return n;
  };
  const fp: Prepared[] = file.map((f) => ({ day: dayOf(f.postedOn), key: keyOf(matchText(f)) }));
  const ep: ExistingPrepared[] = existing.map((e) => {
    const text = e.rawPayee || e.payee || '';
    return { day: dayOf(e.postedOn), key: keyOf(e.payee), rawKey: e.rawPayee ? keyOf(e.rawPayee) : undefined, text };
  });
  const sim = (fi: number, ei: number) => {
    const e = ep[ei]!;
    const a = payeeSimilarity(fp[fi]!.key, e.key);
    return e.rawKey ? Math.max(a, payeeSimilarity(fp[fi]!.key, e.rawKey)) : a;
  };
  const bestKey = (fi: number, ei: number) => {
    const e = ep[ei]!;
    if (!e.rawKey) return e.key;
    return payeeSimilarity(fp[fi]!.key, e.rawKey) >= payeeSimilarity(fp[fi]!.key, e.key) ? e.rawKey : e.key;
  };

  // ---- 1. bank transaction ids
  // Index lists as a number for the usual single row, an array only for repeats (fewer allocations on big files).
  type Idx = number | number[];
  const push = (m: Map<string, Idx>, k: string, i: number) => {
    const v = m.get(k);
    if (v === undefined) m.set(k, i);
    else if (typeof v === 'number') m.set(k, [v, i]);
    else v.push(i);
  };
  const list = (v: Idx): number[] => (typeof v === 'number' ? [v] : v);
  const byBankId = new Map<string, Idx>();
  for (let i = 0; i < existing.length; i++) {
    const id = existing[i]!.bankId;
    if (mine[i] && id) push(byBankId, id, i);
  }
  const fileByBankId = new Map<string, Idx>();
  for (let i = 0; i < file.length; i++) {
    const id = file[i]!.bankId;
    if (id && byBankId.has(id)) push(fileByBankId, id, i);
  }
  const pairOf = (fi: number, ei: number) => {
    const dd = Math.abs(fp[fi]!.day - ep[ei]!.day);
    const sameAmount = file[fi]!.amountMinor === existing[ei]!.amountMinor;
    return { fi, ei, fit: sameAmount && dd === 0 ? 0 : sameAmount && dd <= w ? 1 : 2, dd };
  };
  for (const [bankId, fileIdxs] of fileByBankId) {
    const exIdxs = byBankId.get(bankId)!;
    // Within one id (usually one row each side), exact fits first, then by date distance.
    let pairs: { fi: number; ei: number; fit: number; dd: number }[];
    if (typeof fileIdxs === 'number' && typeof exIdxs === 'number') pairs = [pairOf(fileIdxs, exIdxs)];
    else {
      pairs = [];
      for (const fi of list(fileIdxs)) for (const ei of list(exIdxs)) pairs.push(pairOf(fi, ei));
      pairs.sort((a, b) => a.fit - b.fit || a.dd - b.dd || a.fi - b.fi || a.ei - b.ei);
    }
    for (const p of pairs) {
      if (out[p.fi] || claimed[p.ei]) continue;
      const f = file[p.fi]!;
      const e = existing[p.ei]!;
      claimed[p.ei] = 1;
      if (replaceable(e) && !f.pending) {
        out[p.fi] = { matched: p.ei, matchedId: e.id, decision: 'replace_pending', reasonCode: 'bank_id_posted', reason: `pending transaction with bank id ${q(bankId)} has posted: it is updated to the posted date and amount` };
      } else if (p.fit < 2 && fuzzyKind(f, e) === 'linked_posted') {
        out[p.fi] = { matched: p.ei, matchedId: e.id, decision: 'duplicate', reasonCode: keptCode(e), reason: `pending transaction with bank id ${q(bankId)} has posted, ${keptWhy(e)}, ${KEPT}` };
      } else if (p.fit < 2) {
        out[p.fi] = { matched: p.ei, matchedId: e.id, decision: 'duplicate', reasonCode: 'bank_id', reason: `same bank transaction id ${q(bankId)}` };
      } else {
        const diffs: string[] = [];
        if (f.amountMinor !== e.amountMinor) diffs.push(`amount ${fmt(f.amountMinor)} in the file vs ${fmt(e.amountMinor)} in finhub`);
        if (p.dd > w) diffs.push(`date ${f.postedOn} in the file vs ${e.postedOn} in finhub (${p.dd} days apart, window ±${w})`);
        out[p.fi] = { matched: p.ei, matchedId: e.id, decision: 'conflict', reasonCode: 'bank_id_conflict', reason: `same bank transaction id ${q(bankId)} but ${diffs.join('; ')}` };
      }
    }
  }

  // ---- 2. amount within the date window, by payee agreement then nearest date
  const decideFuzzy = (fi: number, ei: number, tier: number) => {
    claimed[ei] = 1;
    const f = file[fi]!;
    const e = existing[ei]!;
    const dd = Math.abs(fp[fi]!.day - ep[ei]!.day);
    const theirs = ep[ei]!.text;
    const payeePart =
      tier === 3 ? `same payee ${q(theirs)}` : tier === 2 ? `payee ${q(matchText(f))} ~ ${q(theirs)}` : tier === 1 ? 'payee not known on one side' : `payee differs: ${q(matchText(f))} vs ${q(theirs)}`;
    const kind = fuzzyKind(f, e);
    if (kind === 'replace_pending') {
      out[fi] = { matched: ei, matchedId: e.id, decision: 'replace_pending', reasonCode: 'pending_posted', reason: `pending transaction of ${e.postedOn} has posted (same amount, ${daysApart(dd)}, ${payeePart}): it is updated to the posted values` };
    } else if (kind === 'linked_posted') {
      out[fi] = { matched: ei, matchedId: e.id, decision: 'duplicate', reasonCode: keptCode(e), reason: `pending transaction of ${e.postedOn} has posted (same amount, ${daysApart(dd)}, ${payeePart}), ${keptWhy(e)}, ${KEPT}` };
    } else {
      out[fi] = { matched: ei, matchedId: e.id, decision: 'duplicate', reasonCode: tier >= 2 ? 'amount_date_payee' : 'amount_date', reason: `same amount ${fmt(f.amountMinor)}, ${daysApart(dd)} (${e.postedOn}), ${payeePart}` };
    }
  };
  // Existing rows by amount, sorted by day. Amounts are within ±2^53, so their
  // Number form is exact and cheaper to hash than a bigint. (Rows claimed by
  // bank id stay in the lists only to explain a "new" decision.)
  const byAmount = new Map<number, number[]>();
  for (let i = 0; i < existing.length; i++) {
    if (!mine[i]) continue;
    const a = Number(existing[i]!.amountMinor);
    const l = byAmount.get(a);
    if (l) l.push(i);
    else byAmount.set(a, [i]);
  }
  for (const l of byAmount.values()) if (l.length > 1) l.sort((a, b) => ep[a]!.day - ep[b]!.day || a - b);
  /** First position in a day-sorted list whose day is >= day. */
  const lowerBound = (l: number[], day: number) => {
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ep[l[mid]!]!.day < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const normOf = (ei: number) => (ep[ei]!.rawKey ?? ep[ei]!.key).norm;

  // 2a. Identical rows (same amount, same day, same payee text) are the best
  // possible pairs, so taking them first is what the ranking below would do,
  // and it keeps re-imports of files with many twin rows linear. First pass:
  // same pending state too (a pending row is best matched by its pending copy,
  // so a re-import never turns into a replacement); second pass: any.
  for (const samePending of [true, false]) {
    for (let fi = 0; fi < file.length; fi++) {
      if (out[fi]) continue;
      const l = byAmount.get(Number(file[fi]!.amountMinor));
      if (!l) continue;
      const day = fp[fi]!.day;
      const norm = fp[fi]!.key.norm;
      for (let j = lowerBound(l, day); j < l.length; j++) {
        const ei = l[j]!;
        if (ep[ei]!.day !== day) break;
        if (claimed[ei] || normOf(ei) !== norm || !idsCompatible(file[fi]!, existing[ei]!)) continue;
        if (samePending && existing[ei]!.pending !== file[fi]!.pending) continue;
        decideFuzzy(fi, ei, norm === '' ? 1 : 3);
        break;
      }
    }
  }

  // 2b. Everything else: rank all candidate pairs and take them best-first.
  // Score: tier (payee) dominates, then date distance, then same pending state, then raw similarity.
  const pairs: { fi: number; ei: number; score: number }[] = [];
  const hadCandidate = new Uint8Array(file.length);
  const hadIdClash = new Uint8Array(file.length);
  for (let fi = 0; fi < file.length; fi++) {
    if (out[fi]) continue;
    const f = file[fi]!;
    const list = byAmount.get(Number(f.amountMinor));
    if (!list) continue;
    const day = fp[fi]!.day;
    const mineList: { ei: number; score: number }[] = [];
    for (let j = lowerBound(list, day - w); j < list.length; j++) {
      const ei = list[j]!;
      const dd = ep[ei]!.day - day;
      if (dd > w) break;
      if (!idsCompatible(f, existing[ei]!)) {
        hadIdClash[fi] = 1;
        continue;
      }
      hadCandidate[fi] = 1;
      if (claimed[ei]) continue;
      const s = sim(fi, ei);
      const tier = payeeTier(s, fp[fi]!.key, bestKey(fi, ei));
      const samePending = existing[ei]!.pending === f.pending ? 1 : 0;
      const score = tier * 10_000_000 + (100 - Math.abs(dd)) * 10_000 + samePending * 1_000 + Math.floor(s * 999);
      mineList.push({ ei, score });
    }
    if (mineList.length > MAX_CANDIDATES_PER_ROW) {
      // Equal scores are interchangeable; spread the tie-break so twin rows keep different subsets.
      const spread = (ei: number) => (ei * 2654435761 + fi * 40503) % 4294967291;
      mineList.sort((a, b) => b.score - a.score || spread(a.ei) - spread(b.ei));
      mineList.length = MAX_CANDIDATES_PER_ROW;
    }
    for (const c of mineList) pairs.push({ fi, ei: c.ei, score: c.score });
  }
  pairs.sort((a, b) => b.score - a.score || a.fi - b.fi || a.ei - b.ei);
  for (const p of pairs) {
    if (out[p.fi] || claimed[p.ei]) continue;
    decideFuzzy(p.fi, p.ei, Math.floor(p.score / 10_000_000));
  }

  // ---- 3. everything else is new, saying why nothing matched
  return file.map((f, i) => {
    const d = out[i];
    if (d) return d;
    if (hadCandidate[i]) return { decision: 'new', reasonCode: 'twin_rows', reason: `every existing transaction of ${fmt(f.amountMinor)} within ±${w} days is already matched to another row of this file` };
    if (hadIdClash[i]) return { decision: 'new', reasonCode: 'different_bank_id', reason: `an existing transaction of ${fmt(f.amountMinor)} within ±${w} days carries a different bank id` };
    return { decision: 'new', reasonCode: 'no_match', reason: `no existing transaction of ${fmt(f.amountMinor)} within ±${w} days` };
  });
}
