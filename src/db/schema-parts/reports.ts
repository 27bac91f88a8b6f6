// Kysely row types for the reports tables (see migrations/*_reports.ts).
import type { ColumnType, Generated } from 'kysely';

type BigMoney = ColumnType<bigint, bigint | string, bigint | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** Sums of leaf rows (ordinary rows and split parts) per month, account, category and transfer flag. */
export interface ReportCategoryMonthsTable {
  ledger_id: string;
  /** First day of the month, YYYY-MM-01. */
  month: string;
  account_id: string;
  category_id: string | null;
  is_transfer: boolean;
  amount_minor: BigMoney;
  inflow_minor: BigMoney;
  row_count: BigMoney;
}

/** Sums of top-level rows per month, account and transfer flag. */
export interface ReportAccountMonthsTable {
  ledger_id: string;
  month: string;
  account_id: string;
  is_transfer: boolean;
  amount_minor: BigMoney;
  inflow_minor: BigMoney;
  row_count: BigMoney;
}

/** Sums of top-level non-transfer rows per month, payee and account. */
export interface ReportPayeeMonthsTable {
  ledger_id: string;
  month: string;
  payee_id: string | null;
  account_id: string;
  amount_minor: BigMoney;
  inflow_minor: BigMoney;
  row_count: BigMoney;
}

/** Leaf-row sums per month, category and transfer flag over all the ledger's accounts (20261208100000_report_ledger_rollups). */
export interface ReportLedgerCategoryMonthsTable {
  ledger_id: string;
  month: string;
  category_id: string | null;
  is_transfer: boolean;
  amount_minor: BigMoney;
  inflow_minor: BigMoney;
  row_count: BigMoney;
}

/** Top-level non-transfer sums per month and payee over all the ledger's accounts. */
export interface ReportLedgerPayeeMonthsTable {
  ledger_id: string;
  month: string;
  payee_id: string | null;
  amount_minor: BigMoney;
  inflow_minor: BigMoney;
  row_count: BigMoney;
}

export type Cadence = 'weekly' | 'biweekly' | 'monthly' | 'quarterly' | 'yearly';
export const CADENCES: readonly Cadence[] = ['weekly', 'biweekly', 'monthly', 'quarterly', 'yearly'];

export interface RecurringSchedulesTable {
  id: Generated<string>;
  ledger_id: string;
  name: string;
  payee_id: string;
  account_id: string | null;
  category_id: string | null;
  expected_amount_minor: BigMoney;
  tolerance_bp: ColumnType<number, number | undefined, number>;
  cadence: Cadence;
  anchor_day: number;
  next_expected_on: string;
  last_seen_on: string | null;
  last_transaction_id: string | null;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type AlertKind = 'late' | 'amount';

export interface RecurringAlertsTable {
  id: Generated<string>;
  ledger_id: string;
  schedule_id: string;
  kind: AlertKind;
  expected_on: string;
  expected_amount_minor: BigMoney;
  actual_amount_minor: BigMoney | null;
  transaction_id: string | null;
  message: string;
  created_at: DefaultedTimestamp;
  dismissed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ReportsTables {
  report_category_months: ReportCategoryMonthsTable;
  report_account_months: ReportAccountMonthsTable;
  report_payee_months: ReportPayeeMonthsTable;
  report_ledger_category_months: ReportLedgerCategoryMonthsTable;
  report_ledger_payee_months: ReportLedgerPayeeMonthsTable;
  recurring_schedules: RecurringSchedulesTable;
  recurring_alerts: RecurringAlertsTable;
}
