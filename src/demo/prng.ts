// A small seeded pseudo-random generator for demo and benchmark data: sfc32
// (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state), seeded
// through splitmix32 so that nearby seeds give unrelated streams. Every helper
// works on integers only; nothing here produces a fractional number, so values
// drawn from it can feed bigint money arithmetic directly.

export type Seed = number | string;

const TWO_32 = 0x1_0000_0000;

/** 32-bit FNV-1a of a string, for string seeds and fork labels. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer or a string, got ${seed}`);
  // Fold the high bits in so that seeds above 2^32 still matter.
  const high = Math.trunc(seed / TWO_32);
  return (seed ^ Math.imul(high, 0x9e3779b1)) >>> 0;
}

export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: Seed) {
    const sm = splitmix32(seedToUint32(seed));
    this.#a = sm();
    this.#b = sm();
    this.#c = sm();
    this.#d = sm() | 1;
    // Warm up: the first outputs of sfc32 are still correlated with the seed.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** Next raw output, an integer in [0, 2^32). */
  nextUint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [min, max] (both inclusive), without modulo bias. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`int(${min}, ${max}) needs integers with min <= max`);
    }
    const range = max - min + 1;
    if (range > TWO_32) {
      // Two draws for wide ranges: high * 2^32 + low, with rejection above the last full multiple.
      const span = range;
      for (;;) {
        const x = (this.nextUint32() % 0x20_0000) * TWO_32 + this.nextUint32(); // 53 random bits
        const limit = 2 ** 53 - (2 ** 53 % span);
        if (x < limit) return min + (x % span);
      }
    }
    const limit = TWO_32 - (TWO_32 % range);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return min + (x % range);
    }
  }

  /** Uniform bigint in [min, max]; only for ranges that fit a safe integer. */
  bigint(min: bigint, max: bigint): bigint {
    const span = max - min;
    if (span < 0n || span > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('bigint(min, max) range is out of bounds');
    return min + BigInt(this.int(0, Number(span)));
  }

  /** true with probability num/den (integers). chance(125) is 12.5% (per-mille when den is omitted). */
  chance(num: number, den = 1000): boolean {
    if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || den <= 0) throw new RangeError('chance needs integers, den > 0');
    if (num <= 0) return false;
    if (num >= den) return true;
    return this.int(0, den - 1) < num;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** One element chosen by non-negative integer weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    if (total <= 0) throw new RangeError('weighted needs a positive total weight');
    let r = this.int(0, total - 1);
    for (const [item, w] of items) {
      if (r < w) return item;
      r -= w;
    }
    throw new Error('unreachable');
  }

  /**
   * Bell-shaped integer in [-spread, spread] centred on 0: the mean of `n`
   * uniform draws (Irwin–Hall), truncated toward zero. n = 1 is uniform.
   */
  jitter(spread: number, n = 3): number {
    if (spread === 0) return 0;
    let s = 0;
    for (let i = 0; i < n; i++) s += this.int(-spread, spread);
    return (s - (s % n)) / n;
  }

  /** base ± up to spreadPerMille/1000 of base, bell-shaped, as a bigint (money-safe). */
  jitterMinor(base: bigint, spreadPerMille: number): bigint {
    const j = this.jitter(spreadPerMille);
    return base + (base * BigInt(j)) / 1000n;
  }

  /** Fisher–Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** An independent generator derived from this one's seed material and a label. */
  fork(label: string): Prng {
    return new Prng((this.nextUint32() ^ hashString(label)) >>> 0);
  }
}

export function createPrng(seed: Seed): Prng {
  return new Prng(seed);
}
