// Grandfather-father-son retention: properties over arbitrary backup histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoWeekKey, planRetention, type RetentionCandidate, type RetentionPolicy } from '../../src/backup/prune.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-24T12:00:00Z');
const DEFAULT: RetentionPolicy = { keepAllDays: 7, keepDailyDays: 30, keepWeeklyWeeks: 12, keepMonthlyMonths: 24 };

const history = fc
  .array(fc.record({ ageMinutes: fc.integer({ min: 0, max: 3 * 365 * 24 * 60 }), level: fc.integer({ min: 0, max: 4 }) }), { maxLength: 80 })
  .map((xs) => xs.map((x, i): RetentionCandidate => ({ id: `b${String(i).padStart(3, '0')}`, at: new Date(NOW.getTime() - x.ageMinutes * 60_000), verifiedLevel: x.level })));
const policy = fc.record({
  keepAllDays: fc.integer({ min: 0, max: 30 }),
  keepDailyDays: fc.integer({ min: 0, max: 90 }),
  keepWeeklyWeeks: fc.integer({ min: 0, max: 52 }),
  keepMonthlyMonths: fc.integer({ min: 0, max: 36 }),
});

describe('planRetention', () => {
  it('never deletes the newest verified backup or the newest backup, and partitions the input', () => {
    fc.assert(
      fc.property(history, policy, (cands, p) => {
        const plan = planRetention(cands, NOW, p);
        const kept = new Set(plan.keep.map((k) => k.id));
        expect(plan.keep.length + plan.remove.length).toBe(cands.length);
        for (const r of plan.remove) expect(kept.has(r.id)).toBe(false);
        const newest = (xs: RetentionCandidate[]) => [...xs].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1))[0];
        const nv = newest(cands.filter((c) => c.verifiedLevel >= 3));
        if (nv) expect(kept.has(nv.id)).toBe(true);
        const n = newest(cands);
        if (n) expect(kept.has(n.id)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps everything younger than keepAllDays, and beyond that at most one backup per day', () => {
    fc.assert(
      fc.property(history, (cands) => {
        const plan = planRetention(cands, NOW, DEFAULT);
        const kept = new Set(plan.keep.map((k) => k.id));
        for (const c of cands) if (NOW.getTime() - c.at.getTime() < 7 * DAY) expect(kept.has(c.id)).toBe(true);
        const perDay = new Map<string, number>();
        for (const k of plan.keep) {
          if (k.reasons.includes('recent') || k.reasons.includes('newest verified') || k.reasons.includes('newest')) continue;
          const d = k.at.toISOString().slice(0, 10);
          perDay.set(d, (perDay.get(d) ?? 0) + 1);
        }
        for (const n of perDay.values()) expect(n).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('is stable: pruning what it keeps removes nothing more', () => {
    fc.assert(
      fc.property(history, policy, (cands, p) => {
        const once = planRetention(cands, NOW, p);
        const left = cands.filter((c) => once.keep.some((k) => k.id === c.id));
        expect(planRetention(left, NOW, p).remove).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('a worked example with the default policy', () => {
    const at = (days: number, id: string, level = 0): RetentionCandidate => ({ id, at: new Date(NOW.getTime() - days * DAY), verifiedLevel: level });
    const plan = planRetention(
      [at(0.1, 'today'), at(3, 'recent'), at(10.2, 'd10-late'), at(10.4, 'd10-early'), at(60, 'old-weekly-window'), at(200, 'monthly', 3), at(200.1, 'same-month-older'), at(800, 'too-old')],
      NOW,
      DEFAULT,
    );
    const keep = Object.fromEntries(plan.keep.map((k) => [k.id, k.reasons]));
    expect(keep.today).toEqual(expect.arrayContaining(['recent', 'newest']));
    expect(keep.recent).toContain('recent');
    expect(keep['d10-late']).toContain('daily');
    expect(keep['old-weekly-window']).toContain('weekly');
    expect(keep.monthly).toEqual(expect.arrayContaining(['monthly', 'newest verified']));
    expect(plan.remove.map((r) => r.id).sort()).toEqual(['d10-early', 'same-month-older', 'too-old']);
  });

  it('ISO weeks match date(1) %G-W%V', () => {
    expect(isoWeekKey(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(isoWeekKey(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeekKey(new Date('2026-11-24T23:59:59Z'))).toBe('2026-W48');
  });
});
