import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guessDecimalSeparator, parseBankAmount, tryParseBankAmount } from './amount.ts';
import { ImportError } from './errors.ts';

const usd = { exponent: 2 };
const p = (text: string, opts: Parameters<typeof parseBankAmount>[1] = usd) => parseBankAmount(text, opts);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof ImportError) return e.code;
    throw e;
  }
}

describe('parseBankAmount: forms banks write', () => {
  it.each([
    ['1,234.56', 123456n],
    ['1.234,56', 123456n],
    ['1 234,56', 123456n],
    ['1\u00a0234,56', 123456n],
    ['1\u202f234.56', 123456n],
    ["1'234.56", 123456n],
    ['(12.00)', -1200n],
    ['( 12.00 )', -1200n],
    ['- $7,971.39', -797139n],
    ['+ $73.01', 7301n],
    ['-.5', -50n],
    ['.50', 50n],
    ['12.', 1200n],
    ['12.00-', -1200n],
    ['12.00 -', -1200n],
    ['12.00 CR', 1200n],
    ['12.00 DR', -1200n],
    ['12.00dr', -1200n],
    ['EUR 1.234,56', 123456n],
    ['1.234,56 €', 123456n],
    ['-1 234,56 zł', -123456n],
    ['USD -0.01', -1n],
    ['\u22125.00', -500n],
    ['0', 0n],
    ['-0', 0n],
    ['1,23,456.78', 12345678n],
    ['1,234,567', 123456700n],
    ['1.234.567', 123456700n],
    ['  42  ', 4200n],
  ])('%s -> %s', (text, expected) => {
    expect(p(text)).toBe(expected);
  });

  it('accepts an explicit decimal separator', () => {
    expect(p('1,234', { exponent: 2, decimal: ',' })).toBe(123n);
    expect(p('1.234', { exponent: 2, decimal: '.' })).toBe(123n);
    expect(p('1.234', { exponent: 2, decimal: ',' })).toBe(123400n);
    expect(p('1,234.5', { exponent: 2, decimal: '.' })).toBe(123450n);
    expect(codeOf(() => p('1,234.5', { exponent: 2, decimal: ',' }))).toBe('AMOUNT_INVALID');
  });
});

describe('parseBankAmount: the auto decimal rule', () => {
  it('treats a single separator followed by exactly three digits as grouping', () => {
    expect(p('1,234')).toBe(123400n);
    expect(p('1.234')).toBe(123400n);
    expect(p('-123.456')).toBe(-12345600n);
  });
  it('treats it as decimal otherwise', () => {
    expect(p('12,5')).toBe(1250n);
    expect(p('0.125')).toBe(13n); // leading 0: decimal, then rounded
    expect(p('1234.567')).toBe(123457n); // four digits before: not a group
    expect(p('1,2345')).toBe(123n);
  });
  it('reads three decimals as decimals for exponent-3 currencies', () => {
    expect(p('1.234', { exponent: 3 })).toBe(1234n);
    expect(p('1,234', { exponent: 3 })).toBe(1234n);
    expect(p('1,234.567', { exponent: 3 })).toBe(1234567n);
  });
});

describe('parseBankAmount: rounding (half away from zero by default)', () => {
  it.each([
    ['0.125', 2, 13n],
    ['-0.125', 2, -13n],
    ['0.135', 2, 14n],
    ['0.1249', 2, 12n],
    ['115.8331', 2, 11583n],
    ['-30.000', 2, -3000n],
    ['-3.77000', 2, -377n],
    ['1234.5', 0, 1235n],
    ['-1234.5', 0, -1235n],
    ['1234.49', 0, 1234n],
    ['1.2345', 3, 1235n],
    ['-1.23449', 3, -1234n],
    ['0.00005', 4, 1n],
  ])('%s at exponent %i -> %s', (text, exponent, expected) => {
    // decimal '.' explicitly: under 'auto', -30.000 would be thirty thousand (see the auto rule).
    expect(p(text, { exponent, decimal: '.' })).toBe(expected);
  });

  it("under 'auto', three decimals on a 2-decimal currency read as grouping", () => {
    expect(p('-30.000')).toBe(-3000000n);
    expect(p('-30.0000')).toBe(-3000n);
  });

  it('uses another mode when asked', () => {
    expect(p('0.125', { exponent: 2, rounding: 'half-even' })).toBe(12n);
    expect(p('0.135', { exponent: 2, rounding: 'half-even' })).toBe(14n);
    expect(p('-0.129', { exponent: 2, rounding: 'down' })).toBe(-12n);
    expect(p('-0.121', { exponent: 2, rounding: 'floor' })).toBe(-13n);
  });

  it('JPY and BHD keep their own number of places', () => {
    expect(p('1,234', { exponent: 0 })).toBe(1234n);
    expect(p('¥1,234', { exponent: 0 })).toBe(1234n);
    expect(p('12.345 BHD', { exponent: 3 })).toBe(12345n);
    expect(p('12.3', { exponent: 3 })).toBe(12300n);
  });
});

