import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allocate, divRound, format, MAX_MINOR, minor, MoneyFormatError, MoneyRangeError, parseDecimal,
  splitEvenly, sum, toDecimalString, add, type Minor,
} from './money.ts';
import { currencyExponent, isCurrencyCode, type CurrencyCode } from './currencies.ts';

const USD = 'USD' as CurrencyCode;
const JPY = 'JPY' as CurrencyCode;
const BHD = 'BHD' as CurrencyCode;
const arbMinor = fc.bigInt({ min: -MAX_MINOR, max: MAX_MINOR }).map((b) => b as Minor);

describe('currencies', () => {
  it('knows ISO 4217 exponents', () => {
    expect(currencyExponent(JPY)).toBe(0);
    expect(currencyExponent(USD)).toBe(2);
    expect(currencyExponent(BHD)).toBe(3);
    expect(isCurrencyCode('XXX')).toBe(false);
    expect(isCurrencyCode('usd')).toBe(false);
  });
});

describe('allocate', () => {
  it('splits 100.00 three ways as 33.34/33.33/33.33', () => {
    expect(splitEvenly(minor(10000), 3)).toEqual([3334n, 3333n, 3333n]);
    expect(splitEvenly(minor(-10000), 3)).toEqual([-3334n, -3333n, -3333n]);
  });
  it('respects weights', () => {
    expect(allocate(minor(100), [1, 0, 1])).toEqual([50n, 0n, 50n]);
    expect(allocate(minor(5), [70, 30])).toEqual([4n, 1n]);
  });
  it('parts always sum to the whole and differ from the exact share by < 1 unit', () => {
    fc.assert(
      fc.property(arbMinor, fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }), (a, ws) => {
        fc.pre(ws.some((w) => w > 0));
        const parts = allocate(a, ws);
        expect(sum(parts)).toBe(a);
        const total = BigInt(ws.reduce((s, w) => s + w, 0));
        parts.forEach((p, i) => {
          const exactTimesTotal = a * BigInt(ws[i]!);
          const diff = p * total - exactTimesTotal;
          expect(diff < total && diff > -total).toBe(true);
          if (ws[i] === 0) expect(p).toBe(0n);
        });
      }),
    );
  });
});

describe('parse and format', () => {
  it('round-trips decimal strings for every exponent', () => {
    fc.assert(
      fc.property(arbMinor, fc.constantFrom(USD, JPY, BHD), (a, c) => {
        expect(parseDecimal(toDecimalString(a, c), c)).toBe(a);
      }),
    );
  });
  it('formats with grouping and exponent', () => {
    expect(format(minor(-123456789), USD)).toBe('-1,234,567.89 USD');
    expect(format(minor(1234), JPY)).toBe('1,234 JPY');
    expect(format(minor(-5), BHD)).toBe('-0.005 BHD');
    expect(toDecimalString(minor(7), USD)).toBe('0.07');
  });
  it('rejects extra precision unless a rounding rule is named', () => {
    expect(() => parseDecimal('1.005', USD)).toThrow(MoneyFormatError);
    expect(parseDecimal('1.005', USD, 'half-even')).toBe(100n);
    expect(parseDecimal('1.015', USD, 'half-even')).toBe(102n);
    expect(parseDecimal('1.005', USD, 'half-up')).toBe(101n);
    expect(parseDecimal('-1.005', USD, 'half-up')).toBe(-101n);
    expect(parseDecimal('.5', USD)).toBe(50n);
    expect(() => parseDecimal('1e3', USD)).toThrow(MoneyFormatError);
    expect(() => parseDecimal('', USD)).toThrow(MoneyFormatError);
    expect(() => parseDecimal('.', USD)).toThrow(MoneyFormatError);
  });
});

describe('range guards', () => {
  it('rejects values outside ±(2^53-1) minor units', () => {
    expect(() => minor(MAX_MINOR + 1n)).toThrow(MoneyRangeError);
    expect(() => minor(2 ** 53)).toThrow(MoneyRangeError);
    expect(() => minor(1.5)).toThrow(MoneyRangeError);
    expect(() => add(MAX_MINOR, minor(1))).toThrow(MoneyRangeError);
    expect(() => minor('12a')).toThrow(MoneyFormatError);
  });
  it('divRound matches the definition of each rounding mode', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (n, d) => {
        for (const mode of ['half-even', 'half-up', 'down', 'floor', 'ceiling'] as const) {
          const q = divRound(n, d, mode);
          // |n - q*d| <= d (never more than one unit away)
          const err = n - q * d;
          expect(err <= d && err >= -d).toBe(true);
          if (mode === 'floor') expect(q * d <= n).toBe(true);
          if (mode === 'ceiling') expect(q * d >= n).toBe(true);
          if (mode === 'half-even' || mode === 'half-up') expect(2n * (err < 0n ? -err : err) <= d).toBe(true);
        }
      }),
    );
  });
});
