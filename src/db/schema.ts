// Row types as Kysely sees them. bigint columns arrive as JS bigint and dates
// (posting dates) as 'YYYY-MM-DD' strings on both engines (see create-db.ts).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { BackupsTables } from './schema-parts/backups.ts';
import type { ImportsTables } from './schema-parts/imports.ts';
import type { MoneyTables } from './schema-parts/money.ts';
import type { OpsTables } from './schema-parts/ops.ts';
import type { ReportsTables } from './schema-parts/reports.ts';
import type { RulesTables } from './schema-parts/rules.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type BigMoney = ColumnType<bigint, bigint | string, bigint | string>;
type DefaultedMoney = ColumnType<bigint, bigint | string | undefined, bigint | string>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;

export type AccountType = 'checking' | 'savings' | 'credit_card' | 'cash' | 'loan' | 'investment' | 'asset' | 'liability';
export const ACCOUNT_TYPES: readonly AccountType[] = ['checking', 'savings', 'credit_card', 'cash', 'loan', 'investment', 'asset', 'liability'];
export type Role = 'owner' | 'editor' | 'viewer';
export type ClearedState = 'uncleared' | 'cleared' | 'reconciled';
export type JobState = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface SystemSettingsTable {
  key: string;
  value: Json;
  updated_at: DefaultedTimestamp;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  created_at: DefaultedTimestamp;
  disabled_at: Timestamp | null;
}

export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
  last_seen_at: DefaultedTimestamp;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_hash: string;
  token_prefix: string;
  created_at: DefaultedTimestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface LedgersTable {
  id: Generated<string>;
  name: string;
  base_currency: string;
  created_by: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface LedgerMembersTable {
  ledger_id: string;
  user_id: string;
  role: Role;
  created_at: DefaultedTimestamp;
}

export interface AccountsTable {
  id: Generated<string>;
  ledger_id: string;
  name: string;
  type: AccountType;
  currency: string;
  opening_balance_minor: DefaultedMoney;
  opened_on: string | null;
  closed: Generated<boolean>;
  tx_sum_minor: DefaultedMoney;
  cleared_sum_minor: DefaultedMoney;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface CategoryGroupsTable {
  id: Generated<string>;
  ledger_id: string;
  name: string;
  is_income: Generated<boolean>;
  hidden: Generated<boolean>;
  sort_order: Generated<number>;
  created_at: DefaultedTimestamp;
}

export interface CategoriesTable {
  id: Generated<string>;
  ledger_id: string;
  group_id: string;
  name: string;
  hidden: Generated<boolean>;
  sort_order: Generated<number>;
  created_at: DefaultedTimestamp;
}

export interface PayeesTable {
  id: Generated<string>;
  ledger_id: string;
  name: string;
  created_at: DefaultedTimestamp;
}

export interface ImportBatchesTable {
  id: Generated<string>;
  ledger_id: string;
  account_id: string | null;
  created_at: DefaultedTimestamp;
  // Columns from the imports migration (see schema-parts/imports.ts for the row tables).
  status: ColumnType<'previewed' | 'committed' | 'undone' | 'expired', 'previewed' | 'committed' | 'undone' | 'expired' | undefined, 'previewed' | 'committed' | 'undone' | 'expired'>;
  file_name: string | null;
  file_sha256: string | null;
  format: string | null;
  encoding: Json<{ used: string; declared?: string; note?: string }> | null;
  size_bytes: DefaultedMoney;
  currency: string | null;
  statement_account: ColumnType<Record<string, unknown>, string | undefined, string>;
  stated_balances: ColumnType<Array<{ kind: string; amount_minor: string; date?: string }>, string | undefined, string>;
  period_start: string | null;
  period_end: string | null;
  dedupe_window_days: Generated<number>;
  count_total: Generated<number>;
  count_new: Generated<number>;
  count_duplicate: Generated<number>;
  count_conflict: Generated<number>;
  count_skipped: Generated<number>;
  count_pending_replaced: Generated<number>;
  balance_check: Json<Record<string, unknown>> | null;
  csv_mapping: Json<Record<string, unknown>> | null;
  warnings: ColumnType<string[], string | undefined, string>;
  candidates_fingerprint: string | null;
  account_before: Json<Record<string, unknown>> | null;
  transfer_suggestions: ColumnType<Array<Record<string, unknown>>, string | undefined, string>;
  undo_report: Json<Record<string, unknown>> | null;
  created_by: string | null;
  expires_at: Timestamp | null;
  committed_at: Timestamp | null;
  committed_by: string | null;
  undone_at: Timestamp | null;
  undone_by: string | null;
}

export interface TransactionsTable {
  id: Generated<string>;
  ledger_id: string;
  account_id: string;
  posted_on: string;
  amount_minor: BigMoney;
  payee_id: string | null;
  category_id: string | null;
  notes: string | null;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  cleared_state: Generated<ClearedState>;
  imported_id: string | null;
  import_batch_id: string | null;
  parent_id: string | null;
  is_split: Generated<boolean>;
  transfer_peer_id: string | null;
  search_text: Generated<string>;
  pending: Generated<boolean>;
  import_payee_raw: string | null;
  import_edited_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: DefaultedTimestamp;
  actor_user_id: string | null;
  ledger_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  request_id: string | null;
  details: Json<Record<string, unknown>>;
}

export interface JobsTable {
  id: Generated<string>;
  queue: Generated<string>;
  name: string;
  payload: Json<Record<string, unknown>>;
  state: Generated<JobState>;
  priority: Generated<number>;
  run_at: DefaultedTimestamp;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  last_error: string | null;
  result: Json | null;
  dedupe_key: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  finished_at: Timestamp | null;
  /** X-Request-Id of the request that enqueued the job (ops migration); the worker logs with it. */
  request_id: string | null;
}

export interface JobSchedulesTable {
  name: string;
  cron: string;
  job_name: string;
  queue: Generated<string>;
  payload: Json<Record<string, unknown>>;
  enabled: Generated<boolean>;
  next_run_at: Timestamp;
  last_enqueued_at: Timestamp | null;
  updated_at: DefaultedTimestamp;
}

export interface Database extends ImportsTables, OpsTables, BackupsTables, RulesTables, MoneyTables, ReportsTables {
  system_settings: SystemSettingsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  ledgers: LedgersTable;
  ledger_members: LedgerMembersTable;
  accounts: AccountsTable;
  category_groups: CategoryGroupsTable;
  categories: CategoriesTable;
  payees: PayeesTable;
  import_batches: ImportBatchesTable;
  transactions: TransactionsTable;
  audit_events: AuditEventsTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
}

export type UserRow = Selectable<UsersTable>;
export type AccountRow = Selectable<AccountsTable>;
export type TransactionRow = Selectable<TransactionsTable>;
export type NewTransaction = Insertable<TransactionsTable>;
export type TransactionUpdate = Updateable<TransactionsTable>;
export type JobRow = Selectable<JobsTable>;
