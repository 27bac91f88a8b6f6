// Conversion arithmetic: rate parsing, the rounding rule (half away from zero)
// on worked examples, exact inverses, triangulation, and the lookup rule.
import { describe, expect, it } from 'vitest';
import { createPrng } from '../../src/demo/prng.ts';
import { applyFactor, convertWithRate, directFactor, inverseFactor, normalizeRate, parseRate } from '../../src/fx/fx-math.ts';
import { RateBook } from '../../src/fx/rate-book.ts';
import type { CurrencyCode } from '../../src/money/currencies.ts';
import type { Minor } from '../../src/money/money.ts';

const C = (s: string) => s as CurrencyCode;
const m = (n: number | bigint) => BigInt(n) as Minor;

describe('rates', () => {
  it('parses exact decimal text and normalises it', () => {
    expect(parseRate('1.0845')).toBe(1_084_500_000_000n);
    expect(parseRate('0.000000000001')).toBe(1n);
    expect(normalizeRate(' 01.084500 ')).toBe('1.0845');
    expect(normalizeRate('2.0')).toBe('2');
    expect(normalizeRate('999999999999.999999999999')).toBe('999999999999.999999999999');
  });

  it.each(['0', '0.0', '-1.1', '1,08', '1e3', '', '.5', '1.0000000000001', '1000000000000', 'abc'])('refuses %j', (text) => {
    expect(() => parseRate(text)).toThrow();
  });
});

describe('rounding: half away from zero, once', () => {
  it.each([
    // amount, from, to, rate, expected (worked by hand)
    [-1005, 'EUR', 'USD', '1.1', -1106], //   -10.05 × 1.1   = -11.055      -> -11.06
    [1005, 'EUR', 'USD', '1.1', 1106], //     10.05 × 1.1   =  11.055      ->  11.06
    [1, 'USD', 'EUR', '0.5', 1], //            0.01 × 0.5   =   0.005      ->   0.01
    [-1, 'USD', 'EUR', '0.5', -1], //         -0.01 × 0.5   =  -0.005      ->  -0.01
    [1, 'USD', 'EUR', '0.4999', 0], //         0.01 × 0.4999 =  0.004999   ->   0.00
    [12345, 'USD', 'JPY', '151.37', 18687], // 123.45 × 151.37 = 18686.6265 -> 18687 yen
    [500, 'JPY', 'USD', '0.0066', 330], //      500 yen × 0.0066 = 3.30
    [1, 'BHD', 'USD', '2.6596', 0], //          0.001 BHD × 2.6596 = 0.0026596 USD -> 0.00
    [1000, 'BHD', 'USD', '2.6596', 266], //     1.000 BHD × 2.6596 = 2.6596 USD    -> 2.66
    [-2500, 'USD', 'CLF', '0.0267', -6675], // -25.00 USD × 0.0267 = -0.6675 CLF (4 places): exact, no rounding
  ] as const)('%i %s -> %s at %s', (amount, from, to, rate, want) => {
    expect(convertWithRate(m(amount), C(from), C(to), rate)).toBe(BigInt(want));
  });

  it('is symmetric: convert(-x) = -convert(x)', () => {
    const r = createPrng('fx-symmetry');
    for (let i = 0; i < 2000; i++) {
      const x = BigInt(r.int(-1_000_000, 1_000_000));
      const rate = `${r.int(0, 200)}.${r.int(1, 9999)}`;
      expect(convertWithRate(m(-x), C('EUR'), C('USD'), rate)).toBe(-convertWithRate(m(x), C('EUR'), C('USD'), rate));
    }
  });

  it('inverts a rate exactly, without rounding the inverse first', () => {
    // EUR->USD 3 used for USD->EUR is exactly 1/3: 1000.00 USD -> 333.333… EUR -> 333.33.
    expect(applyFactor(m(100_000), inverseFactor(C('USD'), C('EUR'), '3'))).toBe(33_333n);
    // A pre-rounded inverse (0.3333) would be off by three cents.
    expect(applyFactor(m(100_000), directFactor(C('USD'), C('EUR'), '0.3333'))).toBe(33_330n);
    // 0.05 USD -> 0.01666… EUR -> 0.02; 0.04 USD -> 0.01333… -> 0.01
    expect(applyFactor(m(5), inverseFactor(C('USD'), C('EUR'), '3'))).toBe(2n);
    expect(applyFactor(m(4), inverseFactor(C('USD'), C('EUR'), '3'))).toBe(1n);
  });
});

describe('lookup rule', () => {
  const book = new RateBook(C('USD'), [
    { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-01-01', rate: '1.1' },
    { from_currency: 'USD', to_currency: 'EUR', rate_date: '2024-02-01', rate: '0.8' },
    { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-02-01', rate: '1.2' },
    { from_currency: 'GBP', to_currency: 'USD', rate_date: '2024-01-15', rate: '1.25' },
  ]);

  it('takes the latest rate on or before the day, never a later one', () => {
    expect(book.factor(C('EUR'), C('USD'), '2023-12-31')).toBeUndefined();
    expect(book.convert(m(1000), C('EUR'), C('USD'), '2024-01-31')).toBe(1100n);
    expect(book.convert(m(1000), C('EUR'), C('USD'), '2024-02-01')).toBe(1200n);
  });

  it('uses the inverse when it is more recent, the direct rate on a tie', () => {
    // USD->EUR on 2024-01-20: only the EUR->USD 1.1 of 2024-01-01 exists: inverse.
    expect(book.factor(C('USD'), C('EUR'), '2024-01-20')?.via).toBe('inverse');
    expect(book.convert(m(1100), C('USD'), C('EUR'), '2024-01-20')).toBe(1000n);
    // 2024-02-01 has both directions: each direction uses its own rate.
    expect(book.convert(m(1000), C('USD'), C('EUR'), '2024-02-01')).toBe(800n);
    expect(book.convert(m(1000), C('EUR'), C('USD'), '2024-02-01')).toBe(1200n);
  });

  it('triangulates through the base currency and rounds once', () => {
    const f = book.factor(C('GBP'), C('EUR'), '2024-02-10')!;
    expect(f.via).toBe('triangulated');
    expect(f.rateDates).toEqual(['2024-01-15', '2024-02-01']);
    // 10.00 GBP × 1.25 = 12.50 USD × 0.8 = 10.00 EUR
    expect(applyFactor(m(1000), f)).toBe(1000n);
    // 0.03 GBP × 1.25 × 0.8 = 0.03 EUR exactly (the middle value 0.0375 USD is never rounded).
    expect(applyFactor(m(3), f)).toBe(3n);
    expect(f.num * 1000n / f.den).toBe(1000n); // the factor is exactly 1.25 × 0.8 = 1
  });

  it('names the pair and the day when nothing applies; zero needs no rate', () => {
    expect(() => book.convert(m(1), C('JPY'), C('USD'), '2024-03-01')).toThrow(/no exchange rate JPY→USD on or before 2024-03-01/);
    expect(book.convert(m(0), C('JPY'), C('USD'), '2024-03-01')).toBe(0n);
    // Base currency on one side: no triangulation.
    expect(book.factor(C('USD'), C('GBP'), '2024-01-10')).toBeUndefined();
  });
});
