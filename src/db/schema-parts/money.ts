// Kysely row types for the money tables (see migrations/20261207100000_money.ts).
import type { ColumnType, Generated } from 'kysely';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type BigMoney = ColumnType<bigint, bigint | string, bigint | string>;

export interface FxCurrenciesTable {
  code: string;
  exponent: number;
  minor_per_major: BigMoney;
}

export interface FxRatesTable {
  id: Generated<string>;
  ledger_id: string;
  from_currency: string;
  to_currency: string;
  /** 'YYYY-MM-DD' */
  rate_date: string;
  /** Exact decimal text (numeric arrives as text on both engines). */
  rate: string;
  source: ColumnType<string, string | undefined, string>;
  created_by: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type BudgetMode = 'envelope' | 'limit';

export interface BudgetAssignmentsTable {
  ledger_id: string;
  category_id: string;
  /** First day of the month, 'YYYY-MM-01'. */
  month: string;
  assigned_minor: BigMoney;
  currency: string;
  updated_by: string | null;
  updated_at: DefaultedTimestamp;
}

export interface BudgetCategorySettingsTable {
  ledger_id: string;
  category_id: string;
  mode: ColumnType<BudgetMode, BudgetMode | undefined, BudgetMode>;
  limit_minor: ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;
  currency: string;
  updated_by: string | null;
  updated_at: DefaultedTimestamp;
}

export interface MoneyTables {
  fx_currencies: FxCurrenciesTable;
  fx_rates: FxRatesTable;
  budget_assignments: BudgetAssignmentsTable;
  budget_category_settings: BudgetCategorySettingsTable;
}
