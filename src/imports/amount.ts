// Bank amounts as text -> integer minor units, without ever going through a float.
//
// Accepted around the number: whitespace, one sign ('-', '+', U+2212 minus, a
// trailing '-' or '+', parentheses for negative, or CR / DR where DR is
// negative), currency signs (any Unicode currency symbol: $ € £ ¥ ₹ ...),
// three-letter codes ("USD", "EUR") and common local abbreviations (zł, kr,
// Kč, Ft, lei, ...). Inside the number: digits, one decimal separator and
// grouping separators ('.' or ',' whichever is not the decimal, spaces,
// NBSP/thin spaces, apostrophes as in 1'234.56) in thousands groups
// (1,234,567) or Indian lakh groups (12,34,567). Two sign markers
// ("-(12.00)", "-5 CR") are AMOUNT_INVALID rather than guessed.
//
// ROUNDING RULE: when the text has more fractional digits than the currency's
// exponent (3-5 places are common in OFX/CAMT), the value is rounded to the
// exponent half-away-from-zero (commercial rounding, `'half-up'` in
// src/money): 0.125 USD -> 13 cents, -0.125 -> -13, 0.1249 -> 12; 1234.5 JPY ->
// 1235 yen; 1.2345 BHD -> 1235 fils. Callers can pick another mode via
// opts.rounding. Results beyond ±(2^53-1) minor units are AMOUNT_INVALID.
//
// DECIMAL SEPARATOR RULE for decimal: 'auto' (the default), per value:
//   - both '.' and ',' present: the one that appears last is the decimal
//     separator (1,234.56 / 1.234,56); it must appear once and after every
//     occurrence of the other;
//   - one kind repeated (1,234,567 / 1.234.567): grouping, no fraction;
//   - one kind once, e.g. the ambiguous 1,234 / 1.234: it is a GROUPING
//     separator when exactly three digits follow it, one to three digits
//     precede it and the leading digit is not 0, unless the currency has
//     exponent 3 (BHD, KWD...) where three decimals are normal; in every other
//     case (12,5 / 0.125 / 1234.567 / .50 / 12.) it is the decimal separator.
// Over a whole column use guessDecimalSeparator first and pass the answer in.
import { divRound, MAX_MINOR, type Rounding } from '../money/money.ts';
import { ImportError } from './errors.ts';

export type DecimalSeparator = '.' | ',';

export interface AmountOptions {
  /** Minor-unit exponent of the currency (2 for USD, 0 for JPY, 3 for BHD). */
  exponent: number;
  decimal?: DecimalSeparator | 'auto';
  /** Defaults to 'half-up' (half away from zero), see the file header. */
  rounding?: Rounding;
}

export const DEFAULT_AMOUNT_ROUNDING: Rounding = 'half-up';

// Beyond this many significant fraction digits the text is not a bank amount.
const MAX_FRACTION_DIGITS = 18;
// 2^53-1 has 16 digits; anything with more integer digits is out of range anyway.
const MAX_INTEGER_DIGITS = 22;

function invalid(text: string, reason: string): ImportError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return new ImportError('AMOUNT_INVALID', `"${shown}" is not a valid amount: ${reason}`, {
    expected: 'a decimal amount such as 1234.56, -1.234,56 or (12.00)',
  });
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (ch: string): boolean =>
  ch === ' ' || ch === '\t' || ch === '\u00a0' || ch === '\u202f' || ch === '\u2009' || ch === '\u2007' || ch === '\r' || ch === '\n';
const isGroupingSpace = (ch: string): boolean => ch === ' ' || ch === '\u00a0' || ch === '\u202f' || ch === '\u2009' || ch === '\u2007';
const isApostrophe = (ch: string): boolean => ch === "'" || ch === '\u2019';
const CURRENCY_SIGN = /\p{Sc}/u;
// Letters allowed around a number: an ISO-4217-shaped code or a common local currency abbreviation.
const CURRENCY_WORDS = new Set(['ZŁ', 'KR', 'KČ', 'FT', 'LEI', 'FR', 'RS', 'RP', 'RM', 'TL', 'KN', 'ЛВ', 'DIN', 'РУБ', 'ГРН', 'DH']);
const isCurrencyWord = (upper: string): boolean => /^[A-Z]{3}$/.test(upper) || CURRENCY_WORDS.has(upper);
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 0x7f;

