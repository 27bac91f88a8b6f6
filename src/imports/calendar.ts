// Calendar-date helpers shared by the parsers. Dates are plain 'YYYY-MM-DD'
// strings: statements carry calendar dates, never instants.

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const MIN_YEAR = 1900;
export const MAX_YEAR = 2199;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** 'YYYY-MM-DD' for a real calendar day within MIN_YEAR..MAX_YEAR, else undefined. */
export function ymd(y: number, m: number, d: number): string | undefined {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return undefined;
  if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1) return undefined;
  const max = m === 2 && isLeapYear(y) ? 29 : (DAYS[m - 1] as number);
  if (d > max) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

const OFX_DATE_CACHE = new Map<number, string | undefined>();

/**
 * OFX date/datetime -> calendar date as stated: 20240131, 20240131120000,
 * 20240131120000.000[-5:EST] all give 2024-01-31 (the time and zone are not
 * applied: the bank's own calendar day is what the user sees on the statement).
 * Also accepts 2024-01-31 (seen in hand-made files). Undefined when invalid
 * (00000000, 20120231, empty).
 */
export function parseOfxDate(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (s.length >= 10 && s[4] === '-' && s[7] === '-') {
    const y = Number(s.slice(0, 4));
    const m = Number(s.slice(5, 7));
    const d = Number(s.slice(8, 10));
    if (/^\d{4}-\d{2}-\d{2}$/.test(s.slice(0, 10))) return ymd(y, m, d);
    return undefined;
  }
  if (s.length < 8) return undefined;
  let n = 0;
  for (let i = 0; i < 8; i += 1) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    n = n * 10 + (c - 48);
  }
  // Digits after the eighth belong to the time; 201120000000 stays invalid through its month 20.
  const cached = OFX_DATE_CACHE.get(n);
  if (cached !== undefined || OFX_DATE_CACHE.has(n)) return cached;
  const date = ymd(Math.floor(n / 10000), Math.floor(n / 100) % 100, n % 100);
  // A statement has few distinct days; the cache is bounded so hostile input cannot grow it.
  if (OFX_DATE_CACHE.size < 20_000) OFX_DATE_CACHE.set(n, date);
  return date;
}
