// Kysely row types for the rules tables (see migrations/20261207000000_rules.ts).
import type { ColumnType, Generated } from 'kysely';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;

export type RuleStage = 'pre' | 'default' | 'post';

export interface RulesTable {
  id: Generated<string>;
  ledger_id: string;
  name: string;
  stage: ColumnType<RuleStage, RuleStage | undefined, RuleStage>;
  position: ColumnType<number, number | undefined, number>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  condition: string;
  /** RuleAction[] (src/rules/actions.ts). */
  actions: Json<unknown[]>;
  created_by: string | null;
  created_at: DefaultedTimestamp;
  updated_by: string | null;
  updated_at: DefaultedTimestamp;
}

export interface RuleRecategorizationsTable {
  transaction_id: string;
  ledger_id: string;
  payee_id: string;
  category_id: string;
  from_category_id: string | null;
  at: DefaultedTimestamp;
}

export interface RuleSuggestionDecisionsTable {
  ledger_id: string;
  payee_id: string;
  category_id: string;
  decision: 'accepted' | 'dismissed';
  rule_id: string | null;
  decided_by: string | null;
  decided_at: DefaultedTimestamp;
}

export interface RulesTables {
  rules: RulesTable;
  rule_recategorizations: RuleRecategorizationsTable;
  rule_suggestion_decisions: RuleSuggestionDecisionsTable;
}
