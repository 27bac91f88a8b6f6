// Validation helpers shared by services (the HTTP schemas check shape; these
// check meaning, so the CLI gets the same answers).
import { AppError } from './app-error.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** A real calendar date 'YYYY-MM-DD' between 1900 and 2999 (no 2023-02-29). */
export function isCalendarDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

export function requireDate(field: string, s: string): string {
  if (!isCalendarDate(s)) throw new AppError('VALIDATION_FAILED', `${field} is not a real calendar date (YYYY-MM-DD, 1900-2999)`, { errors: [{ field, message: 'must be a real calendar date YYYY-MM-DD between 1900-01-01 and 2999-12-31' }] });
  return s;
}

/** Opaque keyset cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<K extends string>(cursor: string | undefined, keys: readonly K[], field = '/query/cursor'): Record<K, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const bad = () => new AppError('VALIDATION_FAILED', 'cursor is not valid; pass next_cursor from a previous page', { errors: [{ field, message: 'not a cursor returned by this list' }] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad();
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = (parsed as Record<string, unknown>)[k];
    if (typeof v !== 'string' || v.length > 200) throw bad();
    out[k] = v;
  }
  return out;
}
