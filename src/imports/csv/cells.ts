// Cell-level readers shared by detection and row conversion.
import { guessDecimalSeparator, tryParseBankAmount, type DecimalSeparator } from '../amount.ts';
import { dateMask } from './dates.ts';
import { CREDIT_WORDS, DEBIT_WORDS } from './headers.ts';
import { foldAccents } from './dates.ts';
import { isCurrencyCode } from '../../money/currencies.ts';

// Bidi marks glued to amounts by RTL locales ("د.ا.\u200f4.750").
const BIDI = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g;
// A currency written as letters with dots before the number ("د.ا.", "Fr.", "Rs."), optionally after a sign.
const DOTTED_PREFIX = /^([+\-\u2212]?\s*)(?:\p{L}{1,4}\.){1,3}\s*(?=[\d.,])/u;

/** Text of an amount cell with what parseBankAmount cannot take off itself removed. */
const PLAIN_AMOUNT = /^[-+]?[\d.,]+$/;

export function cleanAmountCell(cell: string): string {
  let s = cell.trim();
  if (s === '' || PLAIN_AMOUNT.test(s)) return s;
  s = s.replace(BIDI, '');
  const m = DOTTED_PREFIX.exec(s);
  if (m !== null) s = (m[1] as string) + s.slice(m[0].length);
  return s.trim();
}

const HAS_DIGIT = /\d/;
const FIVE_LETTERS = /\p{L}[^\p{L}]*\p{L}[^\p{L}]*\p{L}[^\p{L}]*\p{L}[^\p{L}]*\p{L}/u;

export function isAmountLike(cell: string): boolean {
  if (cell.length > 60) return false;
  const s = cleanAmountCell(cell);
  // Text with several letters is never an amount; checking first spares a thrown-and-caught error per text cell.
  if (s === '' || s.length > 40 || !HAS_DIGIT.test(s) || FIVE_LETTERS.test(s)) return false;
  return tryParseBankAmount(s, { exponent: 2 }) !== undefined;
}

export function isDateLike(cell: string): boolean {
  return dateMask(cell) !== 0;
}

/**
 * Decimal separator of amount columns taken together: amount.ts's vote,
 * plus one vote per value like "0.125" / "0,750" — a leading zero rules out
 * a thousands group, which the per-value rule otherwise assumes for x.xxx.
 * Returns undefined when no value decides; 'tie' when both separators win
 * the same number of votes (a genuinely mixed column).
 */
export function columnDecimal(values: string[]): DecimalSeparator | 'tie' | undefined {
  const cleaned = values.map(cleanAmountCell);
  const g = guessDecimalSeparator(cleaned);
  let dot = g.dotVotes;
  let comma = g.commaVotes;
  for (const v of cleaned) {
    const m = /^[+\-\u2212]?\D{0,4}0([.,])\d{3}\D{0,4}$/.exec(v);
    if (m !== null) {
      if (m[1] === '.') dot += 1;
      else comma += 1;
    }
  }
  if (dot === 0 && comma === 0) return undefined;
  if (dot === comma) return 'tie';
  return dot > comma ? '.' : ',';
}

export function foldWord(cell: string): string {
  return foldAccents(cell).toLowerCase().replace(/[^a-z0-9/ ]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export type Direction = 'debit' | 'credit';

/** Reads a direction cell with the default vocabulary or the caller's lists. */
export function directionOf(cell: string, custom?: { debit: string[]; credit: string[] }): Direction | undefined {
  const w = foldWord(cell);
  if (w === '') return undefined;
  if (custom !== undefined) {
    if (custom.debit.some((x) => foldWord(x) === w)) return 'debit';
    if (custom.credit.some((x) => foldWord(x) === w)) return 'credit';
    return undefined;
  }
  if (DEBIT_WORDS.includes(w)) return 'debit';
  if (CREDIT_WORDS.includes(w)) return 'credit';
  return undefined;
}

export function isCurrencyCell(cell: string): boolean {
  const v = cell.trim();
  return v.length === 3 && isCurrencyCode(v);
}

/** Own-account-like: an IBAN or a long account number. */
export function isAccountLike(cell: string): boolean {
  const s = cell.replace(/\s/g, '');
  return /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s);
}

/** Whitespace runs (including line breaks in quoted cells) collapsed; wrapping single quotes dropped. */
const MESSY_SPACE = /\s\s|[\t\n\r\f\v\u00a0]/;

export function cleanText(cell: string): string {
  let s = MESSY_SPACE.test(cell) ? cell.replace(/\s+/g, ' ').trim() : cell.trim();
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) s = s.slice(1, -1).trim();
  return s;
}
