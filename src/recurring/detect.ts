// Finds recurring series in a ledger's history (pure; the service feeds it the
// rows). A series is: one payee, one account, one direction of money, amounts
// within a tolerance of each other, and dates whose gaps fit one cadence.
//
//   1. Group top-level non-transfer rows by (payee, account, sign).
//   2. Within a group, cluster amounts: sorted by size, a cluster takes the
//      next amount while the cluster stays within ±`toleranceBp` of a centre
//      (its largest at most 1 + 2 x tolerance times its smallest).
//   3. For each cluster with enough rows (3; for yearly, 2 when they are the
//      group's only rows), measure the gaps between consecutive dates and pick
//      the cadence most gaps fit; at least 70% of the gaps must fit it.
//   4. Keep series still alive: the last payment is less than two periods ago.
// The proposal's amount is the median of the last six payments (an amount
// that actually occurred), its next date one period after the last payment.
import { createHash } from 'node:crypto';
import type { Cadence } from '../db/schema-parts/reports.ts';
import { CADENCES } from '../db/schema-parts/reports.ts';
import { daysBetween } from '../reports/periods.ts';
import { CADENCE_RULES, nextOccurrence, periodDays } from './cadence.ts';

export interface HistoryRow {
  id: string;
  posted_on: string;
  amount: bigint;
  payee_id: string;
  payee_name: string;
  account_id: string;
  category_id: string | null;
}

export interface Proposal {
  /** Stable for the same series: pass it to accept. */
  key: string;
  name: string;
  payee_id: string;
  account_id: string;
  category_id: string | null;
  cadence: Cadence;
  expected_amount: bigint;
  tolerance_bp: number;
  anchor_day: number;
  last_seen_on: string;
  next_expected_on: string;
  occurrences: number;
  /** Share of gaps that fit the cadence, in basis points. */
  confidence_bp: number;
  transaction_ids: string[];
}

export const DEFAULT_TOLERANCE_BP = 1000;
const MIN_FIT_BP = 7000;

const abs = (v: bigint) => (v < 0n ? -v : v);

function clusters(rows: HistoryRow[], toleranceBp: number): HistoryRow[][] {
  const sorted = [...rows].sort((a, b) => (abs(a.amount) < abs(b.amount) ? -1 : abs(a.amount) > abs(b.amount) ? 1 : a.posted_on.localeCompare(b.posted_on)));
  const out: HistoryRow[][] = [];
  let cur: HistoryRow[] = [];
  for (const r of sorted) {
    const first = cur[0];
    if (first && abs(r.amount) * 10_000n <= abs(first.amount) * BigInt(10_000 + 2 * toleranceBp)) cur.push(r);
    else {
      if (cur.length) out.push(cur);
      cur = [r];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

function bestCadence(dates: string[]): { cadence: Cadence; fits: number; gaps: number } | undefined {
  const gaps = dates.slice(1).map((d, i) => daysBetween(dates[i]!, d));
  if (gaps.length === 0) return undefined;
  let best: { cadence: Cadence; fits: number; gaps: number } | undefined;
  for (const c of CADENCES) {
    const r = CADENCE_RULES[c];
    const fits = gaps.filter((g) => g >= r.min && g <= r.max).length;
    if (!best || fits > best.fits) best = { cadence: c, fits, gaps: gaps.length };
  }
  return best;
}

function median(xs: bigint[]): bigint {
  const s = [...xs].sort((a, b) => (abs(a) < abs(b) ? -1 : abs(a) > abs(b) ? 1 : 0));
  return s[Math.floor((s.length - 1) / 2)]!;
}

function mostCommon(xs: (string | null)[]): string | null {
  const n = new Map<string | null, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  let best: string | null = null;
  let bestN = 0;
  for (const [x, c] of n) if (x !== null && (c > bestN || (c === bestN && best !== null && x < best))) [best, bestN] = [x, c];
  return best;
}

/** The day of month most recent payments fell on (ties: the later day, so a 31st survives short months). */
function anchorDay(dates: string[]): number {
  const n = new Map<number, number>();
  for (const d of dates) n.set(Number(d.slice(8, 10)), (n.get(Number(d.slice(8, 10))) ?? 0) + 1);
  let best = 1;
  let bestN = 0;
  for (const [day, c] of n) if (c > bestN || (c === bestN && day > best)) [best, bestN] = [day, c];
  return best;
}

export function detectSeries(rows: HistoryRow[], today: string, toleranceBp = DEFAULT_TOLERANCE_BP): Proposal[] {
  const groups = new Map<string, HistoryRow[]>();
  for (const r of rows) {
    if (r.amount === 0n) continue;
    const key = `${r.payee_id}|${r.account_id}|${r.amount < 0n ? '-' : '+'}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Proposal[] = [];
  for (const group of groups.values()) {
    for (const cl of clusters(group, toleranceBp)) {
      const byDate = [...cl].sort((a, b) => a.posted_on.localeCompare(b.posted_on) || a.id.localeCompare(b.id));
      const best = bestCadence(byDate.map((r) => r.posted_on));
      if (!best) continue;
      // Two payments a year apart are a yearly bill only when they are all the group has: at a shop
      // visited often, two similar purchases a year apart are a coincidence.
      const needed = best.cadence === 'yearly' ? (cl.length === group.length ? 2 : 3) : 3;
      if (byDate.length < needed || best.fits * 10_000 < best.gaps * MIN_FIT_BP) continue;
      const last = byDate[byDate.length - 1]!;
      if (daysBetween(last.posted_on, today) > 2 * periodDays(best.cadence)) continue;
      const recent = byDate.slice(-6);
      const expected = median(recent.map((r) => r.amount));
      const spread = recent.reduce((m, r) => {
        const bp = Number((abs(r.amount - expected) * 10_000n + abs(expected) - 1n) / abs(expected));
        return bp > m ? bp : m;
      }, 0);
      const anchor = anchorDay(recent.map((r) => r.posted_on));
      const first = byDate[0]!;
      out.push({
        key: createHash('sha256').update(`${first.payee_id}|${first.account_id}|${best.cadence}|${expected}`).digest('hex').slice(0, 12),
        name: first.payee_name,
        payee_id: first.payee_id,
        account_id: first.account_id,
        category_id: mostCommon(byDate.map((r) => r.category_id)),
        cadence: best.cadence,
        expected_amount: expected,
        // Room for the spread seen so far, in steps of 5%, at least the detection tolerance.
        tolerance_bp: Math.min(100_000, Math.max(toleranceBp, Math.ceil(spread / 500) * 500)),
        anchor_day: anchor,
        last_seen_on: last.posted_on,
        next_expected_on: nextOccurrence(best.cadence, last.posted_on, anchor),
        occurrences: byDate.length,
        confidence_bp: Math.floor((best.fits * 10_000) / best.gaps),
        transaction_ids: byDate.map((r) => r.id),
      });
    }
  }
  // Most reliable first, then by name.
  return out.sort((a, b) => b.confidence_bp - a.confidence_bp || b.occurrences - a.occurrences || a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
}
