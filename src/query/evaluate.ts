// The query language evaluated in memory over one plain row, with the same
// meaning as the SQL compiler (compile.ts) gives it on a top-level
// transaction; the rules engine runs conditions through this, on drafts that
// are not in the database yet and on thousands of rows at a time. Where SQL
// meaning depends on PostgreSQL text rules, pg-text.ts and pg-regex.ts carry
// them over (lower(), LIKE, ILIKE, ~*). compileEvaluator throws the same
// QuerySyntaxError for an out-of-range amount as the compiler, and one more
// for a regular expression it cannot evaluate exactly as PostgreSQL would.
import { currencyExponent, type CurrencyCode } from '../money/currencies.ts';
import { MoneyFormatError, MoneyRangeError, parseDecimal } from '../money/money.ts';
import type { AmountBound, AmountTest, CompareOp, FieldTerm, Query, QueryNode, Span } from './ast.ts';
import { resolveDates } from './dates.ts';
import { QuerySyntaxError } from './errors.ts';
import { pgCaseInsensitiveRegex } from './pg-regex.ts';
import { pgLower } from './pg-text.ts';

/** What a query can look at, for one top-level transaction (or an import draft). */
export interface EvalRow {
  /** Account name and its currency (amounts are read in that currency's minor units). */
  account: string;
  currency: string;
  postedOn: string;
  amountMinor: bigint;
  /** Payee name; null when the transaction has no payee. */
  payee: string | null;
  /** Category name; null when uncategorized (always null on a split parent). */
  category: string | null;
  notes: string | null;
  tags: readonly string[];
  clearedState: 'uncleared' | 'cleared' | 'reconciled';
  pending: boolean;
  isTransfer: boolean;
  isSplit: boolean;
  /** A split's parts (empty unless isSplit). */
  parts: readonly { category: string | null; notes: string | null }[];
}

export type RowPredicate = (row: EvalRow) => boolean;

export interface EvaluateContext {
  /** The ledger's account currencies, as given to compileQuery (amount bounds are checked for each). */
  currencies: readonly CurrencyCode[];
  /** "Today" for relative dates, read on the UTC calendar. */
  now: Date;
}

/** Floor and ceiling of a decimal in minor units (compile.ts's minorBounds). */
function minorBounds(value: AmountBound, exponentCurrency: CurrencyCode, span: Span): { lo: bigint; hi: bigint } {
  const negative = value.startsWith('-');
  const mag = value.replace(/^[+-]/, '');
  try {
    const f = parseDecimal(mag, exponentCurrency, 'floor');
    const c = parseDecimal(mag, exponentCurrency, 'ceiling');
    return negative ? { lo: -c, hi: -f } : { lo: f, hi: c };
  } catch (e) {
    if (e instanceof MoneyRangeError || e instanceof MoneyFormatError) {
      throw new QuerySyntaxError(`amount '${value}' at column ${span.offset + 1} is outside the supported range for ${exponentCurrency}`, { offset: span.offset, token: value, expected: ['a smaller amount'] });
    }
    throw e;
  }
}

function compare(op: CompareOp, b: { lo: bigint; hi: bigint }): (x: bigint) => boolean {
  switch (op) {
    case '=':
      return b.lo === b.hi ? (x) => x === b.lo : () => false;
    case '>':
      return (x) => x > b.lo;
    case '>=':
      return (x) => x >= b.hi;
    case '<':
      return (x) => x < b.hi;
    case '<=':
      return (x) => x <= b.lo;
  }
}

const signed = (v: AmountBound | undefined) => v !== undefined && /^[+-]/.test(v);

/** One currency exponent's test of `x` (the amount as the field reads it). */
function boundsTest(test: AmountTest, currency: CurrencyCode, span: Span): (x: bigint) => boolean {
  if (test.kind === 'compare') return compare(test.op, minorBounds(test.value, currency, span));
  const from = test.from === undefined ? undefined : compare('>=', minorBounds(test.from, currency, span));
  const to = test.to === undefined ? undefined : compare('<=', minorBounds(test.to, currency, span));
  return (x) => (from === undefined || from(x)) && (to === undefined || to(x));
}

function amountPredicate(field: 'amount' | 'inflow' | 'outflow', test: AmountTest, ctx: EvaluateContext, span: Span): RowPredicate {
  const isSigned = field === 'amount' && (test.kind === 'compare' ? signed(test.value) : signed(test.from) || signed(test.to));
  // Bounds per exponent; those of the ledger's currencies are computed now so a bad amount fails at compile time, as in SQL.
  const byExponent = new Map<number, (x: bigint) => boolean>();
  const forCurrency = (c: CurrencyCode) => {
    const e = currencyExponent(c);
    let t = byExponent.get(e);
    if (t === undefined) byExponent.set(e, (t = boundsTest(test, c, span)));
    return t;
  };
  for (const c of ctx.currencies.length > 0 ? ctx.currencies : ['USD' as CurrencyCode]) forCurrency(c);
  const read = (r: EvalRow) => {
    const a = r.amountMinor;
    return field === 'outflow' ? -a : isSigned || field === 'inflow' ? a : a < 0n ? -a : a;
  };
  return (r) => {
    if (field === 'inflow' && !(r.amountMinor > 0n)) return false;
    if (field === 'outflow' && !(r.amountMinor < 0n)) return false;
    return forCurrency(r.currency as CurrencyCode)(read(r));
  };
}

