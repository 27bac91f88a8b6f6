// Date cells of bank CSVs. A cell is split once into three parts (or read as
// compact YYYYMMDD); each candidate format then says whether it reads those
// parts as a real calendar day. A column's candidate formats are the ones
// that read every date-shaped value in it; more than one left means the
// column is ambiguous (03/04/2024) and the user is asked. Dotted dates are
// never month-first: no locale writes 04.03.2024 for April 3rd, while
// German, Swiss, Polish, Czech... banks write it for March 4th.
import { isValidYmd } from '../camt/values.ts';
import type { CsvDateFormat } from './options.ts';

export const FORMAT_BITS: Record<CsvDateFormat, number> = { YMD: 1, DMY: 2, MDY: 4, YYYYMMDD: 8 };
export const ALL_FORMATS_MASK = 15;

export function formatsOf(mask: number): CsvDateFormat[] {
  return (Object.keys(FORMAT_BITS) as CsvDateFormat[]).filter((f) => (mask & FORMAT_BITS[f]) !== 0);
}

/** Years a bank statement can plausibly hold; anything else is an id or anonymised junk (1111/11/11). */
const MIN_YEAR = 1900;
const MAX_YEAR = 2199;

const MONTHS: Record<string, number> = {};
const MONTH_NAMES: string[][] = [
  ['jan', 'january', 'januar', 'janvier', 'janv', 'januari', 'enero', 'ene', 'styczen', 'stycznia', 'sty', 'jaenner', 'janner'],
  ['feb', 'february', 'februar', 'fevrier', 'fevr', 'fev', 'februari', 'febrero', 'luty', 'lutego', 'lut'],
  ['mar', 'march', 'marz', 'mrz', 'mars', 'maart', 'mrt', 'marzo', 'marzec', 'marca'],
  ['apr', 'april', 'avril', 'avr', 'abril', 'abr', 'kwiecien', 'kwietnia', 'kwi'],
  ['may', 'mai', 'mei', 'mayo', 'maj', 'maja'],
  ['jun', 'june', 'juni', 'juin', 'junio', 'czerwiec', 'czerwca', 'cze'],
  ['jul', 'july', 'juli', 'juillet', 'juil', 'julio', 'lipiec', 'lipca', 'lip'],
  ['aug', 'august', 'aout', 'augustus', 'agosto', 'ago', 'sierpien', 'sierpnia', 'sie'],
  ['sep', 'sept', 'september', 'septembre', 'septiembre', 'setiembre', 'wrzesien', 'wrzesnia', 'wrz'],
  ['oct', 'october', 'oktober', 'okt', 'octobre', 'octubre', 'pazdziernik', 'pazdziernika', 'paz'],
  ['nov', 'november', 'novembre', 'noviembre', 'listopad', 'listopada', 'lis'],
  ['dec', 'december', 'dezember', 'dez', 'decembre', 'diciembre', 'dic', 'grudzien', 'grudnia', 'gru'],
];
MONTH_NAMES.forEach((names, i) => {
  for (const n of names) MONTHS[n] = i + 1;
});

export function foldAccents(s: string): string {
  // NFD splits é into e + combining mark; the marks are then dropped. ł/ø have no decomposition.
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ł/g, 'l').replace(/Ł/g, 'L').replace(/ø/g, 'o').replace(/ß/g, 'ss');
}

function monthOf(part: string): number | undefined {
  if (/^\d{1,2}$/.test(part)) {
    const m = Number(part);
    return m >= 1 && m <= 12 ? m : undefined;
  }
  const key = foldAccents(part.replace(/\.$/, '')).toLowerCase();
  return MONTHS[key];
}

function dayOf(part: string): number | undefined {
  if (!/^\d{1,2}$/.test(part)) return undefined;
  const d = Number(part);
  return d >= 1 && d <= 31 ? d : undefined;
}

function yearOf(part: string, allowTwoDigits: boolean): number | undefined {
  if (/^\d{4}$/.test(part)) return Number(part);
  if (allowTwoDigits && /^\d{2}$/.test(part)) {
    const y = Number(part);
    return y < 70 ? 2000 + y : 1900 + y; // pivot: 00-69 -> 20xx, 70-99 -> 19xx
  }
  return undefined;
}

