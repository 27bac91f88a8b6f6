// Turns the value after `field:` into a typed term, or says exactly what is
// wrong with it and where.
import { FIELD_NAMES, IS_VALUES, RELATIVE_DATES, type AmountTest, type CompareOp, type DateTest, type FieldName, type FieldTerm, type IsValue, type RelativeDate } from './ast.ts';
import { DATE_BOUND, firstDay, isValidDateBound, lastDay, LAST_N_DAYS, MAX_LAST_DAYS } from './dates.ts';
import { QuerySyntaxError } from './errors.ts';
import type { Token } from './lexer.ts';

export const MAX_VALUE_LENGTH = 200;
export const MAX_REGEX_LENGTH = 200;

type TermToken = Extract<Token, { type: 'term' }>;
const col = (offset: number) => offset + 1;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest known word within two edits, for "did you mean". */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

export const AMOUNT_NUMBER = /^[+-]?(?:\d{1,15}(?:\.\d{1,6})?|\.\d{1,6})$/;
const COMPARE = /^(>=|<=|>|<|=)?(.*)$/s;

function amountTest(field: FieldName, raw: string, at: number): AmountTest {
  const signedOk = field === 'amount';
  const bad = (what: string, offset = at) =>
    new QuerySyntaxError(`${what} at column ${col(offset)}: expected ${signedOk ? 'a number like 50, 12.34 or -20' : 'an unsigned number like 50 or 12.34'}, a comparison like >50, or a range like 10..20`, {
      offset, token: raw, expected: ['a number', 'a comparison', 'a range'],
    });
  const num = (s: string, offset: number) => {
    if (!AMOUNT_NUMBER.test(s)) throw bad(`invalid amount '${s}' for '${field}:'`, offset);
    if (!signedOk && /^[+-]/.test(s)) throw bad(`'${field}:' takes an unsigned amount, not '${s}'`, offset);
    return s;
  };
  const dots = raw.indexOf('..');
  if (dots >= 0) {
    const from = raw.slice(0, dots);
    const to = raw.slice(dots + 2);
    if (from === '' && to === '') throw bad(`a range needs at least one end`);
    return { kind: 'range', from: from === '' ? undefined : num(from, at), to: to === '' ? undefined : num(to, at + dots + 2) };
  }
  const m = COMPARE.exec(raw)!;
  const op = (m[1] ?? '=') as CompareOp;
  if (m[2] === '') throw bad(`expected a number after '${field}:${m[1] ?? ''}'`, at + raw.length);
  return { kind: 'compare', op, value: num(m[2]!, at + (m[1]?.length ?? 0)) };
}

function dateTest(raw: string, at: number): DateTest {
  const lower = raw.toLowerCase();
  if ((RELATIVE_DATES as readonly string[]).includes(lower)) return { kind: 'relative', name: lower as RelativeDate };
  const n = LAST_N_DAYS.exec(lower);
  if (n) {
    const days = Number(n[1]);
    if (days < 1 || days > MAX_LAST_DAYS) throw new QuerySyntaxError(`'${raw}' at column ${col(at)}: the number of days must be 1 to ${MAX_LAST_DAYS}`, { offset: at, token: raw, expected: ['last-N-days'] });
    return { kind: 'relative', name: `last-${days}-days` };
  }
  const bound = (s: string, offset: number) => {
    if (!DATE_BOUND.test(s) || !isValidDateBound(s)) {
      throw new QuerySyntaxError(
        `invalid date '${s}' at column ${col(offset)}: expected YYYY, YYYY-MM or YYYY-MM-DD, a range like 2024-01..2024-03, or one of ${[...RELATIVE_DATES, 'last-N-days'].join(', ')}`,
        { offset, token: s, expected: ['a date', 'a date range', 'a relative date'] },
      );
    }
    return s;
  };
  const dots = raw.indexOf('..');
  if (dots < 0) {
    const b = bound(raw, at);
    return { kind: 'range', from: b, to: b };
  }
  const from = raw.slice(0, dots);
  const to = raw.slice(dots + 2);
  if (from === '' && to === '') throw new QuerySyntaxError(`a date range needs at least one end at column ${col(at)}`, { offset: at, token: raw, expected: ['a date'] });
  const t: DateTest = { kind: 'range', from: from === '' ? undefined : bound(from, at), to: to === '' ? undefined : bound(to, at + dots + 2) };
  if (t.from !== undefined && t.to !== undefined && firstDay(t.from) > lastDay(t.to)) {
    throw new QuerySyntaxError(`date range '${raw}' at column ${col(at)} ends before it starts`, { offset: at, token: raw, expected: ['a range whose start is not after its end'] });
  }
  return t;
}