const uncategorized: RowPredicate = (r) => !r.isTransfer && (r.isSplit ? r.parts.some((p) => p.category === null) : r.category === null);

/** `lower(column) LIKE '%' || needle || '%'` where the compiler lower-cased the needle in JavaScript. */
const contains = (hay: string, needle: string) => pgLower(hay).includes(needle);

function fieldPredicate(t: FieldTerm, span: Span, ctx: EvaluateContext): RowPredicate {
  switch (t.field) {
    case 'payee': {
      const needle = t.value.toLowerCase();
      return (r) => r.payee !== null && contains(r.payee, needle);
    }
    case 'account': {
      const needle = t.value.toLowerCase();
      return (r) => contains(r.account, needle);
    }
    case 'category': {
      if (t.value === null) return uncategorized;
      const name = t.value.toLowerCase();
      const is = (c: string | null) => c !== null && pgLower(c) === name;
      return (r) => is(r.category) || (r.isSplit && r.parts.some((p) => is(p.category)));
    }
    case 'tag': {
      const name = t.value.toLowerCase();
      return (r) => r.tags.some((x) => pgLower(x) === name);
    }
    case 'notes': {
      let test: (s: string) => boolean;
      if (t.regex) {
        const re = pgCaseInsensitiveRegex(t.value, span);
        test = (s) => re.test(s);
      } else {
        // ILIKE lower-cases both sides with PostgreSQL's lower().
        const needle = pgLower(t.value.toLowerCase());
        test = (s) => contains(s, needle);
      }
      return (r) => test(r.notes ?? '') || (r.isSplit && r.parts.some((p) => test(p.notes ?? '')));
    }
    case 'amount':
    case 'inflow':
    case 'outflow':
      return amountPredicate(t.field, t.test, ctx, span);
    case 'date': {
      const d = resolveDates(t.test, ctx.now);
      return (r) => (d.from === undefined || r.postedOn >= d.from) && (d.to === undefined || r.postedOn <= d.to);
    }
    case 'is':
      switch (t.value) {
        case 'uncategorized':
          return uncategorized;
        case 'transfer':
          return (r) => r.isTransfer;
        case 'pending':
          return (r) => r.pending;
        case 'split':
          return (r) => r.isSplit;
        case 'cleared':
        case 'uncleared':
        case 'reconciled': {
          const v = t.value;
          return (r) => r.clearedState === v;
        }
      }
  }
}

function nodePredicate(n: QueryNode, ctx: EvaluateContext): RowPredicate {
  switch (n.kind) {
    case 'and': {
      const items = n.items.map((i) => nodePredicate(i, ctx));
      return (r) => items.every((p) => p(r));
    }
    case 'or': {
      const items = n.items.map((i) => nodePredicate(i, ctx));
      return (r) => items.some((p) => p(r));
    }
    case 'not': {
      const item = nodePredicate(n.item, ctx);
      return (r) => !item(r);
    }
    case 'text': {
      // search_text is lower(payee name || ' ' || notes), kept by a trigger. lower() maps code point
      // by code point, so the halves can be lowered apart; only a needle with a space can straddle them.
      const needle = n.value.toLowerCase();
      const straddles = needle.includes(' ');
      return (r) => {
        const p = r.payee === null ? '' : pgLower(r.payee);
        const m = r.notes === null ? '' : pgLower(r.notes);
        return p.includes(needle) || m.includes(needle) || (straddles && `${p} ${m}`.includes(needle));
      };
    }
    case 'field':
      return fieldPredicate(n, n.span, ctx);
  }
}

/**
 * Compiles a parsed query once into a predicate over rows. Throws
 * QuerySyntaxError where compileQuery would (an amount out of range for one of
 * the currencies) and for a notes regex outside the subset pg-regex.ts reads.
 */
export function compileEvaluator(q: Query, ctx: EvaluateContext): RowPredicate {
  return q.root ? nodePredicate(q.root, ctx) : () => true;
}

/** One-off evaluation (tests, small callers); compile once with compileEvaluator for many rows. */
export function evaluate(q: Query, row: EvalRow, ctx: EvaluateContext): boolean {
  return compileEvaluator(q, ctx)(row);
}
