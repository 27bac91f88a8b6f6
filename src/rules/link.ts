// The link_transfer action. A transaction T that a rule asks to link is paired
// with a transaction U when all of these hold:
//   - U is in the same ledger, in another account of the same currency
//     (and in the action's account_id, when it names one);
//   - U.amount = -T.amount exactly (zero amounts never link);
//   - both are top-level, neither split nor already a transfer nor pending;
//   - their dates are at most within_days apart.
// Among all such pairs, nearest dates first (then T's date, T's id, U's id),
// each transaction is used once. The pair becomes a transfer exactly as an
// import's suggested pair does (src/imports/flow/transfers.ts): both rows
// point at each other, take one date — the earlier of the two, or the date of
// a reconciled side (two reconciled sides with different dates are not
// paired) — and lose their category.
import { sql } from 'kysely';
import type { ClearedState } from '../db/schema.ts';
import { dayNumber } from '../imports/flow/dedupe.ts';
import type { Executor } from '../shared/executor.ts';
import { MAX_LINK_DAYS } from './actions.ts';
import type { LinkIntent } from './engine.ts';

export interface LinkSide {
  id: string;
  accountId: string;
  currency: string;
  postedOn: string;
  amountMinor: bigint;
  clearedState: ClearedState;
}

export interface Link {
  ruleId: string;
  /** The transaction the rule matched, and its new peer. */
  a: LinkSide;
  b: LinkSide;
  /** The date both rows get. */
  date: string;
}

const shift = (d: string, n: number) => new Date((dayNumber(d) + n) * 86_400_000).toISOString().slice(0, 10);

/** Pairs for the requests; `taken` holds ids already linked in this run (updated as pairs are chosen). */
export async function chooseLinks(ex: Executor, ledgerId: string, requests: readonly { side: LinkSide; intent: LinkIntent }[], taken: Set<string>): Promise<Link[]> {
  const open = requests.filter((r) => !taken.has(r.side.id));
  if (open.length === 0) return [];
  let lo = open[0]!.side.postedOn;
  let hi = lo;
  for (const r of open) {
    if (r.side.postedOn < lo) lo = r.side.postedOn;
    if (r.side.postedOn > hi) hi = r.side.postedOn;
  }
  const amounts = [...new Set(open.map((r) => (-r.side.amountMinor).toString()))];
  const found = await sql<{ id: string; account_id: string; currency: string; posted_on: string; amount_minor: bigint; cleared_state: ClearedState }>`
    select t.id, t.account_id, a.currency, t.posted_on, t.amount_minor, t.cleared_state
      from transactions t join accounts a on a.id = t.account_id
     where t.ledger_id = ${ledgerId}::uuid and t.parent_id is null and t.transfer_peer_id is null and not t.is_split and not t.pending
       and t.posted_on between ${shift(lo, -MAX_LINK_DAYS)}::date and ${shift(hi, MAX_LINK_DAYS)}::date
       and t.amount_minor = any(${amounts}::bigint[])`.execute(ex);
  const byAmount = new Map<string, LinkSide[]>();
  for (const o of found.rows) {
    const side: LinkSide = { id: o.id, accountId: o.account_id, currency: o.currency, postedOn: o.posted_on, amountMinor: BigInt(o.amount_minor), clearedState: o.cleared_state };
    const key = side.amountMinor.toString();
    const list = byAmount.get(key);
    if (list) list.push(side);
    else byAmount.set(key, [side]);
  }
  type Pair = { ruleId: string; a: LinkSide; b: LinkSide; dd: number; date: string };
  const pairs: Pair[] = [];
  for (const { side: a, intent } of open) {
    const day = dayNumber(a.postedOn);
    for (const b of byAmount.get((-a.amountMinor).toString()) ?? []) {
      if (b.id === a.id || b.accountId === a.accountId || b.currency !== a.currency) continue;
      if (intent.accountId !== null && b.accountId !== intent.accountId) continue;
      const dd = Math.abs(dayNumber(b.postedOn) - day);
      if (dd > intent.withinDays) continue;
      const aRec = a.clearedState === 'reconciled';
      const bRec = b.clearedState === 'reconciled';
      if (aRec && bRec && a.postedOn !== b.postedOn) continue;
      const date = aRec ? a.postedOn : bRec ? b.postedOn : a.postedOn < b.postedOn ? a.postedOn : b.postedOn;
      pairs.push({ ruleId: intent.ruleId, a, b, dd, date });
    }
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  pairs.sort((p, q) => p.dd - q.dd || cmp(p.a.postedOn, q.a.postedOn) || cmp(p.a.id, q.a.id) || cmp(p.b.id, q.b.id));
  const out: Link[] = [];
  for (const p of pairs) {
    if (taken.has(p.a.id) || taken.has(p.b.id)) continue;
    taken.add(p.a.id);
    taken.add(p.b.id);
    out.push({ ruleId: p.ruleId, a: p.a, b: p.b, date: p.date });
  }
  return out;
}

/** Writes the pairs in one statement (the transfer invariants are checked at COMMIT). */
export async function writeLinks(ex: Executor, ledgerId: string, links: readonly Link[]): Promise<void> {
  if (links.length === 0) return;
  const ids = links.flatMap((l) => [l.a.id, l.b.id]);
  const peers = links.flatMap((l) => [l.b.id, l.a.id]);
  const dates = links.flatMap((l) => [l.date, l.date]);
  await sql`
    update transactions t set transfer_peer_id = u.peer, posted_on = u.d, category_id = null, updated_at = now()
      from unnest(${ids}::uuid[], ${peers}::uuid[], ${dates}::date[]) as u(id, peer, d)
     where t.id = u.id and t.ledger_id = ${ledgerId}::uuid`.execute(ex);
}