describe('parseBankAmount: rejects', () => {
  it.each([
    [''],
    ['.'],
    ['-'],
    ['()'],
    ['abc'],
    ['1e5'],
    ['12.34.56,7'],
    ['1,234.56.7'],
    ['--5'],
    ['-(5)'],
    ['-5 CR'],
    ['(5'],
    ['5)'],
    ['1,,234'],
    [',5,'],
    ['1.234,5,6'],
    ['12 34 5x'],
    ['0x10'],
    ['NaN'],
    ['Infinity'],
    ['1.5.'],
  ])('%j', (text) => {
    expect(codeOf(() => p(text))).toBe('AMOUNT_INVALID');
  });

  it('refuses amounts beyond ±(2^53-1) minor units', () => {
    expect(p('90071992547409.91')).toBe(9007199254740991n);
    expect(p('-90071992547409.91')).toBe(-9007199254740991n);
    expect(codeOf(() => p('90071992547409.92'))).toBe('AMOUNT_INVALID');
    expect(codeOf(() => p('9007199254740992', { exponent: 0 }))).toBe('AMOUNT_INVALID');
    expect(codeOf(() => p('1' + '0'.repeat(40)))).toBe('AMOUNT_INVALID');
  });

  it('says what it got and what it expected', () => {
    try {
      p('12,34,5x');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ImportError);
      expect((e as ImportError).message).toContain('"12,34,5x"');
      expect((e as ImportError).expected).toMatch(/decimal amount/);
    }
  });

  it('tryParseBankAmount answers undefined instead', () => {
    expect(tryParseBankAmount('x', usd)).toBeUndefined();
    expect(tryParseBankAmount('1.00', usd)).toBe(100n);
  });
});

describe('guessDecimalSeparator', () => {
  it('decides from unambiguous values', () => {
    expect(guessDecimalSeparator(['1,234', '12.50', '3']).decimal).toBe('.');
    expect(guessDecimalSeparator(['1.234', '12,50', '3']).decimal).toBe(',');
    expect(guessDecimalSeparator(['1.234,00', '1,234']).decimal).toBe(',');
    expect(guessDecimalSeparator(['1,234,567']).decimal).toBe('.');
  });
  it('answers undefined when nothing decides', () => {
    expect(guessDecimalSeparator(['1,234', '5', '2.345']).decimal).toBeUndefined();
    expect(guessDecimalSeparator([]).decimal).toBeUndefined();
    expect(guessDecimalSeparator(['12.50', '12,50'])).toEqual({ decimal: undefined, dotVotes: 1, commaVotes: 1 });
  });
  it('follows the majority when values disagree', () => {
    expect(guessDecimalSeparator(['1.50', '2.50', '3,50']).decimal).toBe('.');
  });
});

describe('parseBankAmount: properties', () => {
  it('reads back any amount written with grouping, either separator and any sign style', () => {
    const style = fc.record({
      decimal: fc.constantFrom('.', ','),
      group: fc.boolean(),
      sign: fc.constantFrom('minus', 'trailing', 'parens', 'dr', 'spaced'),
      symbol: fc.constantFrom('', '$', 'EUR ', ' USD'),
    });
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), style, (v, s) => {
        const abs = v < 0n ? -v : v;
        const digits = abs.toString().padStart(3, '0');
        let int = digits.slice(0, -2);
        const frac = digits.slice(-2);
        if (s.group) int = int.replace(/\B(?=(\d{3})+(?!\d))/g, s.decimal === '.' ? ',' : '.');
        let text = `${int}${s.decimal}${frac}`;
        if (s.symbol === '$') text = `$${text}`;
        else if (s.symbol === 'EUR ') text = `EUR ${text}`;
        else text = `${text}${s.symbol}`;
        if (v < 0n) {
          if (s.sign === 'minus') text = `-${text}`;
          else if (s.sign === 'trailing') text = `${text}-`;
          else if (s.sign === 'parens') text = `(${text})`;
          else if (s.sign === 'dr') text = `${text} DR`;
          else text = `- ${text}`;
        }
        expect(parseBankAmount(text, { exponent: 2 })).toBe(v);
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('never throws anything but ImportError, and stays in range', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.constantFrom(0, 2, 3), fc.constantFrom('.', ',', 'auto' as const), (text, exponent, decimal) => {
        try {
          const v = parseBankAmount(text, { exponent, decimal });
          expect(v <= 9007199254740991n && v >= -9007199254740991n).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ImportError);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('the fast path and the general path agree on plain dot amounts', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[+-]?\d{0,14}(\.\d{0,6})?$/), fc.constantFrom(0, 2, 3), (text, exponent) => {
        const viaDot = tryParseBankAmount(text, { exponent, decimal: '.' });
        // The general path with ',' as "decimal" sees '.' as grouping, so compare against an explicit re-reading instead.
        const general = tryParseBankAmount(` ${text} `, { exponent, decimal: '.' });
        expect(viaDot).toBe(general);
      }),
      { numRuns: 1000, seed: 3 },
    );
  });
});
