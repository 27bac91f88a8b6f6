// What a rule does to a matching transaction. Actions are stored as JSON on
// the rule (rules.actions); categories and accounts by id, so renaming them
// does not break a rule.
import type { RuleStage } from '../db/schema-parts/rules.ts';

export const STAGES: readonly RuleStage[] = ['pre', 'default', 'post'];
export const STAGE_RANK: Record<RuleStage, number> = { pre: 0, default: 1, post: 2 };

export const MAX_ACTIONS = 20;
export const MAX_LINK_DAYS = 10;
export const DEFAULT_LINK_DAYS = 3;

export type RuleAction =
  | { type: 'set_category'; category_id: string }
  /** Gives the transaction the payee of this name; an existing payee (any case) is reused, so renaming to it merges. */
  | { type: 'rename_payee'; payee: string }
  | { type: 'add_tags'; tags: string[] }
  /** replace: the notes become `notes`; append: `notes` is added at the end unless the notes already contain it. */
  | { type: 'set_notes'; notes: string; mode: 'replace' | 'append' }
  /** An uncleared transaction becomes cleared (reconciled ones stay reconciled). */
  | { type: 'mark_cleared' }
  /** Links with the opposite transaction in another account (see link.ts); account_id narrows where to look. */
  | { type: 'link_transfer'; account_id: string | null; within_days: number };

export type ActionType = RuleAction['type'];
export const ACTION_TYPES: readonly ActionType[] = ['set_category', 'rename_payee', 'add_tags', 'set_notes', 'mark_cleared', 'link_transfer'];
