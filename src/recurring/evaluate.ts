// Walks a schedule forward over the payments that arrived (pure). For each
// expected date d, in order, while d's window has opened by `today`:
//   - a payment of the payee (in the schedule's account, same direction of
//     money) dated within d's window pays d; if its size is beyond the
//     tolerance above the expected amount, that is an "amount" alert;
//   - no payment and d's window has closed: a "late" alert for d. A payment
//     that arrives later, before the next occurrence's window opens, still
//     pays d. Once the next occurrence's window has closed as well, d counts
//     as missed and the walk goes on (the late alert stays).
// The walk stops at the first occurrence that is still open.
import type { AlertKind, Cadence } from '../db/schema-parts/reports.ts';
import { addDays } from '../reports/periods.ts';
import { CADENCE_RULES, nextOccurrence } from './cadence.ts';

export interface ScheduleState {
  cadence: Cadence;
  anchor_day: number;
  expected_amount: bigint;
  tolerance_bp: number;
  next_expected_on: string;
  last_seen_on: string | null;
  last_transaction_id: string | null;
}

export interface Payment {
  id: string;
  posted_on: string;
  amount: bigint;
}

export interface AlertFinding {
  kind: AlertKind;
  expected_on: string;
  expected_amount: bigint;
  actual_amount: bigint | null;
  transaction_id: string | null;
}

export interface Evaluation {
  next_expected_on: string;
  last_seen_on: string | null;
  last_transaction_id: string | null;
  alerts: AlertFinding[];
  /** The occurrence at next_expected_on is overdue (its window closed without a payment). */
  late: boolean;
}

const abs = (v: bigint) => (v < 0n ? -v : v);

/** |actual| beyond the tolerance above |expected|. */
export function tooLarge(actual: bigint, expected: bigint, toleranceBp: number): boolean {
  return abs(actual) * 10_000n > abs(expected) * BigInt(10_000 + toleranceBp);
}

/** `payments`: the payee's rows in the schedule's account, any date; only those after last_seen_on can pay. */
export function evaluateSchedule(s: ScheduleState, payments: Payment[], today: string): Evaluation {
  const w = CADENCE_RULES[s.cadence].window;
  const sign = s.expected_amount < 0n ? -1 : 1;
  const usable = payments
    .filter((p) => (p.amount < 0n ? -1 : 1) === sign && p.amount !== 0n && (s.last_seen_on === null || p.posted_on > s.last_seen_on) && p.id !== s.last_transaction_id)
    .sort((a, b) => a.posted_on.localeCompare(b.posted_on) || a.id.localeCompare(b.id));
  let next = s.next_expected_on;
  let lastSeen = s.last_seen_on;
  let lastTx = s.last_transaction_id;
  const alerts: AlertFinding[] = [];
  let i = 0;
  // Occurrences whose window has opened; bounded so a schedule years behind still ends.
  for (let guard = 0; guard < 2000 && addDays(next, -w) <= today; guard++) {
    const following = nextOccurrence(s.cadence, next, s.anchor_day);
    while (i < usable.length && usable[i]!.posted_on < addDays(next, -w)) i++;
    const hit = usable[i];
    const inWindow = hit !== undefined && hit.posted_on <= addDays(next, w);
    const closed = addDays(next, w) < today;
    // A late payment: after d's window, before the next occurrence's window opens.
    const latePay = !inWindow && closed && hit !== undefined && hit.posted_on < addDays(following, -w);
    if (closed && !inWindow) alerts.push({ kind: 'late', expected_on: next, expected_amount: s.expected_amount, actual_amount: null, transaction_id: null });
    if (inWindow || latePay) {
      if (tooLarge(hit.amount, s.expected_amount, s.tolerance_bp)) alerts.push({ kind: 'amount', expected_on: next, expected_amount: s.expected_amount, actual_amount: hit.amount, transaction_id: hit.id });
      lastSeen = hit.posted_on;
      lastTx = hit.id;
      i++;
      next = following;
      continue;
    }
    if (closed && addDays(following, w) < today) {
      next = following;
      continue;
    }
    break;
  }
  return { next_expected_on: next, last_seen_on: lastSeen, last_transaction_id: lastTx, alerts, late: addDays(next, w) < today };
}
