// The one shape every parser produces. Amounts are integer minor units of the
// statement's currency (bigint); dates are 'YYYY-MM-DD' calendar dates. Parsers
// never touch the database: they turn bytes into a Statement or throw ImportError.

export type ImportFormat = 'ofx1' | 'ofx2' | 'qfx' | 'qif' | 'camt053' | 'csv';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['ofx1', 'ofx2', 'qfx', 'qif', 'camt053', 'csv'];

export interface StatementAccount {
  /** Routing number / BIC / bank id, when the file names one. */
  bankId?: string;
  /** Account number / IBAN as the file states it. */
  accountId?: string;
  /** CHECKING, SAVINGS, CREDITCARD, Bank, CCard, Cash, ... as stated by the file. */
  type?: string;
  /** ISO 4217 code; undefined when the file does not say. */
  currency?: string;
}

export interface StatedBalance {
  kind: 'opening' | 'closing' | 'available' | 'other';
  amountMinor: bigint;
  /** As-of date when the file gives one. */
  date?: string;
}

export interface StatementTransaction {
  /** 1-based line in the decoded text where this transaction starts (or byte offset for binary-ish formats, see sourceOffset). */
  sourceLine: number;
  postedOn: string;
  amountMinor: bigint;
  payee?: string;
  memo?: string;
  /** Bank's own transaction id (OFX FITID, CAMT AcctSvcrRef / EndToEndId, CSV reference column). */
  bankId?: string;
  checkNumber?: string;
  pending: boolean;
  /** Original transaction type string (DEBIT, POS, PMNT/ICDT/...), informational. */
  kind?: string;
  /** CAMT reversal indicator and similar: the bank marks this row as reversing an earlier one. */
  reversal?: boolean;
  /** Per-row currency when it differs from the account's (rare; CAMT). */
  currency?: string;
}

export interface Statement {
  format: ImportFormat;
  /** Charset actually used to decode the bytes, and what the file declared (if anything). */
  encoding: { used: string; declared?: string; note?: string };
  account: StatementAccount;
  balances: StatedBalance[];
  /** Statement period when stated. */
  period?: { start?: string; end?: string };
  transactions: StatementTransaction[];
  /** Non-fatal observations (skipped empty rows, defaulted currency, ...), shown in the preview. */
  warnings: string[];
}
