// Types shared by the CSV parser, the dispatcher, the preview UI/CLI and the
// import flow. CsvOptions are one-off overrides from the caller; CsvMapping is
// the JSON-safe, versioned subset the flow saves per account and passes back
// as options next time; CsvDetection is what the parser worked out on its own
// (also carried in the `details` of a CSV_MAPPING_REQUIRED ImportError).

export type CsvDelimiter = ',' | ';' | '\t' | '|';
export const CSV_DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

export type CsvDecimal = '.' | ',';

/**
 * Order of the date parts. Separators among `-` `.` `/` and space are all
 * accepted for every order; months may be numbers or names (Jan, janv., Mär,
 * oct, ...); years may have 2 digits (00-69 -> 20xx, 70-99 -> 19xx) or 4.
 * 'YYYYMMDD' is the compact form without separators (20240403).
 */
export type CsvDateFormat = 'YMD' | 'DMY' | 'MDY' | 'YYYYMMDD';
export const CSV_DATE_FORMATS: readonly CsvDateFormat[] = ['YMD', 'DMY', 'MDY', 'YYYYMMDD'];

/** A column by its header text (trimmed, case-insensitive) or by 0-based index. */
export type CsvColumnRef = string | number;

export type CsvRole =
  | 'date'
  | 'valueDate'
  | 'amount'
  | 'debit'
  | 'credit'
  | 'direction'
  | 'payee'
  | 'memo'
  | 'reference'
  | 'checkNumber'
  | 'balance'
  | 'status'
  | 'currency'
  | 'account';
export const CSV_ROLES: readonly CsvRole[] = [
  'date', 'valueDate', 'amount', 'debit', 'credit', 'direction', 'payee', 'memo',
  'reference', 'checkNumber', 'balance', 'status', 'currency', 'account',
];

/**
 * Column roles. Either `amount` (optionally with `direction`, a column saying
 * DR/CR, Debit/Credit, S/H, Af/Bij, ...) or `debit` + `credit` is needed.
 * `payee` and `memo` may name several columns; their non-empty values are
 * joined with a space in the order given. `valueDate` is the fallback when a
 * row's `date` is empty.
 */
export interface CsvColumns {
  date?: CsvColumnRef;
  valueDate?: CsvColumnRef;
  amount?: CsvColumnRef;
  debit?: CsvColumnRef;
  credit?: CsvColumnRef;
  direction?: CsvColumnRef;
  payee?: CsvColumnRef | CsvColumnRef[];
  memo?: CsvColumnRef | CsvColumnRef[];
  reference?: CsvColumnRef;
  checkNumber?: CsvColumnRef;
  balance?: CsvColumnRef;
  status?: CsvColumnRef;
  currency?: CsvColumnRef;
  /** Own account number / IBAN column; several distinct values need CsvOptions.account to pick one. */
  account?: CsvColumnRef;
}

/**
 * How a signed amount maps to money in/out of the account.
 * - 'normal': negative = money out (most bank exports).
 * - 'inverted': positive = money out (many credit-card exports: "amounts are
 *   positive debits"); every amount is negated.
 * Debit/credit column pairs ignore this: a debit is always money out.
 */
export type CsvAmountSign = 'normal' | 'inverted';

export interface CsvOptions {
  delimiter?: CsvDelimiter;
  /** Whether the first non-skipped line is a header row. */
  hasHeader?: boolean;
  /** Physical lines to drop before the header (or first data row): bank preambles. */
  skipRows?: number;
  decimal?: CsvDecimal;
  dateFormat?: CsvDateFormat;
  /** Roles given here replace the guessed ones; roles not named are still guessed. */
  columns?: CsvColumns;
  amountSign?: CsvAmountSign;
  /** Values (case-insensitive) of the direction column meaning money out / in; defaults cover DR/CR, D/C, Debit/Credit, S/H, Af/Bij, ... */
  directionValues?: { debit: string[]; credit: string[] };
  /** Values (case-insensitive) of the status column meaning pending; defaults cover pending, vorgemerkt, en attente, ... */
  pendingValues?: string[];
  /** Currency for every row when there is no currency column. */
  currency?: string;
  /** Keep only rows whose account column equals this (files listing several accounts). */
  account?: string;
}

export const CSV_MAPPING_VERSION = 1;

/** The saveable subset of CsvOptions: plain JSON (strings, numbers, booleans, arrays). */
export interface CsvMapping extends CsvOptions {
  version: typeof CSV_MAPPING_VERSION;
  /** Lower-cased header cells joined by '|' when the file had a header; lets the flow tell whether a saved mapping fits a new file. */
  headerSignature?: string;
}

export interface CsvColumnInfo {
  index: number;
  header?: string;
  /** Role the parser guessed or the caller assigned. */
  role?: CsvRole;
  /** Up to 5 non-empty values from the first data rows. */
  samples: string[];
}