interface Affixes {
  negative: boolean;
  start: number;
  end: number;
}

/** Strips sign markers, currency symbols/codes and spaces from both ends. */
function stripAffixes(text: string): Affixes {
  let start = 0;
  let end = text.length;
  let minus = 0;
  let plus = 0;
  let open = false;
  let close = false;
  while (start < end) {
    const ch = text[start] as string;
    const c = text.charCodeAt(start);
    if (isDigit(c) || ch === '.' || ch === ',') break;
    if (isSpace(ch)) start += 1;
    else if (ch === '-' || ch === '\u2212') {
      minus += 1;
      start += 1;
    } else if (ch === '+') {
      plus += 1;
      start += 1;
    } else if (ch === '(') {
      if (open) throw invalid(text, 'nested parentheses');
      open = true;
      start += 1;
    } else if (CURRENCY_SIGN.test(ch)) start += 1;
    else if (isLetter(c)) {
      let k = start;
      while (k < end && isLetter(text.charCodeAt(k))) k += 1;
      const word = text.slice(start, k).toUpperCase();
      if (word === 'CR') plus += 1;
      else if (word === 'DR') minus += 1;
      else if (!isCurrencyWord(word)) throw invalid(text, `unexpected text "${text.slice(start, k)}"`);
      start = k;
    } else throw invalid(text, `unexpected character "${ch}"`);
  }
  while (end > start) {
    const ch = text[end - 1] as string;
    const c = text.charCodeAt(end - 1);
    if (isDigit(c) || ch === '.' || ch === ',') break;
    if (isSpace(ch)) end -= 1;
    else if (ch === '-' || ch === '\u2212') {
      minus += 1;
      end -= 1;
    } else if (ch === '+') {
      plus += 1;
      end -= 1;
    } else if (ch === ')') {
      if (close) throw invalid(text, 'nested parentheses');
      close = true;
      end -= 1;
    } else if (CURRENCY_SIGN.test(ch)) end -= 1;
    else if (isLetter(c)) {
      let k = end;
      while (k > start && isLetter(text.charCodeAt(k - 1))) k -= 1;
      const word = text.slice(k, end).toUpperCase();
      if (word === 'CR') plus += 1;
      else if (word === 'DR') minus += 1;
      else if (!isCurrencyWord(word)) throw invalid(text, `unexpected text "${text.slice(k, end)}"`);
      end = k;
    } else throw invalid(text, `unexpected character "${ch}"`);
  }
  if (open !== close) throw invalid(text, 'unbalanced parentheses');
  if (open) minus += 1;
  if (minus + plus > 1) throw invalid(text, 'more than one sign');
  return { negative: minus > 0, start, end };
}

/** First group 1-3 digits, last group 3, groups between all 3 (thousands) or all 2 (Indian lakh/crore). */
function validGrouping(groups: readonly number[]): boolean {
  const first = groups[0] as number;
  const last = groups[groups.length - 1] as number;
  if (first < 1 || first > 3 || last !== 3) return false;
  const middle = groups.slice(1, -1);
  return middle.every((g) => g === 3) || middle.every((g) => g === 2);
}

