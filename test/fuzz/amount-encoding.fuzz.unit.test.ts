// Property-based fuzzing (fast-check) of the two primitives every parser leans
// on: parseBankAmount (bank amount text -> minor units) and decodeBytes (file
// bytes -> text). Both must be total: a result or their one coded ImportError,
// never another exception; and they must get right what they promise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBankAmount, type AmountOptions } from '../../src/imports/amount.ts';
import { decodeBytes, SUPPORTED_CHARSETS } from '../../src/imports/encoding.ts';
import { ImportError } from '../../src/imports/errors.ts';

const SEED = Number(process.env.FINHUB_FUZZ_SEED ?? 20_261_124);
const RUNS = Number(process.env.FINHUB_FUZZ_PROPERTY_RUNS ?? 5000);
const MAX = 9_007_199_254_740_991n;
const params = { seed: SEED, numRuns: RUNS };

/** Characters banks put in amount fields, to reach deep into the parser more often than random text does. */
const amountChar = fc.constantFrom(...'0123456789.,-+()$€£¥ \u00a0\u2212\'CRDUSEUR'.split(''), '\u202f', 'zł', 'kr', 'د.ا.\u200f', 'e', 'x', '\t');
const amountish = fc.oneof(fc.string({ maxLength: 40 }), fc.array(amountChar, { maxLength: 30 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 250 }));
const amountOpts: fc.Arbitrary<AmountOptions> = fc.record(
  {
    exponent: fc.oneof(fc.constantFrom(0, 2, 3), fc.integer({ min: -2, max: 12 })),
    decimal: fc.constantFrom('.', ',', 'auto', undefined),
    rounding: fc.constantFrom('half-even', 'half-up', 'down', 'floor', 'ceiling', undefined),
  },
  { requiredKeys: ['exponent'] },
) as fc.Arbitrary<AmountOptions>;

function outcome(fn: () => bigint): { value?: bigint; code?: string; other?: unknown } {
  try {
    return { value: fn() };
  } catch (e) {
    return e instanceof ImportError ? { code: e.code } : { other: e };
  }
}

/** Renders minor units the way one bank or another writes them. */
interface Style {
  decimal: '.' | ',';
  group: '' | 'sep' | ' ' | "'" | '\u00a0';
  negative: 'minus' | 'trailing' | 'parens' | 'dr' | 'unicode';
  plus: boolean;
  symbol: '' | '$' | '€ ' | ' EUR' | 'USD ';
}

function render(units: bigint, exponent: number, s: Style): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(exponent + 1, '0');
  const intPart = exponent ? digits.slice(0, -exponent) : digits;
  const frac = exponent ? digits.slice(-exponent) : '';
  const groupChar = s.group === 'sep' ? (s.decimal === '.' ? ',' : '.') : s.group;
  const grouped = groupChar ? intPart.replace(/\B(?=(\d{3})+(?!\d))/g, groupChar) : intPart;
  let body = frac ? `${grouped}${s.decimal}${frac}` : grouped;
  body = s.symbol.startsWith(' ') ? body + s.symbol : s.symbol + body;
  if (!neg) return s.plus ? `+${body}` : body;
  switch (s.negative) {
    case 'minus': return `-${body}`;
    case 'trailing': return `${body}-`;
    case 'parens': return `(${body})`;
    case 'dr': return `${body} DR`;
    case 'unicode': return `\u2212${body}`;
  }
}

const style: fc.Arbitrary<Style> = fc.record({
  decimal: fc.constantFrom('.', ','),
  group: fc.constantFrom('', 'sep', ' ', "'", '\u00a0'),
  negative: fc.constantFrom('minus', 'trailing', 'parens', 'dr', 'unicode'),
  plus: fc.boolean(),
  symbol: fc.constantFrom('', '$', '€ ', ' EUR', 'USD '),
});