export type CsvProblemKind =
  | 'AMBIGUOUS_DATE_FORMAT'
  | 'UNKNOWN_DATE_FORMAT'
  | 'NO_DATE_COLUMN'
  | 'NO_AMOUNT_COLUMN'
  | 'AMBIGUOUS_DECIMAL'
  | 'AMBIGUOUS_DEBIT_CREDIT'
  | 'MULTIPLE_ACCOUNTS'
  | 'COLUMN_NOT_FOUND'
  | 'NO_DATA_ROWS';

export interface CsvProblem {
  kind: CsvProblemKind;
  message: string;
  /** Choices the user can pick from (date formats, decimal separators, column indices). */
  candidates?: Array<string | number>;
}

export interface CsvDetection {
  delimiter: CsvDelimiter;
  hasHeader: boolean;
  /** Lines skipped before the header or first data row. */
  skipRows: number;
  /** 1-based physical line of the header row, when there is one. */
  headerLine?: number;
  decimal?: CsvDecimal;
  dateFormat?: CsvDateFormat;
  /** Every format that fits all values of the date column; more than one means ambiguous. */
  dateFormatCandidates: CsvDateFormat[];
  columns: CsvColumnInfo[];
  /** Resolved roles as 0-based column indices. */
  roles: { [K in CsvRole]?: K extends 'payee' | 'memo' ? number[] : number };
  amountSign: CsvAmountSign;
  dataRows: number;
  problems: CsvProblem[];
  /** What to ask the user when problems is not empty. */
  question?: string;
  /** Complete mapping to save/reuse; present only when problems is empty. */
  mapping?: CsvMapping;
}

function isRef(v: unknown): v is CsvColumnRef {
  return (typeof v === 'string' && v.length <= 200) || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 10_000);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= 100 && v.every((s) => typeof s === 'string' && s.length <= 100);
}

/**
 * Validates a mapping read back from storage or an API body. Returns undefined
 * for anything that is not a valid mapping of a known version, so a stale or
 * hand-edited mapping falls back to detection instead of failing the import.
 */
export function readCsvMapping(value: unknown): CsvMapping | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.version !== CSV_MAPPING_VERSION) return undefined;
  const out: CsvMapping = { version: CSV_MAPPING_VERSION };
  if (v.delimiter !== undefined) {
    if (!CSV_DELIMITERS.includes(v.delimiter as CsvDelimiter)) return undefined;
    out.delimiter = v.delimiter as CsvDelimiter;
  }
  if (v.hasHeader !== undefined) {
    if (typeof v.hasHeader !== 'boolean') return undefined;
    out.hasHeader = v.hasHeader;
  }
  if (v.skipRows !== undefined) {
    if (typeof v.skipRows !== 'number' || !Number.isInteger(v.skipRows) || v.skipRows < 0 || v.skipRows > 1000) return undefined;
    out.skipRows = v.skipRows;
  }
  if (v.decimal !== undefined) {
    if (v.decimal !== '.' && v.decimal !== ',') return undefined;
    out.decimal = v.decimal;
  }
  if (v.dateFormat !== undefined) {
    if (!CSV_DATE_FORMATS.includes(v.dateFormat as CsvDateFormat)) return undefined;
    out.dateFormat = v.dateFormat as CsvDateFormat;
  }
  if (v.amountSign !== undefined) {
    if (v.amountSign !== 'normal' && v.amountSign !== 'inverted') return undefined;
    out.amountSign = v.amountSign;
  }
  if (v.currency !== undefined) {
    if (typeof v.currency !== 'string' || !/^[A-Z]{3}$/.test(v.currency)) return undefined;
    out.currency = v.currency;
  }
  if (v.account !== undefined) {
    if (typeof v.account !== 'string' || v.account.length > 200) return undefined;
    out.account = v.account;
  }
  if (v.headerSignature !== undefined) {
    if (typeof v.headerSignature !== 'string' || v.headerSignature.length > 10_000) return undefined;
    out.headerSignature = v.headerSignature;
  }
  if (v.directionValues !== undefined) {
    const d = v.directionValues as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null || !isStringList(d.debit) || !isStringList(d.credit)) return undefined;
    out.directionValues = { debit: [...d.debit], credit: [...d.credit] };
  }
  if (v.pendingValues !== undefined) {
    if (!isStringList(v.pendingValues)) return undefined;
    out.pendingValues = [...v.pendingValues];
  }
  if (v.columns !== undefined) {
    if (typeof v.columns !== 'object' || v.columns === null || Array.isArray(v.columns)) return undefined;
    const cols: CsvColumns = {};
    for (const [role, ref] of Object.entries(v.columns as Record<string, unknown>)) {
      if (!CSV_ROLES.includes(role as CsvRole)) return undefined;
      if (role === 'payee' || role === 'memo') {
        if (isRef(ref)) cols[role] = ref;
        else if (Array.isArray(ref) && ref.length <= 20 && ref.every(isRef)) cols[role] = [...ref];
        else return undefined;
      } else {
        if (!isRef(ref)) return undefined;
        (cols as Record<string, CsvColumnRef>)[role] = ref;
      }
    }
    out.columns = cols;
  }
  return out;
}
