// Canonical text for a query tree: parseQuery(printQuery(n)) gives the same
// tree (spans aside). Rules and saved searches store this form.
import type { AmountTest, DateTest, FieldTerm, QueryNode } from './ast.ts';

const NEEDS_QUOTES = /[\s()"\\]/;
const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;

/** A field value, quoted when a bare word would not read back the same. */
function value(s: string): string {
  return s === '' || s === '~' || NEEDS_QUOTES.test(s) ? quote(s) : s;
}

function freeText(s: string): string {
  const bare = s !== '' && !NEEDS_QUOTES.test(s) && !s.startsWith('-') && !/^(AND|OR|NOT)$/.test(s) && !/^[A-Za-z][A-Za-z_-]*:/.test(s);
  return bare ? s : quote(s);
}

function amount(t: AmountTest): string {
  if (t.kind === 'range') return `${t.from ?? ''}..${t.to ?? ''}`;
  return t.op === '=' ? t.value : t.op + t.value;
}

function date(t: DateTest): string {
  if (t.kind === 'relative') return t.name;
  return t.from === t.to ? t.from! : `${t.from ?? ''}..${t.to ?? ''}`;
}

function term(t: FieldTerm): string {
  switch (t.field) {
    case 'payee':
    case 'account':
    case 'tag':
      return `${t.field}:${value(t.value)}`;
    case 'category':
      if (t.value === null) return 'category:none';
      return `category:${t.value.toLowerCase() === 'none' ? quote(t.value) : value(t.value)}`;
    case 'notes':
      if (t.regex) return `notes:~${value(t.value)}`;
      return `notes:${t.value.startsWith('~') ? quote(t.value) : value(t.value)}`;
    case 'amount':
    case 'inflow':
    case 'outflow':
      return `${t.field}:${amount(t.test)}`;
    case 'date':
      return `date:${date(t.test)}`;
    case 'is':
      return `is:${t.value}`;
  }
}

export function printQuery(n: QueryNode | undefined): string {
  if (!n) return '';
  switch (n.kind) {
    case 'or':
      return n.items.map(printQuery).join(' OR ');
    case 'and':
      return n.items.map((i) => (i.kind === 'or' ? `(${printQuery(i)})` : printQuery(i))).join(' ');
    case 'not':
      return n.item.kind === 'or' || n.item.kind === 'and' ? `-(${printQuery(n.item)})` : `-${printQuery(n.item)}`;
    case 'text':
      return freeText(n.value);
    case 'field':
      return term(n);
  }
}
