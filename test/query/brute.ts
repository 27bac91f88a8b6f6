// The query language's meaning, written the slow obvious way over plain rows:
// the reference the SQL compiler is checked against.
import type { AmountTest, QueryNode } from '../../src/query/ast.ts';
import { resolveDates } from '../../src/query/dates.ts';
import { currencyExponent, type CurrencyCode } from '../../src/money/currencies.ts';
import type { Row } from './fixture.ts';

const has = (hay: string | null, needle: string) => (hay ?? '').toLowerCase().includes(needle.toLowerCase());

/** Compares A/10^e (the row amount) with the decimal text exactly, via integers. */
function cmp(amountMinor: bigint, exponent: number, decimal: string): -1 | 0 | 1 {
  const neg = decimal.startsWith('-');
  const [w = '', f = ''] = decimal.replace(/^[+-]/, '').split('.');
  const n = BigInt((w || '0') + f) * (neg ? -1n : 1n);
  const left = amountMinor * 10n ** BigInt(f.length);
  const right = n * 10n ** BigInt(exponent);
  return left < right ? -1 : left > right ? 1 : 0;
}

function amountOk(x: bigint, e: number, t: AmountTest): boolean {
  if (t.kind === 'range') return (t.from === undefined || cmp(x, e, t.from) >= 0) && (t.to === undefined || cmp(x, e, t.to) <= 0);
  const c = cmp(x, e, t.value);
  return { '=': c === 0, '>': c > 0, '>=': c >= 0, '<': c < 0, '<=': c <= 0 }[t.op];
}

const uncategorized = (r: Row) => !r.is_transfer && (r.is_split ? r.parts.some((p) => p.category === null) : r.category === null);

export function matches(n: QueryNode | undefined, r: Row, now: Date): boolean {
  if (!n) return true;
  switch (n.kind) {
    case 'and':
      return n.items.every((i) => matches(i, r, now));
    case 'or':
      return n.items.some((i) => matches(i, r, now));
    case 'not':
      return !matches(n.item, r, now);
    case 'text':
      return has(`${r.payee ?? ''} ${r.notes ?? ''}`, n.value);
    case 'field': {
      const e = currencyExponent(r.currency as CurrencyCode);
      switch (n.field) {
        case 'payee':
          return r.payee !== null && has(r.payee, n.value);
        case 'account':
          return has(r.account, n.value);
        case 'category':
          if (n.value === null) return uncategorized(r);
          return r.is_split ? r.parts.some((p) => p.category?.toLowerCase() === n.value!.toLowerCase()) : r.category?.toLowerCase() === n.value.toLowerCase();
        case 'tag':
          return r.tags.some((t) => t.toLowerCase() === n.value.toLowerCase());
        case 'notes': {
          const test = n.regex ? (s: string | null) => new RegExp(n.value, 'i').test(s ?? '') : (s: string | null) => has(s, n.value);
          return test(r.notes) || (r.is_split && r.parts.some((p) => test(p.notes)));
        }
        case 'amount': {
          const t = n.test;
          const signed = t.kind === 'compare' ? /^[+-]/.test(t.value) : /^[+-]/.test(t.from ?? '') || /^[+-]/.test(t.to ?? '');
          const x = signed ? r.amount_minor : r.amount_minor < 0n ? -r.amount_minor : r.amount_minor;
          return amountOk(x, e, t);
        }
        case 'inflow':
          return r.amount_minor > 0n && amountOk(r.amount_minor, e, n.test);
        case 'outflow':
          return r.amount_minor < 0n && amountOk(-r.amount_minor, e, n.test);
        case 'date': {
          const d = resolveDates(n.test, now);
          return (d.from === undefined || r.posted_on >= d.from) && (d.to === undefined || r.posted_on <= d.to);
        }
        case 'is':
          switch (n.value) {
            case 'uncategorized':
              return uncategorized(r);
            case 'transfer':
              return r.is_transfer;
            case 'pending':
              return r.pending;
            case 'split':
              return r.is_split;
            default:
              return r.cleared_state === n.value;
          }
      }
    }
  }
}
