// The query language's syntax tree. One tree serves search, rules and reports:
// the parser builds it, the compiler turns it into a Kysely expression, the
// printer turns it back into canonical text.

/** Where a node came from in the query text: 0-based offset and length. */
export interface Span {
  offset: number;
  length: number;
}

export type CompareOp = '=' | '>' | '>=' | '<' | '<=';

/** A decimal amount as written (e.g. "-12.50"), kept as text so conversion to minor units stays exact. */
export type AmountBound = string;

export type AmountTest =
  | { kind: 'compare'; op: CompareOp; value: AmountBound }
  | { kind: 'range'; from: AmountBound | undefined; to: AmountBound | undefined };

/** A date as written: YYYY, YYYY-MM or YYYY-MM-DD. */
export type DateBound = string;

export const RELATIVE_DATES = ['today', 'yesterday', 'this-week', 'this-month', 'last-month', 'this-year', 'last-year'] as const;
export type RelativeDate = (typeof RELATIVE_DATES)[number] | `last-${number}-days`;

export type DateTest =
  | { kind: 'range'; from: DateBound | undefined; to: DateBound | undefined }
  | { kind: 'relative'; name: RelativeDate };

export const IS_VALUES = ['uncategorized', 'transfer', 'pending', 'cleared', 'uncleared', 'reconciled', 'split'] as const;
export type IsValue = (typeof IS_VALUES)[number];

export type FieldTerm =
  | { field: 'payee'; value: string }
  | { field: 'account'; value: string }
  | { field: 'category'; value: string | null }
  | { field: 'tag'; value: string }
  | { field: 'notes'; value: string; regex: boolean }
  | { field: 'amount' | 'inflow' | 'outflow'; test: AmountTest }
  | { field: 'date'; test: DateTest }
  | { field: 'is'; value: IsValue };

export type FieldName = FieldTerm['field'];
export const FIELD_NAMES: readonly FieldName[] = ['payee', 'category', 'account', 'amount', 'inflow', 'outflow', 'date', 'tag', 'notes', 'is'];

export type QueryNode =
  | { kind: 'and'; items: QueryNode[]; span: Span }
  | { kind: 'or'; items: QueryNode[]; span: Span }
  | { kind: 'not'; item: QueryNode; span: Span }
  | { kind: 'text'; value: string; span: Span }
  | ({ kind: 'field'; span: Span } & FieldTerm);

/** A parsed query; `root` is undefined for an empty query, which matches every transaction. */
export interface Query {
  text: string;
  root: QueryNode | undefined;
}
