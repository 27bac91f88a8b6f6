// Kysely row types for the imports tables (see migrations/*_imports.ts). The
// columns added to import_batches and transactions are declared in schema.ts.
import type { ColumnType } from 'kysely';

type Json<T = unknown> = ColumnType<T, string | T, string | T>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type ImportDecision = 'new' | 'duplicate' | 'conflict' | 'skipped' | 'replace_pending';
export const IMPORT_DECISIONS: readonly ImportDecision[] = ['new', 'duplicate', 'conflict', 'skipped', 'replace_pending'];
export type ImportBatchStatus = 'previewed' | 'committed' | 'undone' | 'expired';

/** A pending row's values before an import replaced it with the posted row (restored by undo). */
export interface PriorPending {
  posted_on: string;
  amount_minor: string;
  imported_id: string | null;
  import_payee_raw: string | null;
  pending: boolean;
  cleared_state: string;
  import_edited_at: string | null;
}

export interface ImportRowsTable {
  batch_id: string;
  row_index: number;
  source_line: number;
  posted_on: string;
  amount_minor: ColumnType<bigint, bigint | string, bigint | string>;
  payee: string | null;
  memo: string | null;
  bank_id: string | null;
  check_number: string | null;
  pending: ColumnType<boolean, boolean | undefined, boolean>;
  kind: string | null;
  decision: ImportDecision;
  proposed: ImportDecision;
  reason_code: string;
  reason: string;
  matched_transaction_id: string | null;
  tx_id: string | null;
  prior: Json<PriorPending> | null;
}

export interface CsvMappingsTable {
  ledger_id: string;
  account_id: string;
  options: Json<Record<string, unknown>>;
  updated_at: DefaultedTimestamp;
  updated_by: string | null;
}

export interface ImportsTables {
  import_rows: ImportRowsTable;
  csv_mappings: CsvMappingsTable;
}