describe('parseBankAmount (fast-check)', () => {
  it('is total: any text and options give an in-range bigint or AMOUNT_INVALID, nothing else', () => {
    fc.assert(
      fc.property(amountish, amountOpts, (text, opts) => {
        const r = outcome(() => parseBankAmount(text, opts));
        if (r.other !== undefined) throw r.other;
        if (r.code !== undefined) return r.code === 'AMOUNT_INVALID';
        return typeof r.value === 'bigint' && r.value <= MAX && r.value >= -MAX;
      }),
      params,
    );
  });

  it('reads back every in-range amount in every supported notation, with the separator given or guessed', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX, max: MAX }), fc.constantFrom(0, 2, 3), style, fc.boolean(), (units, exponent, s, auto) => {
        const text = render(units, exponent, s);
        const opts: AmountOptions = { exponent, decimal: auto ? 'auto' : s.decimal };
        expect(parseBankAmount(text, opts), text).toBe(units);
      }),
      params,
    );
  });

  it('rounds extra decimals half away from zero by default, and per the mode given', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 1, max: 6 }), fc.boolean(), (raw, extra, negative) => {
        const exponent = 2;
        const scale = 10n ** BigInt(extra);
        const digits = raw.toString().padStart(exponent + extra + 1, '0');
        const text = `${negative ? '-' : ''}${digits.slice(0, -(exponent + extra))}.${digits.slice(-(exponent + extra))}`;
        const q = raw / scale;
        const rem = raw % scale;
        const halfUp = rem * 2n >= scale ? q + 1n : q;
        const down = q;
        const sign = (x: bigint) => (negative ? -x : x);
        expect(parseBankAmount(text, { exponent, decimal: '.' }), text).toBe(sign(halfUp));
        expect(parseBankAmount(text, { exponent, decimal: '.', rounding: 'down' }), text).toBe(sign(down));
      }),
      params,
    );
  });

  it('negates: a minus sign in any notation gives the negative of the plain amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX }), style, (units, s) => {
        const plain = render(units, 2, { ...s, plus: false });
        const neg = render(-units, 2, s);
        expect(parseBankAmount(neg, { exponent: 2, decimal: s.decimal })).toBe(-parseBankAmount(plain, { exponent: 2, decimal: s.decimal }));
      }),
      params,
    );
  });
});

const isValidUtf8 = (b: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

const labels = fc.constantFrom(undefined, 'UTF-8', 'utf8', '1252', 'CP1252', 'ISO-8859-1', '8859-1', 'latin1', 'USASCII', 'US-ASCII', 'windows-1250', 'ISO-8859-2', 'ISO-8859-15', 'UTF-16', 'NONE', 'EBCDIC', '', 'x'.repeat(40));
const noNul = (s: string) => !s.includes('\0') && !s.startsWith('\ufeff');

describe('decodeBytes (fast-check)', () => {
  it('is total: any bytes and declared label give text in a supported charset, or ENCODING', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ unit: 'binary', maxLength: 500 }).map((s) => new TextEncoder().encode(s)));
    fc.assert(
      fc.property(bytes, labels, (b, label) => {
        try {
          const d = decodeBytes(b, label);
          return typeof d.text === 'string' && (SUPPORTED_CHARSETS as readonly string[]).includes(d.used);
        } catch (e) {
          if (e instanceof ImportError && e.code === 'ENCODING') return true;
          throw e;
        }
      }),
      params,
    );
  });

  it('decodes UTF-8 (with or without BOM) exactly, whatever single-byte charset the file claims', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }).filter(noNul), labels, fc.boolean(), (s, label, bom) => {
        const body = new TextEncoder().encode(s);
        const b = bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...body]) : body;
        // A declared UTF-16 over bytes without NULs is not UTF-16; everything else must read the UTF-8 back.
        expect(decodeBytes(b, label).text).toBe(s);
      }),
      { ...params, numRuns: Math.min(RUNS, 2000) },
    );
  });

  it('decodes UTF-16 LE and BE with a BOM exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => noNul(s) && s.length > 0), fc.boolean(), (s, be) => {
        const le = Buffer.from(s, 'utf16le');
        const body = be ? Buffer.from(le).swap16() : le;
        const b = new Uint8Array([...(be ? [0xfe, 0xff] : [0xff, 0xfe]), ...body]);
        expect(decodeBytes(b).text).toBe(s);
      }),
      { ...params, numRuns: Math.min(RUNS, 2000) },
    );
  });

  it('recognises BOM-less UTF-16 of ASCII text by its NUL pattern', () => {
    const ascii = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 ;,.<>/:-\n'.split('')), minLength: 4, maxLength: 300 });
    fc.assert(
      fc.property(ascii, fc.boolean(), (s, be) => {
        const le = Buffer.from(s, 'utf16le');
        const b = new Uint8Array(be ? Buffer.from(le).swap16() : le);
        const d = decodeBytes(b);
        expect(d.text).toBe(s);
        expect(d.used).toBe(be ? 'utf-16be' : 'utf-16le');
      }),
      params,
    );
  });

  it('honours a declared windows-1252 / ISO-8859-1 when the bytes are not UTF-8', () => {
    const latin = fc.string({ unit: fc.constantFrom(...'abcXYZ 09;é'.split(''), 'à', 'ü', 'ç', 'ñ', 'ø', 'ß', 'Ä', 'É', '£', '°'), minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(latin, fc.constantFrom('1252', 'ISO-8859-1', 'CP1252'), (s, label) => {
        const b = new Uint8Array(Buffer.from(s, 'latin1'));
        fc.pre(!isValidUtf8(b));
        expect(decodeBytes(b, label).text).toBe(s);
      }),
      params,
    );
  });
});
