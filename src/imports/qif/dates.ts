// Quicken's date forms. Seen in real files: 1/ 5/98, 01/05/1998, 01/05'04,
// 1/5' 4, 3/29' 0, D1/ 1'00, 2004-01-05, 05.01.2004, 05-01-2004, 20040105 and
// the Y2K-bug 03/25/099. Years: four digits as written; after an apostrophe
// two digits mean 20xx (Quicken's marker for the 2000s); otherwise 00-69 ->
// 20xx and 70-99 -> 19xx (the rule the CSV parser uses too); three digits mean
// 1900 + n (Y2K-era software wrote 99 as 099 and 2000 as 100).
import { ymd } from '../calendar.ts';

export type QifDateOrder = 'MDY' | 'DMY';

export interface QifDateParts {
  /** First and second number of a day/month pair, or undefined for year-first forms. */
  a?: number;
  b?: number;
  year: number;
  /** Year-first forms (ISO, compact) know their order. */
  fixed?: { month: number; day: number };
  separator: string;
  /** Text after the date on the same line (a broken exporter's leftovers). */
  trailing: string;
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(.*)$/s;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(\D.*)?$/s;
// Digits may be padded with spaces ("1/ 5/98", "1/5' 4"); each quantifier is bounded.
const PAIR = /^(\d{1,2}) {0,2}([/.-]) {0,2}(\d{1,2}) {0,2}(['/.-]) {0,2}(\d{1,4})(.*)$/s;

function year(text: string, apostrophe: boolean): number {
  const n = Number(text);
  if (text.length === 4) return n;
  if (text.length === 3) return 1900 + n;
  if (apostrophe) return 2000 + n;
  return n < 70 ? 2000 + n : 1900 + n;
}

/** Splits a QIF date into its parts without deciding day/month order; undefined when it is not a date. */
export function splitQifDate(raw: string): QifDateParts | undefined {
  const s = raw.trim();
  if (s.length > 80) return undefined;
  let m = ISO.exec(s);
  if (m) return { year: Number(m[1]), fixed: { month: Number(m[2]), day: Number(m[3]) }, separator: '-', trailing: (m[4] ?? '').trim() };
  m = COMPACT.exec(s);
  if (m) return { year: Number(m[1]), fixed: { month: Number(m[2]), day: Number(m[3]) }, separator: '', trailing: (m[4] ?? '').trim() };
  m = PAIR.exec(s);
  if (!m) return undefined;
  const sep2 = m[4] as string;
  const yearText = m[5] as string;
  // A year must be 1, 2, 3 or 4 digits; "1/5/1" is a one-digit year only after an apostrophe.
  if (yearText.length === 1 && sep2 !== "'") return undefined;
  return { a: Number(m[1]), b: Number(m[3]), year: year(yearText, sep2 === "'"), separator: m[2] as string, trailing: (m[6] ?? '').trim() };
}

/** 'YYYY-MM-DD' for the parts in the given order, or undefined when that is not a real date. */
export function resolveQifDate(p: QifDateParts, order: QifDateOrder): string | undefined {
  if (p.fixed) return ymd(p.year, p.fixed.month, p.fixed.day);
  const a = p.a as number;
  const b = p.b as number;
  return order === 'MDY' ? ymd(p.year, a, b) : ymd(p.year, b, a);
}
