// Money is a count of minor units (cents, yen, fils) held in a bigint, always
// paired with an ISO 4217 code by its owner. Nothing here converts through a
// JavaScript number except to emit JSON integers, and only inside the safe range.
import { currencyExponent, isCurrencyCode, type CurrencyCode } from './currencies.ts';

export type Minor = bigint & { readonly __minor: unique symbol };

/** Largest magnitude finhub stores: Number.MAX_SAFE_INTEGER, so every amount is also an exact JSON integer. */
export const MAX_MINOR = 9_007_199_254_740_991n as Minor;
export const MIN_MINOR = -9_007_199_254_740_991n as Minor;
export const ZERO = 0n as Minor;

export class MoneyRangeError extends RangeError {
  constructor(value: bigint | string) {
    super(`amount ${value} is outside the supported range ±${MAX_MINOR} minor units`);
  }
}

export class MoneyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyFormatError';
  }
}

export function isInRange(v: bigint): boolean {
  return v >= MIN_MINOR && v <= MAX_MINOR;
}

/** Brands a bigint (or a safe integer / integer string) as Minor after a range check. */
export function minor(value: bigint | number | string): Minor {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new MoneyRangeError(String(value));
    v = BigInt(value);
  } else {
    if (!/^-?\d{1,20}$/.test(value)) throw new MoneyFormatError(`"${value}" is not an integer count of minor units`);
    v = BigInt(value);
  }
  if (!isInRange(v)) throw new MoneyRangeError(v);
  return v as Minor;
}

function checked(v: bigint): Minor {
  if (!isInRange(v)) throw new MoneyRangeError(v);
  return v as Minor;
}

export const add = (a: Minor, b: Minor): Minor => checked(a + b);
export const sub = (a: Minor, b: Minor): Minor => checked(a - b);
export const neg = (a: Minor): Minor => -a as Minor;
export const abs = (a: Minor): Minor => (a < 0n ? -a : a) as Minor;
export const sum = (xs: Iterable<Minor>): Minor => {
  let t = 0n;
  for (const x of xs) t += x;
  return checked(t);
};
export const compare = (a: Minor, b: Minor): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

/** JSON-safe integer; exact because every Minor is within ±(2^53-1). */
export function toJsonInteger(a: Minor): number {
  return Number(a);
}

export type Rounding = 'half-even' | 'half-up' | 'down' | 'floor' | 'ceiling';

/**
 * Exact integer division n/d with the given rounding (d > 0 after sign fix).
 * half-even is banker's rounding; half-up rounds ties away from zero.
 */
export function divRound(n: bigint, d: bigint, rounding: Rounding = 'half-even'): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const sign = n < 0n ? -1n : 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  switch (rounding) {
    case 'down':
      return q;
    case 'floor':
      return sign < 0n ? q - 1n : q;
    case 'ceiling':
      return sign > 0n ? q + 1n : q;
    case 'half-up':
      return twice >= d ? q + sign : q;
    case 'half-even':
      if (twice > d) return q + sign;
      if (twice < d) return q;
      return q % 2n === 0n ? q : q + sign;
  }
}

/** amount × num / den rounded to a whole minor unit (for FX and proportional splits). */
export function mulDiv(a: Minor, num: bigint, den: bigint, rounding: Rounding = 'half-even'): Minor {
  return checked(divRound(a * num, den, rounding));
}

/**
 * Splits an amount into parts proportional to integer weights so that the parts
 * sum exactly to the amount. Remainder units go to the earliest parts, one each
 * (largest-remainder with ties to the front): 100.00 over [1,1,1] is
 * 33.34 / 33.33 / 33.33. Negative amounts mirror positive ones.
 */
export function allocate(amount: Minor, weights: readonly (bigint | number)[]): Minor[] {
  if (weights.length === 0) throw new RangeError('allocate needs at least one weight');
  const w = weights.map((x) => {
    const b = typeof x === 'bigint' ? x : Number.isSafeInteger(x) ? BigInt(x) : NaN;
    if (typeof b !== 'bigint' || b < 0n) throw new RangeError('weights must be non-negative integers');
    return b;
  });
  const total = w.reduce((s, x) => s + x, 0n);
  if (total === 0n) throw new RangeError('weights must not all be zero');
  const negative = amount < 0n;
  const a = negative ? -amount : amount;
  const parts = w.map((x) => (a * x) / total);
  const remainders = w.map((x, i) => ({ i, r: (a * x) % total }));
  let left = a - parts.reduce((s, x) => s + x, 0n);
  // Hand out the leftover units to the largest remainders, earliest first on ties.
  remainders.sort((p, q) => (p.r === q.r ? p.i - q.i : p.r > q.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    if (w[i] === 0n) continue;
    parts[i] = (parts[i] as bigint) + 1n;
    left -= 1n;
  }
  return parts.map((p) => (negative ? -p : p) as Minor);
}

/** Splits an amount into n parts as equal as possible (allocate with equal weights). */
export function splitEvenly(amount: Minor, n: number): Minor[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  return allocate(amount, new Array<number>(n).fill(1));
}

/** "-1234.56" for (-123456, USD); "1235" for JPY; "-0.005" for (-5, BHD). */
export function toDecimalString(a: Minor, currency: CurrencyCode): string {
  const e = currencyExponent(currency);
  const negative = a < 0n;
  const digits = (negative ? -a : a).toString();
  if (e === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(e + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -e)}.${padded.slice(-e)}`;
}

/**
 * Parses a plain decimal string ("-1234.5", "12", "0.005") into minor units of
 * the currency. More fractional digits than the currency has are an error
 * unless a rounding mode is given. Grouping separators and other locale forms
 * belong to the import parsers, not here.
 */
export function parseDecimal(text: string, currency: CurrencyCode, rounding?: Rounding): Minor {
  const m = /^\s*([+-])?(\d{1,20})?(?:\.(\d{0,30}))?\s*$/.exec(text);
  if (!m || (m[2] === undefined && !m[3])) throw new MoneyFormatError(`"${text}" is not a decimal amount`);
  const e = currencyExponent(currency);
  const whole = m[2] ?? '0';
  const frac = m[3] ?? '';
  let units: bigint;
  if (frac.length <= e) {
    units = BigInt(whole + frac.padEnd(e, '0'));
  } else if (rounding) {
    const scale = 10n ** BigInt(frac.length - e);
    units = divRound(BigInt(whole + frac), scale, rounding);
  } else {
    throw new MoneyFormatError(`"${text}" has more than ${e} decimal places for ${currency}`);
  }
  return checked(m[1] === '-' ? -units : units);
}

/** Human formatting with grouping: "-1,234.56 USD". */
export function format(a: Minor, currency: CurrencyCode, opts: { group?: string; decimal?: string } = {}): string {
  const group = opts.group ?? ',';
  const decimal = opts.decimal ?? '.';
  const plain = toDecimalString(a, currency);
  const negative = plain.startsWith('-');
  const [intPart = '0', fracPart] = (negative ? plain.slice(1) : plain).split('.');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${negative ? '-' : ''}${grouped}${fracPart !== undefined ? decimal + fracPart : ''} ${currency}`;
}

export { isCurrencyCode, currencyExponent, type CurrencyCode };