/** The typed term for a `name:value` token. */
export function fieldTerm(tok: TermToken): FieldTerm {
  const f = tok.field!;
  const name = f.name.toLowerCase() as FieldName;
  if (!FIELD_NAMES.includes(name)) {
    const guess = closest(f.name, FIELD_NAMES);
    throw new QuerySyntaxError(
      `unknown field '${f.name}' at column ${col(f.offset)}${guess ? ` — did you mean '${guess}'?` : ''} (fields: ${FIELD_NAMES.join(', ')}; put text with a colon in quotes to search for it)`,
      { offset: f.offset, token: f.name, expected: [...FIELD_NAMES] },
    );
  }
  const raw = tok.value;
  const at = tok.valueOffset;
  if (raw === '' || (raw === '~' && !tok.quoted)) {
    throw new QuerySyntaxError(`expected a value after '${name}:${raw}' at column ${col(at + raw.length)}`, { offset: at + raw.length, token: tok.text, expected: [`a value for ${name}`] });
  }
  if (raw.length > MAX_VALUE_LENGTH) throw new QuerySyntaxError(`the value for '${name}:' at column ${col(at)} is longer than ${MAX_VALUE_LENGTH} characters`, { offset: at, token: raw.slice(0, 20), expected: [`at most ${MAX_VALUE_LENGTH} characters`] });
  if (tok.tilde && name !== 'notes') throw new QuerySyntaxError(`'${name}:' at column ${col(f.offset)} does not take a regular expression (only notes:~ does)`, { offset: f.offset, token: tok.text, expected: [`a value for ${name}`] });
  switch (name) {
    case 'payee':
    case 'account':
      return { field: name, value: raw };
    case 'category':
      return { field: 'category', value: !tok.quoted && raw.toLowerCase() === 'none' ? null : raw };
    case 'tag':
      if (/[\s,]/.test(raw)) throw new QuerySyntaxError(`tag '${raw}' at column ${col(at)} has a space or comma; tags have neither`, { offset: at, token: raw, expected: ['a tag'] });
      return { field: 'tag', value: raw };
    case 'notes': {
      const regex = tok.tilde || (!tok.quoted && raw.startsWith('~'));
      const value = regex && !tok.tilde ? raw.slice(1) : raw;
      if (regex && value.length > MAX_REGEX_LENGTH) throw new QuerySyntaxError(`the regular expression at column ${col(at)} is longer than ${MAX_REGEX_LENGTH} characters`, { offset: at, token: value.slice(0, 20), expected: [`at most ${MAX_REGEX_LENGTH} characters`] });
      return { field: 'notes', value, regex };
    }
    case 'amount':
    case 'inflow':
    case 'outflow':
      return { field: name, test: amountTest(name, raw, at) };
    case 'date':
      return { field: 'date', test: dateTest(raw, at) };
    case 'is': {
      const v = raw.toLowerCase();
      if (!(IS_VALUES as readonly string[]).includes(v)) {
        const guess = closest(v, IS_VALUES);
        throw new QuerySyntaxError(`unknown value '${raw}' for 'is:' at column ${col(at)}${guess ? ` — did you mean '${guess}'?` : ''} (one of ${IS_VALUES.join(', ')})`, { offset: at, token: raw, expected: [...IS_VALUES] });
      }
      return { field: 'is', value: v as IsValue };
    }
  }
}
