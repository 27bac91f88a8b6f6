import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queryArb, strip, type Pools } from '../../test/query/arbitrary.ts';
import { QuerySyntaxError } from './errors.ts';
import { MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, parseQuery } from './parser.ts';
import { printQuery } from './printer.ts';

const tree = (text: string) => strip(parseQuery(text).root);
function fails(text: string): QuerySyntaxError {
  try {
    parseQuery(text);
  } catch (e) {
    if (e instanceof QuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`parsed without error: ${text}`);
}

describe('parser: constructs', () => {
  it('parses every field', () => {
    expect(tree('payee:amazon')).toEqual({ kind: 'field', field: 'payee', value: 'amazon' });
    expect(tree('Payee:Amazon')).toEqual({ kind: 'field', field: 'payee', value: 'Amazon' });
    expect(tree('category:"Eating out"')).toEqual({ kind: 'field', field: 'category', value: 'Eating out' });
    expect(tree('category:none')).toEqual({ kind: 'field', field: 'category', value: null });
    expect(tree('category:"none"')).toEqual({ kind: 'field', field: 'category', value: 'none' });
    expect(tree('account:visa')).toEqual({ kind: 'field', field: 'account', value: 'visa' });
    expect(tree('tag:reimbursable')).toEqual({ kind: 'field', field: 'tag', value: 'reimbursable' });
    expect(tree('notes:lunch')).toEqual({ kind: 'field', field: 'notes', value: 'lunch', regex: false });
    expect(tree('notes:~^lun.h$')).toEqual({ kind: 'field', field: 'notes', value: '^lun.h$', regex: true });
    expect(tree('notes:~"(a|b) c"')).toEqual({ kind: 'field', field: 'notes', value: '(a|b) c', regex: true });
    expect(tree('notes:"~tilde"')).toEqual({ kind: 'field', field: 'notes', value: '~tilde', regex: false });
    expect(tree('is:pending')).toEqual({ kind: 'field', field: 'is', value: 'pending' });
    expect(tree('IS:Split')).toEqual({ kind: 'field', field: 'is', value: 'split' });
  });

  it('parses amounts: comparisons, ranges, signs', () => {
    const amt = (t: string) => (tree(t) as { test: unknown }).test;
    expect(amt('amount:50')).toEqual({ kind: 'compare', op: '=', value: '50' });
    expect(amt('amount:>50')).toEqual({ kind: 'compare', op: '>', value: '50' });
    expect(amt('amount:>=12.5')).toEqual({ kind: 'compare', op: '>=', value: '12.5' });
    expect(amt('amount:<-20')).toEqual({ kind: 'compare', op: '<', value: '-20' });
    expect(amt('amount:<=+3')).toEqual({ kind: 'compare', op: '<=', value: '+3' });
    expect(amt('amount:10..20')).toEqual({ kind: 'range', from: '10', to: '20' });
    expect(amt('amount:-20..-10')).toEqual({ kind: 'range', from: '-20', to: '-10' });
    expect(amt('amount:10..')).toEqual({ kind: 'range', from: '10', to: undefined });
    expect(amt('amount:..10')).toEqual({ kind: 'range', from: undefined, to: '10' });
    expect(amt('outflow:>100')).toEqual({ kind: 'compare', op: '>', value: '100' });
    expect(amt('inflow:.5..')).toEqual({ kind: 'range', from: '.5', to: undefined });
  });

  it('parses dates: granularity, open ranges, relative names', () => {
    const d = (t: string) => (tree(t) as { test: unknown }).test;
    expect(d('date:2024-01..2024-03')).toEqual({ kind: 'range', from: '2024-01', to: '2024-03' });
    expect(d('date:2024')).toEqual({ kind: 'range', from: '2024', to: '2024' });
    expect(d('date:2024-02-29')).toEqual({ kind: 'range', from: '2024-02-29', to: '2024-02-29' });
    expect(d('date:2024-01..')).toEqual({ kind: 'range', from: '2024-01', to: undefined });
    expect(d('date:..2024-03-15')).toEqual({ kind: 'range', from: undefined, to: '2024-03-15' });
    for (const name of ['today', 'yesterday', 'this-week', 'this-month', 'last-month', 'this-year', 'last-year', 'last-30-days']) expect(d(`date:${name}`)).toEqual({ kind: 'relative', name });
    expect(d('date:Last-Month')).toEqual({ kind: 'relative', name: 'last-month' });
  });

  it('parses free text, quoted phrases and escapes', () => {
    expect(tree('coffee')).toEqual({ kind: 'text', value: 'coffee' });
    expect(tree('"whole foods"')).toEqual({ kind: 'text', value: 'whole foods' });
    expect(tree('"say \\"hi\\" \\\\ there"')).toEqual({ kind: 'text', value: 'say "hi" \\ there' });
    expect(tree('12:30')).toEqual({ kind: 'text', value: '12:30' });
    expect(tree('"http://x"')).toEqual({ kind: 'text', value: 'http://x' });
    expect(tree('or and not')).toEqual({ kind: 'and', items: ['or', 'and', 'not'].map((value) => ({ kind: 'text', value })) });
    expect(parseQuery('   ').root).toBeUndefined();
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    const t = (v: string) => ({ kind: 'text', value: v });
    expect(tree('a b OR c')).toEqual({ kind: 'or', items: [{ kind: 'and', items: [t('a'), t('b')] }, t('c')] });
    expect(tree('a AND b OR c AND d')).toEqual({ kind: 'or', items: [{ kind: 'and', items: [t('a'), t('b')] }, { kind: 'and', items: [t('c'), t('d')] }] });
    expect(tree('a OR b c')).toEqual({ kind: 'or', items: [t('a'), { kind: 'and', items: [t('b'), t('c')] }] });
    expect(tree('NOT a b')).toEqual({ kind: 'and', items: [{ kind: 'not', item: t('a') }, t('b')] });
    expect(tree('-a OR b')).toEqual({ kind: 'or', items: [{ kind: 'not', item: t('a') }, t('b')] });
    expect(tree('a (b OR c)')).toEqual({ kind: 'and', items: [t('a'), { kind: 'or', items: [t('b'), t('c')] }] });
    expect(tree('-(a OR b)')).toEqual({ kind: 'not', item: { kind: 'or', items: [t('a'), t('b')] } });
    expect(tree('a (b c) d')).toEqual({ kind: 'and', items: [t('a'), t('b'), t('c'), t('d')] });
    expect(tree('--a')).toEqual({ kind: 'not', item: { kind: 'not', item: t('a') } });
    expect(tree('-payee:x')).toEqual({ kind: 'not', item: { kind: 'field', field: 'payee', value: 'x' } });
  });

  it('records spans', () => {
    const r = parseQuery('  payee:"a b" -x').root as { kind: 'and'; items: { span: unknown }[] };
    expect(r.items[0]!.span).toEqual({ offset: 2, length: 11 });
    expect(r.items[1]!.span).toEqual({ offset: 14, length: 2 });
  });
});

describe('parser: errors say where and what was expected', () => {
  const cases: [string, string, number, string?][] = [
    ['amount:', "expected a value after 'amount:' at column 8", 7],
    ['x amount: y', "expected a value after 'amount:' at column 10", 9],
    ['a (b', 'unclosed parenthesis opened at column 3', 4],
    ['a (b (c) d', 'unclosed parenthesis opened at column 3', 10],
    ['paye:amazon', "unknown field 'paye' at column 1 — did you mean 'payee'?", 0],
    ['foo:bar', "unknown field 'foo' at column 1 (fields:", 0],
    ['a )', "unexpected ')' at column 3: no parenthesis is open", 2],
    [')', "unexpected ')' at column 1: no parenthesis is open", 0],
    ['()', 'empty parentheses at column 1: expected a search term inside', 1],
    ['a OR', "expected a search term after 'OR' at column 3 but the query ends", 4],
    ['a OR OR b', "expected a search term after 'OR' at column 3, found 'OR' at column 6", 5],
    ['OR a', "'OR' at column 1 needs a search term before it", 0],
    ['(AND a)', "'AND' at column 2 needs a search term before it", 1],
    ['a AND', "expected a search term after 'AND' at column 3 but the query ends", 5],
    ['NOT', "expected a search term after 'NOT' at column 1 but the query ends", 3],
    ['a - b', "'-' at column 3 must be followed directly by what it excludes", 2],
    ['a -', "'-' at column 3 must be followed directly", 2],
    ['"open', 'unclosed quote opened at column 1', 0],
    ['payee:"open', 'unclosed quote opened at column 7', 6],
    ['"trailing\\', 'unclosed quote opened at column 1', 0],
    ['amount:abc', "invalid amount 'abc' for 'amount:' at column 8", 7],
    ['amount:>', "expected a number after 'amount:>' at column 9", 8],
    ['amount:1..x', "invalid amount 'x' for 'amount:' at column 11", 10],
    ['amount:..', 'a range needs at least one end at column 8', 7],
    ['amount:1.2.3', "invalid amount '1.2.3'", 7],
    ['inflow:-5', "'inflow:' takes an unsigned amount, not '-5' at column 8", 7],
    ['outflow:>+5', "'outflow:' takes an unsigned amount, not '+5' at column 10", 9],
    ['date:2024-13', "invalid date '2024-13' at column 6", 5],
    ['date:2023-02-29', "invalid date '2023-02-29' at column 6", 5],
    ['date:2024-01..2024-1', "invalid date '2024-1' at column 15", 14],
    ['date:yesterdy', "invalid date 'yesterdy' at column 6", 5],
    ['date:2024-03..2024-01', "date range '2024-03..2024-01' at column 6 ends before it starts", 5],
    ['date:..', 'a date range needs at least one end at column 6', 5],
    ['date:last-0-days', "'last-0-days' at column 6: the number of days must be 1 to 36600", 5],
    ['is:pendng', "unknown value 'pendng' for 'is:' at column 4 — did you mean 'pending'?", 3],
    ['is:foo', "unknown value 'foo' for 'is:' at column 4 (one of", 3],
    ['tag:"a b"', "tag 'a b' at column 5 has a space or comma", 4],
    ['payee:~"x"', "'payee:' at column 1 does not take a regular expression", 0],
    ['notes:~', "expected a value after 'notes:~' at column 8", 7],
    ['category:""', "expected a value after 'category:' at column 10", 9],
    ['payee:a\u0000b', 'the query contains a control character at column 8', 7],
  ];
  it.each(cases)('%s', (text, message, offset) => {
    const e = fails(text);
    expect(e.message).toContain(message);
    expect(e.offset).toBe(offset);
    expect(e.column).toBe(offset + 1);
    expect(e.expected.length).toBeGreaterThan(0);
  });

  it('reports the offending token', () => {
    expect(fails('paye:x').token).toBe('paye');
    expect(fails('is:pendng').token).toBe('pendng');
    expect(fails('a )').token).toBe(')');
  });

  it('enforces length, depth and term limits', () => {
    expect(fails('a'.repeat(MAX_QUERY_LENGTH + 1)).message).toContain(`at most ${MAX_QUERY_LENGTH} are allowed`);
    expect(() => parseQuery('a'.repeat(MAX_QUERY_LENGTH))).not.toThrow();
    expect(fails('('.repeat(MAX_DEPTH + 1) + 'a' + ')'.repeat(MAX_DEPTH + 1)).message).toContain(`nests deeper than ${MAX_DEPTH} levels`);
    expect(() => parseQuery('('.repeat(MAX_DEPTH) + 'a' + ')'.repeat(MAX_DEPTH))).not.toThrow();
    expect(fails('-'.repeat(MAX_DEPTH + 1) + 'a').message).toContain('nests deeper');
    expect(fails(Array.from({ length: MAX_TERMS + 1 }, (_, i) => `w${i}`).join(' ')).message).toContain(`more than ${MAX_TERMS} search terms`);
    expect(() => parseQuery(Array.from({ length: MAX_TERMS }, (_, i) => `w${i}`).join(' '))).not.toThrow();
    expect(fails(`notes:~${'a'.repeat(201)}`).message).toContain('longer than 200 characters');
    expect(fails(`payee:"${'a'.repeat(201)}"`).message).toContain('longer than 200 characters');
  });
});

const POOLS: Pools = {
  payee: ['amazon', 'a b', 'x"y', 'back\\slash', '50%', '~', 'none', '-dash', 'a:b', '(p)'],
  account: ['visa', 'my card'],
  category: ['Eating out', 'none', 'NONE', 'Groceries'],
  tag: ['reimbursable', 'x"'],
  notes: ['lunch', '~tilde', 'a b', ' '],
  regex: ['^a', '(a|b) c', '~', 'x"\\d'],
  text: ['coffee', 'AND', 'OR', 'NOT', '-x', 'a:b', 'payee:x', '12:30', 'two words', '', '(', '"', '\\'],
};

describe('parser: properties', () => {
  it('never throws anything but QuerySyntaxError', () => {
    const alphabet = fc.constantFrom(...'ab :"\\()-~.<>=0123456789 ORANDNOT'.split(''), 'payee:', 'amount:', 'date:', 'is:', 'notes:~', ' OR ', ' AND ', 'NOT ', '..', '2024-01', 'category:');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.array(alphabet, { maxLength: 30 }).map((a) => a.join(''))), (text) => {
        try {
          parseQuery(text);
        } catch (e) {
          if (!(e instanceof QuerySyntaxError)) throw e;
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(Math.max(text.length, MAX_QUERY_LENGTH));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips: parse(print(tree)) is the same tree, and printing is stable', () => {
    fc.assert(
      fc.property(queryArb(POOLS), (n) => {
        const text = printQuery(n);
        const back = parseQuery(text).root;
        expect(strip(back)).toEqual(strip(n));
        expect(printQuery(back)).toBe(text);
      }),
      { numRuns: 1500 },
    );
  });
});