interface Parts {
  a: string;
  b: string;
  c: string;
  compact: boolean;
  /** First separator character. */
  sep: string;
}

// Three parts separated by - . / or spaces (", " allowed before the year:
// "Dec 12, 2019"), optionally a trailing '.', then the end of the cell or a
// time / free text after whitespace or 'T'. Parts and separators are disjoint
// character classes, so matching is linear.
const SPLIT = /^(\d{1,4}|\p{L}{3,12}\.?)[-./ ] ?(\d{1,2}|\p{L}{3,12}\.?)(?:[-./ ] ?|, )(\d{1,4})\.?(?=$|[\sT])/u;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(?=$|[\sT])/;

function split(cell: string): Parts | undefined {
  const s = cell.trim();
  if (s.length < 6 || s.length > 80) return undefined;
  const m = COMPACT.exec(s);
  if (m !== null) return { a: m[1] as string, b: m[2] as string, c: m[3] as string, compact: true, sep: '' };
  const g = SPLIT.exec(s);
  if (g === null) return undefined;
  const a = g[1] as string;
  return { a, b: g[2] as string, c: g[3] as string, compact: false, sep: s.charAt(a.length) };
}

function valid(y: number | undefined, m: number | undefined, d: number | undefined): boolean {
  return y !== undefined && m !== undefined && d !== undefined && y >= MIN_YEAR && y <= MAX_YEAR && isValidYmd(y, m, d);
}

/** [year, month, day] as `format` reads the parts, or undefined. */
function read(p: Parts, format: CsvDateFormat): [number, number, number] | undefined {
  let y: number | undefined;
  let m: number | undefined;
  let d: number | undefined;
  if (p.compact) {
    if (format !== 'YYYYMMDD') return undefined;
    y = Number(p.a);
    m = Number(p.b);
    d = Number(p.c);
  } else if (format === 'YMD') {
    y = yearOf(p.a, false);
    m = monthOf(p.b);
    d = dayOf(p.c);
  } else if (format === 'DMY') {
    y = yearOf(p.c, true);
    m = monthOf(p.b);
    d = dayOf(p.a);
  } else if (format === 'MDY' && p.sep !== '.') {
    y = yearOf(p.c, true);
    m = monthOf(p.a);
    d = dayOf(p.b);
  }
  return valid(y, m, d) ? [y as number, m as number, d as number] : undefined;
}

// Statement files repeat the same few hundred dates; remembering them skips the regex work.
const MAX_CACHE = 4096;
const maskCache = new Map<string, number>();

/** Bitmask of the formats that read this cell as a valid date; 0 when it is not date-shaped. */
export function dateMask(cell: string): number {
  if (cell.length > 80) return 0;
  const hit = maskCache.get(cell);
  if (hit !== undefined) return hit;
  const p = split(cell);
  let mask = 0;
  if (p !== undefined) {
    if (p.compact) mask = read(p, 'YYYYMMDD') !== undefined ? FORMAT_BITS.YYYYMMDD : 0;
    else {
      if (read(p, 'YMD') !== undefined) mask |= FORMAT_BITS.YMD;
      if (read(p, 'DMY') !== undefined) mask |= FORMAT_BITS.DMY;
      if (read(p, 'MDY') !== undefined) mask |= FORMAT_BITS.MDY;
    }
  }
  if (maskCache.size >= MAX_CACHE) maskCache.clear();
  maskCache.set(cell, mask);
  return mask;
}

/** True when the cell has the shape of a date at all (whatever the format and even if no format reads it). */
export function looksLikeDate(cell: string): boolean {
  return split(cell) !== undefined;
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** 'YYYY-MM-DD' when `format` reads the cell, else undefined. */
export function parseDateCell(cell: string, format: CsvDateFormat): string | undefined {
  const p = split(cell);
  const r = p === undefined ? undefined : read(p, format);
  return r === undefined ? undefined : `${r[0]}-${pad(r[1])}-${pad(r[2])}`;
}

export const DATE_FORMAT_LABELS: Record<CsvDateFormat, string> = {
  YMD: 'year-month-day (2024-04-03)',
  DMY: 'day-month-year (03.04.2024, 03/04/2024)',
  MDY: 'month-day-year (04/03/2024)',
  YYYYMMDD: 'compact year-month-day (20240403)',
};