/** Which separator acts as the decimal point in one number core (no signs or symbols). */
function decideDecimal(core: string, exponent: number): DecimalSeparator | undefined {
  const lastDot = core.lastIndexOf('.');
  const lastComma = core.lastIndexOf(',');
  if (lastDot < 0 && lastComma < 0) return undefined;
  if (lastDot >= 0 && lastComma >= 0) return lastDot > lastComma ? '.' : ',';
  const sep: DecimalSeparator = lastDot >= 0 ? '.' : ',';
  const pos = lastDot >= 0 ? lastDot : lastComma;
  if (core.indexOf(sep) !== pos) return sep === '.' ? ',' : '.'; // repeated: it is the grouping one
  if (exponent === 3) return sep;
  let after = 0;
  for (let k = pos + 1; k < core.length && isDigit(core.charCodeAt(k)); k += 1) after += 1;
  const before = core.slice(0, pos).replace(/[\s'\u2019\u00a0\u202f\u2009\u2007]/g, '');
  const grouping = after === 3 && pos + 1 + after === core.length && before.length >= 1 && before.length <= 3 && before[0] !== '0';
  return grouping ? (sep === '.' ? ',' : '.') : sep;
}

/**
 * Parses one bank amount into minor units. Throws ImportError('AMOUNT_INVALID')
 * for anything that is not an amount or is out of range; never anything else.
 */
export function parseBankAmount(text: string, opts: AmountOptions): bigint {
  if (typeof text !== 'string') throw invalid(String(text), 'not text');
  const exponent = opts.exponent;
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 8) throw invalid(text, `unsupported currency exponent ${exponent}`);
  if (text.length > 200) throw invalid(text, 'too long');
  if (opts.decimal === '.') {
    const fast = plainDotAmount(text, exponent, opts.rounding);
    if (fast !== undefined) return fast;
  }
  const { negative, start, end } = stripAffixes(text);
  if (start >= end) throw invalid(text, 'no digits');
  const core = text.slice(start, end);
  const mode = opts.decimal ?? 'auto';
  const decimal = mode === 'auto' ? decideDecimal(core, exponent) : mode;
  const group = decimal === '.' ? ',' : decimal === ',' ? '.' : undefined;

  let intDigits = '';
  let fracDigits = '';
  let seenDecimal = false;
  let prevWasDigit = false;
  let anyDigit = false;
  // Sizes of the digit groups of the integer part, when it has grouping separators.
  const groups: number[] = [];
  let groupLen = 0;
  for (let k = 0; k < core.length; k += 1) {
    const ch = core[k] as string;
    const c = core.charCodeAt(k);
    if (isDigit(c)) {
      if (seenDecimal) fracDigits += ch;
      else {
        intDigits += ch;
        groupLen += 1;
      }
      prevWasDigit = true;
      anyDigit = true;
    } else if (ch === decimal) {
      if (seenDecimal) throw invalid(text, `more than one decimal separator "${ch}"`);
      seenDecimal = true;
      if (groups.length > 0) groups.push(groupLen);
      prevWasDigit = false;
    } else if (ch === group || isGroupingSpace(ch) || isApostrophe(ch) || (decimal === undefined && (ch === '.' || ch === ','))) {
      // Grouping separators sit between digits of the integer part only.
      if (seenDecimal) throw invalid(text, `grouping separator "${ch}" after the decimal separator`);
      const next = k + 1 < core.length ? core.charCodeAt(k + 1) : -1;
      if (!prevWasDigit || !isDigit(next)) throw invalid(text, `misplaced grouping separator "${ch}"`);
      groups.push(groupLen);
      groupLen = 0;
      prevWasDigit = false;
    } else {
      throw invalid(text, `unexpected character "${ch}"`);
    }
    if (intDigits.length > MAX_INTEGER_DIGITS) throw invalid(text, 'out of range');
  }
  if (!anyDigit) throw invalid(text, 'no digits');
  if (groups.length > 0) {
    if (!seenDecimal) groups.push(groupLen);
    if (!validGrouping(groups)) throw invalid(text, 'digit groups are not thousands (1,234,567) or lakh (12,34,567) groups');
  }
  fracDigits = fracDigits.replace(/0+$/, '');
  if (fracDigits.length > MAX_FRACTION_DIGITS) throw invalid(text, 'too many decimal places');

  const digits = BigInt((intDigits || '0') + fracDigits.padEnd(exponent, '0'));
  const signed = negative ? -digits : digits;
  const units =
    fracDigits.length > exponent
      ? divRound(signed, 10n ** BigInt(fracDigits.length - exponent), opts.rounding ?? DEFAULT_AMOUNT_ROUNDING)
      : signed;
  if (units > MAX_MINOR || units < -MAX_MINOR) throw invalid(text, `out of range ±${MAX_MINOR} minor units`);
  return units === 0n ? 0n : units; // no -0n distinction exists for bigint, kept for clarity
}

/**
 * Fast path for the common machine-written form [+-]digits[.digits] (OFX
 * TRNAMT): no allocation beyond the BigInt. Undefined when the text has any
 * other shape, so the general parser handles (and explains) it.
 */
function plainDotAmount(text: string, exponent: number, rounding: Rounding | undefined): bigint | undefined {
  const n = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i = 1;
  }
  // All digits as one integer; at most 15 of them keeps it exact in a double.
  let all = 0;
  let digits = 0;
  let fracDigits = -1;
  for (; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      all = all * 10 + (c - 48);
      digits += 1;
      if (fracDigits >= 0) fracDigits += 1;
      if (digits > 15) return undefined;
    } else if (c === 46 && fracDigits < 0) fracDigits = 0;
    else return undefined;
  }
  if (digits === 0) return undefined;
  if (fracDigits < 0) fracDigits = 0;
  if (fracDigits <= exponent) {
    const units = all * POW10[exponent - fracDigits]!;
    if (!Number.isSafeInteger(units)) return undefined;
    return BigInt(negative ? -units : units);
  }
  const exact = BigInt(negative ? -all : all);
  return divRound(exact, BigInt(POW10[fracDigits - exponent]!), rounding ?? DEFAULT_AMOUNT_ROUNDING);
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

