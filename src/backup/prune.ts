// Grandfather-father-son retention, as a pure function of the backups and the
// clock. A backup is kept when any rule wants it:
//
//   recent   younger than keepAllDays
//   daily    the newest of its UTC day, for days within keepDailyDays
//   weekly   the newest of its ISO week, for weeks within keepWeeklyWeeks
//   monthly  the newest of its calendar month, within keepMonthlyMonths
//   newest   the newest backup of all
//   verified the newest backup verified at level 3 or higher (never deleted,
//            whatever the policy says: it is the one a restore is proven on)
//
// A rule set to 0 is off. Everything else is deleted.

export interface RetentionPolicy {
  keepAllDays: number;
  keepDailyDays: number;
  keepWeeklyWeeks: number;
  keepMonthlyMonths: number;
}

export interface RetentionCandidate {
  id: string;
  /** Snapshot time of the backup. */
  at: Date;
  verifiedLevel: number;
}

export interface RetentionPlan {
  keep: { id: string; at: Date; reasons: string[] }[];
  remove: { id: string; at: Date }[];
}

const DAY = 86_400_000;

const dayKey = (d: Date) => d.toISOString().slice(0, 10);
const monthKey = (d: Date) => d.toISOString().slice(0, 7);

/** ISO 8601 week ("2026-W48"): weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeekKey(d: Date): string {
  const thursday = (y: number, m: number, day: number) => {
    const t = new Date(Date.UTC(y, m, day));
    t.setUTCDate(t.getUTCDate() - ((t.getUTCDay() + 6) % 7) + 3); // Monday-based week -> its Thursday
    return t;
  };
  const t = thursday(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const year = t.getUTCFullYear();
  const week1 = thursday(year, 0, 4); // January 4th is always in week 1
  const week = 1 + (t.getTime() - week1.getTime()) / (7 * DAY);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function newestPer(cands: RetentionCandidate[], key: (d: Date) => string): Map<string, RetentionCandidate> {
  const out = new Map<string, RetentionCandidate>();
  for (const c of cands) {
    const k = key(c.at);
    const cur = out.get(k);
    if (!cur || c.at > cur.at || (c.at.getTime() === cur.at.getTime() && c.id > cur.id)) out.set(k, c);
  }
  return out;
}

export function planRetention(candidates: RetentionCandidate[], now: Date, policy: RetentionPolicy): RetentionPlan {
  const reasons = new Map<string, string[]>(candidates.map((c) => [c.id, []]));
  const add = (id: string, why: string) => reasons.get(id)!.push(why);
  const nowMs = now.getTime();

  for (const c of candidates) if (policy.keepAllDays > 0 && nowMs - c.at.getTime() < policy.keepAllDays * DAY) add(c.id, 'recent');

  const tiers: [number, (d: Date) => string, string, (c: RetentionCandidate) => boolean][] = [
    [policy.keepDailyDays, dayKey, 'daily', (c) => nowMs - c.at.getTime() < policy.keepDailyDays * DAY],
    [policy.keepWeeklyWeeks, isoWeekKey, 'weekly', (c) => nowMs - c.at.getTime() < policy.keepWeeklyWeeks * 7 * DAY],
    [
      policy.keepMonthlyMonths,
      monthKey,
      'monthly',
      (c) => c.at.getTime() > Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - policy.keepMonthlyMonths, now.getUTCDate(), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds()),
    ],
  ];
  for (const [n, key, label, within] of tiers) {
    if (n <= 0) continue;
    for (const c of newestPer(candidates, key).values()) if (within(c)) add(c.id, label);
  }

  const newest = (list: RetentionCandidate[]) => list.reduce<RetentionCandidate | undefined>((a, c) => (!a || c.at > a.at || (c.at.getTime() === a.at.getTime() && c.id > a.id) ? c : a), undefined);
  const newestAll = newest(candidates);
  if (newestAll) add(newestAll.id, 'newest');
  const newestVerified = newest(candidates.filter((c) => c.verifiedLevel >= 3));
  if (newestVerified) add(newestVerified.id, 'newest verified');

  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const c of [...candidates].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1))) {
    const why = reasons.get(c.id)!;
    if (why.length) plan.keep.push({ id: c.id, at: c.at, reasons: why });
    else plan.remove.push({ id: c.id, at: c.at });
  }
  return plan;
}
