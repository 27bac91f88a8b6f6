import { describe, expect, it } from 'vitest';
import { Prng, createPrng } from './prng.ts';

const take = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.nextUint32());

describe('Prng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(take(createPrng(1), 50)).toEqual(take(createPrng(1), 50));
    expect(take(createPrng('household'), 50)).toEqual(take(createPrng('household'), 50));
    expect(take(createPrng(1), 50)).not.toEqual(take(createPrng(2), 50));
    expect(take(createPrng(2 ** 40), 10)).not.toEqual(take(createPrng(0), 10));
  });

  it('int stays within inclusive bounds and reaches both ends', () => {
    const p = createPrng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const v = p.int(-3, 3);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThanOrEqual(3);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
    for (let i = 0; i < 200; i++) {
      const v = p.int(0, 2 ** 40);
      expect(Number.isSafeInteger(v) && v >= 0 && v <= 2 ** 40).toBe(true);
    }
    expect(() => p.int(2, 1)).toThrow(RangeError);
    expect(() => p.int(0.5, 1)).toThrow(RangeError);
  });

  it('chance, pick, weighted and jitter behave', () => {
    const p = createPrng(3);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (p.chance(250)) hits++;
    expect(hits).toBeGreaterThan(2200);
    expect(hits).toBeLessThan(2800);
    expect(p.chance(0)).toBe(false);
    expect(p.chance(1000)).toBe(true);
    expect(p.chance(1, 1)).toBe(true);
    expect(['a', 'b']).toContain(p.pick(['a', 'b']));
    expect(p.weighted([['x', 0], ['y', 5]])).toBe('y');
    for (let i = 0; i < 1000; i++) {
      const j = p.jitter(100);
      expect(Number.isInteger(j) && j >= -100 && j <= 100).toBe(true);
    }
    const m = p.jitterMinor(10_000n, 200);
    expect(typeof m).toBe('bigint');
    expect(m >= 8_000n && m <= 12_000n).toBe(true);
    expect(p.shuffle([1, 2, 3, 4]).sort()).toEqual([1, 2, 3, 4]);
  });
});