/** Like parseBankAmount but answers undefined instead of throwing. */
export function tryParseBankAmount(text: string, opts: AmountOptions): bigint | undefined {
  try {
    return parseBankAmount(text, opts);
  } catch (e) {
    if (e instanceof ImportError) return undefined;
    throw e;
  }
}

export interface DecimalGuess {
  /** The separator the column uses, or undefined when no value decides it (all integers or all like 1,234). */
  decimal: DecimalSeparator | undefined;
  /** Values that only make sense with '.' / ',' as the decimal separator. */
  dotVotes: number;
  commaVotes: number;
}

/**
 * Guesses the decimal separator of a whole column. A value votes only when it
 * is unambiguous on its own: both separators present (the last one wins), one
 * separator repeated (it is grouping, so the other is decimal), or a single
 * separator followed by other than exactly three digits. The majority wins;
 * a tie or no votes gives undefined, and callers fall back to 'auto' per value
 * (see the file header) or ask the user.
 */
export function guessDecimalSeparator(values: Iterable<string>): DecimalGuess {
  let dotVotes = 0;
  let commaVotes = 0;
  for (const raw of values) {
    if (typeof raw !== 'string' || raw.length > 200) continue;
    const core = raw.replace(/[^0-9.,]/g, '');
    const lastDot = core.lastIndexOf('.');
    const lastComma = core.lastIndexOf(',');
    if (lastDot < 0 && lastComma < 0) continue;
    if (lastDot >= 0 && lastComma >= 0) {
      if (lastDot > lastComma) dotVotes += 1;
      else commaVotes += 1;
      continue;
    }
    const sep = lastDot >= 0 ? '.' : ',';
    const pos = Math.max(lastDot, lastComma);
    if (core.indexOf(sep) !== pos) {
      if (sep === '.') commaVotes += 1;
      else dotVotes += 1;
      continue;
    }
    if (core.length - pos - 1 !== 3) {
      if (sep === '.') dotVotes += 1;
      else commaVotes += 1;
    }
  }
  const decimal = dotVotes > commaVotes ? '.' : commaVotes > dotVotes ? ',' : undefined;
  return { decimal, dotVotes, commaVotes };
}
