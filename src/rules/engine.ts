// The rules engine proper, in memory: runs the ordered rules over one row's
// state until it settles. Within a pass rules run by stage (pre, default,
// post), then position; each sees what the earlier ones changed. Passes repeat
// until a whole pass leaves the row as it found it, so the result is a fixed
// point and applying the rules again changes nothing (idempotence). A row
// that has not settled after MAX_PASSES (rules that undo each other) comes
// back with settled = false; callers then keep the row as it was and report it.
import type { ClearedState } from '../db/schema.ts';
import type { RuleStage } from '../db/schema-parts/rules.ts';
import type { EvalRow, RowPredicate } from '../query/evaluate.ts';
import { pgLower } from '../query/pg-text.ts';
import type { RuleAction } from './actions.ts';

export const MAX_PASSES = 8;
const MAX_TAGS = 20;
const MAX_NOTES = 10_000;

export interface CompiledRule {
  id: string;
  name: string;
  stage: RuleStage;
  predicate: RowPredicate;
  actions: readonly RuleAction[];
}

export interface Catalog {
  /** Undefined when the category no longer exists (the action is then skipped). */
  categoryName(id: string): string | undefined;
  /** The spelling a payee name resolves to: the existing payee's (matched case-insensitively), else the name itself. */
  payeeName(name: string): string;
}

/** A row as the rules see and change it. The EvalRow fields not listed here are read-only context. */
export interface RowState extends EvalRow {
  categoryId: string | null;
  tags: string[];
  clearedState: ClearedState;
}

export type ConflictField = 'category' | 'payee' | 'notes';
export interface Conflict {
  field: ConflictField;
  /** Every rule that set the field in the last pass, in order; the last one's value stands. */
  rules: { id: string; name: string; value: string | null }[];
}

export interface LinkIntent {
  ruleId: string;
  accountId: string | null;
  withinDays: number;
}

export interface RowOutcome {
  /** Rules whose condition matched in any pass, in the order they first matched. */
  matched: string[];
  conflicts: Conflict[];
  /** A link_transfer action of the settled state (carried out afterwards, see link.ts). */
  link: LinkIntent | undefined;
  settled: boolean;
}

/** Fields a rule may not change on this row (a manual transaction keeps what its request set). */
export type LockedField = 'category' | 'payee' | 'notes' | 'cleared';

type Setter = { rule: CompiledRule; key: string; value: string | null };
const newSetters = (): Record<ConflictField, Setter[]> => ({ category: [], payee: [], notes: [] });

export function runRules(rules: readonly CompiledRule[], catalog: Catalog, s: RowState, locked?: ReadonlySet<LockedField>): RowOutcome {
  const matched: string[] = [];
  let conflicts: Conflict[] = [];
  let link: LinkIntent | undefined;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    // add_tags replaces the array when it adds, so sameTags usually decides on the reference.
    const before = { payee: s.payee, categoryId: s.categoryId, notes: s.notes, tags: s.tags, cleared: s.clearedState };
    let setters: Record<ConflictField, Setter[]> | undefined;
    link = undefined;
    for (const rule of rules) {
      if (!rule.predicate(s)) continue;
      if (!matched.includes(rule.id)) matched.push(rule.id);
      for (const a of rule.actions) {
        switch (a.type) {
          case 'set_category': {
            if (s.isSplit || s.isTransfer || locked?.has('category')) break;
            const name = catalog.categoryName(a.category_id);
            if (name === undefined) break;
            (setters ??= newSetters()).category.push({ rule, key: a.category_id, value: name });
            s.categoryId = a.category_id;
            s.category = name;
            break;
          }
          case 'rename_payee': {
            if (locked?.has('payee')) break;
            const name = catalog.payeeName(a.payee);
            (setters ??= newSetters()).payee.push({ rule, key: pgLower(name), value: name });
            s.payee = name;
            break;
          }
          case 'add_tags':
            for (const t of a.tags) {
              const k = pgLower(t);
              if (s.tags.length < MAX_TAGS && !s.tags.some((x) => pgLower(x) === k)) s.tags = [...s.tags, t];
            }
            break;
          case 'set_notes': {
            if (locked?.has('notes')) break;
            if (a.mode === 'replace') {
              (setters ??= newSetters()).notes.push({ rule, key: a.notes, value: a.notes });
              s.notes = a.notes;
            } else if (!(s.notes ?? '').includes(a.notes)) {
              const next = s.notes ? `${s.notes} ${a.notes}` : a.notes;
              if (next.length <= MAX_NOTES) s.notes = next;
            }
            break;
          }
          case 'mark_cleared':
            if (!locked?.has('cleared') && s.clearedState === 'uncleared') s.clearedState = 'cleared';
            break;
          case 'link_transfer':
            if (!s.isTransfer && !s.isSplit && !s.pending && s.amountMinor !== 0n) link = { ruleId: rule.id, accountId: a.account_id, withinDays: a.within_days };
            break;
        }
      }
    }
    conflicts = [];
    if (setters) {
      for (const field of ['category', 'payee', 'notes'] as const) {
        const list = setters[field];
        if (list.length > 1 && new Set(list.map((x) => x.key)).size > 1) conflicts.push({ field, rules: list.map((x) => ({ id: x.rule.id, name: x.rule.name, value: x.value })) });
      }
    }
    const same = s.payee === before.payee && s.categoryId === before.categoryId && s.notes === before.notes && s.clearedState === before.cleared && sameTags(s.tags, before.tags);
    if (same) return { matched, conflicts, link, settled: true };
  }
  return { matched, conflicts, link: undefined, settled: false };
}

const sameTags = (a: readonly string[], b: readonly string[]) => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
