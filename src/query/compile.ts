// Compiles a query tree to a Kysely boolean expression over `transactions as t`
// (a top-level row: the caller adds `t.parent_id is null`). Values are always
// bound parameters; column names come from this file only. Every leaf is
// two-valued (never SQL NULL), so NOT is the plain complement.
import { expressionBuilder, sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.ts';
import { currencyExponent, type CurrencyCode } from '../money/currencies.ts';
import { MoneyFormatError, MoneyRangeError, parseDecimal } from '../money/money.ts';
import { likePattern } from '../ledger/transactions.repository.ts';
import type { AmountBound, AmountTest, CompareOp, FieldTerm, Query, QueryNode, Span } from './ast.ts';
import { resolveDates } from './dates.ts';
import { QuerySyntaxError } from './errors.ts';

export interface CompileContext {
  ledgerId: string;
  /** Currencies of the ledger's accounts (amounts are compared in each transaction's own currency). */
  currencies: readonly CurrencyCode[];
  /** "Today" for relative dates, read on the UTC calendar. */
  now: Date;
  /**
   * Categories few rows carry, by lower-cased name, with their ids (prepareQuery finds
   * them). Such a `category:` term is compiled so that the database can start from the
   * category index instead of walking the ledger by date and testing every row.
   */
  rareCategories?: ReadonlyMap<string, readonly string[]>;
}

export interface CompiledQuery {
  /** Undefined for an empty query (matches everything). */
  where: Expression<SqlBool> | undefined;
  /** Regular expressions to check with the database before running (see validateQuery). */
  regexes: { pattern: string; span: Span }[];
}

type Eb = ExpressionBuilder<Database & { t: Database['transactions'] }, 't'>;

/** Integer bounds of a decimal in minor units: floor and ceiling (equal when exact). */
function minorBounds(value: AmountBound, currency: CurrencyCode, span: Span): { lo: bigint; hi: bigint } {
  const negative = value.startsWith('-');
  const mag = value.replace(/^[+-]/, '');
  try {
    const f = parseDecimal(mag, currency, 'floor');
    const c = parseDecimal(mag, currency, 'ceiling');
    return negative ? { lo: -c, hi: -f } : { lo: f, hi: c };
  } catch (e) {
    if (e instanceof MoneyRangeError || e instanceof MoneyFormatError) {
      throw new QuerySyntaxError(`amount '${value}' at column ${span.offset + 1} is outside the supported range for ${currency}`, { offset: span.offset, token: value, expected: ['a smaller amount'] });
    }
    throw e;
  }
}

/** `x op value` over whole minor units, exact for values with more decimals than the currency has. */
function compareMinor(eb: Eb, x: Expression<bigint>, op: CompareOp, value: AmountBound, currency: CurrencyCode, span: Span): Expression<SqlBool> {
  const { lo, hi } = minorBounds(value, currency, span);
  switch (op) {
    case '=':
      return lo === hi ? eb(x, '=', lo) : eb.lit(false);
    case '>':
      return eb(x, '>', lo);
    case '>=':
      return eb(x, '>=', hi);
    case '<':
      return eb(x, '<', hi);
    case '<=':
      return eb(x, '<=', lo);
  }
}

const signed = (v: AmountBound | undefined) => v !== undefined && /^[+-]/.test(v);

function amountTest(eb: Eb, field: 'amount' | 'inflow' | 'outflow', test: AmountTest, currency: CurrencyCode, span: Span): Expression<SqlBool> {
  const amt = eb.ref('t.amount_minor') as Expression<bigint>;
  const isSigned = field === 'amount' && (test.kind === 'compare' ? signed(test.value) : signed(test.from) || signed(test.to));
  // amount without a sign compares the size of the amount; inflow/outflow the size of money in/out.
  const x: Expression<bigint> = field === 'outflow' ? eb.neg(amt) : isSigned || field === 'inflow' ? amt : eb.fn<bigint>('abs', [amt]);
  const parts: Expression<SqlBool>[] = [];
  if (field === 'inflow') parts.push(eb(amt, '>', 0n));
  if (field === 'outflow') parts.push(eb(amt, '<', 0n));
  if (test.kind === 'compare') parts.push(compareMinor(eb, x, test.op, test.value, currency, span));
  else {
    if (test.from !== undefined) parts.push(compareMinor(eb, x, '>=', test.from, currency, span));
    if (test.to !== undefined) parts.push(compareMinor(eb, x, '<=', test.to, currency, span));
  }
  return eb.and(parts);
}

export function compileQuery(q: Query, ctx: CompileContext): CompiledQuery {
  const eb = expressionBuilder<Database & { t: Database['transactions'] }, 't'>();
  const regexes: CompiledQuery['regexes'] = [];
  const currencies = ctx.currencies.length > 0 ? [...new Set(ctx.currencies)] : [];
  // Accounts grouped by their currency's decimal places: one comparison per group.
  const byExponent = new Map<number, CurrencyCode[]>();
  for (const c of currencies) byExponent.set(currencyExponent(c), [...(byExponent.get(currencyExponent(c)) ?? []), c]);

  const part = (cond: (s: ExpressionBuilder<Database & { s: Database['transactions'] }, 's'>) => Expression<SqlBool>) =>
    eb.exists(eb.selectFrom('transactions as s').select(sql.lit(1).as('one')).whereRef('s.parent_id', '=', 't.id').where((s) => cond(s as never)));
  const categoryIds = (name: string) => eb.selectFrom('categories').select('id').where('ledger_id', '=', ctx.ledgerId).where(sql<string>`lower(name)`, '=', name.toLowerCase());
  const uncategorized = () =>
    eb.and([
      eb('t.transfer_peer_id', 'is', null),
      eb.or([eb.and([eb('t.is_split', '=', false), eb('t.category_id', 'is', null)]), eb.and([eb('t.is_split', '=', true), part((s) => s('s.category_id', 'is', null))])]),
    ]);
  const notes = (op: 'ilike' | '~*', value: string) =>
    eb.or([eb(eb.fn.coalesce('t.notes', sql.lit('')), op, value), eb.and([eb('t.is_split', '=', true), part((s) => s(s.fn.coalesce('s.notes', sql.lit('')), op, value))])]);

  function field(t: FieldTerm, span: Span): Expression<SqlBool> {
    switch (t.field) {
      case 'payee':
        return eb.and([
          eb('t.payee_id', 'is not', null),
          eb('t.payee_id', 'in', eb.selectFrom('payees').select('id').where('ledger_id', '=', ctx.ledgerId).where(sql<string>`lower(name)`, 'like', likePattern(t.value))),
        ]);
      case 'account':
        return eb('t.account_id', 'in', eb.selectFrom('accounts').select('id').where('ledger_id', '=', ctx.ledgerId).where(sql<string>`lower(name)`, 'like', likePattern(t.value)));
      case 'category': {
        if (t.value === null) return uncategorized();
        const rare = ctx.rareCategories?.get(t.value.toLowerCase());
        if (rare) {
          if (rare.length === 0) return eb.lit(false);
          // The same rows as below: a row of the category, or the split whose part it is.
          return eb(
            't.id',
            'in',
            eb.selectFrom('transactions as c').select(sql<string>`coalesce(c.parent_id, c.id)`.as('id')).where('c.ledger_id', '=', ctx.ledgerId).where('c.category_id', 'in', [...rare]),
          );
        }
        return eb.or([
          eb.and([eb('t.category_id', 'is not', null), eb('t.category_id', 'in', categoryIds(t.value))]),
          eb.and([eb('t.is_split', '=', true), part((s) => s.and([s('s.category_id', 'is not', null), s('s.category_id', 'in', categoryIds(t.value!))]))]),
        ]);
      }
      case 'tag':
        return sql<SqlBool>`exists (select 1 from unnest(${eb.ref('t.tags')}) as tag(v) where lower(tag.v) = ${t.value.toLowerCase()})`;
      case 'notes':
        if (t.regex) {
          regexes.push({ pattern: t.value, span });
          return notes('~*', t.value);
        }
        return notes('ilike', likePattern(t.value));
      case 'amount':
      case 'inflow':
      case 'outflow': {
        if (byExponent.size <= 1) return amountTest(eb, t.field, t.test, currencies[0] ?? ('USD' as CurrencyCode), span);
        return eb.or(
          [...byExponent.values()].map((codes) =>
            eb.and([
              eb('t.account_id', 'in', eb.selectFrom('accounts').select('id').where('ledger_id', '=', ctx.ledgerId).where('currency', 'in', codes)),
              amountTest(eb, t.field as 'amount', t.test, codes[0]!, span),
            ]),
          ),
        );
      }
      case 'date': {
        const r = resolveDates(t.test, ctx.now);
        const parts: Expression<SqlBool>[] = [];
        if (r.from !== undefined) parts.push(eb('t.posted_on', '>=', r.from));
        if (r.to !== undefined) parts.push(eb('t.posted_on', '<=', r.to));
        return eb.and(parts);
      }
      case 'is':
        switch (t.value) {
          case 'uncategorized':
            return uncategorized();
          case 'transfer':
            return eb('t.transfer_peer_id', 'is not', null);
          case 'pending':
            return eb('t.pending', '=', true);
          case 'split':
            return eb('t.is_split', '=', true);
          case 'cleared':
          case 'uncleared':
          case 'reconciled':
            return eb('t.cleared_state', '=', t.value);
        }
    }
  }

  function node(n: QueryNode): Expression<SqlBool> {
    switch (n.kind) {
      case 'and':
        return eb.and(n.items.map(node));
      case 'or':
        return eb.or(n.items.map(node));
      case 'not':
        return eb.not(node(n.item));
      case 'text':
        return eb('t.search_text', 'like', likePattern(n.value));
      case 'field':
        return field(n, n.span);
    }
  }

  return { where: q.root ? node(q.root) : undefined, regexes };
}
