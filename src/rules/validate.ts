// Checks a rule as the API and CLI send it and turns it into what is stored:
// a condition both the database and the in-memory evaluator read the same
// way, and actions with their categories and accounts resolved to this
// ledger's ids. Every problem names its field.
import { sql } from 'kysely';
import type { RuleStage } from '../db/schema-parts/rules.ts';
import { compileQuery } from '../query/compile.ts';
import { compileEvaluator } from '../query/evaluate.ts';
import { QuerySyntaxError, queryAppError } from '../query/errors.ts';
import { parseQuery } from '../query/parser.ts';
import { checkRegexes, ledgerCurrencies } from '../query/prepare.ts';
import { invalid } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { isUuid } from '../shared/ids.ts';
import { ACTION_TYPES, DEFAULT_LINK_DAYS, MAX_ACTIONS, MAX_LINK_DAYS, STAGES, type RuleAction } from './actions.ts';

/** An action as sent: categories and accounts by id or by name. */
export interface ActionInput {
  type: string;
  category_id?: string | undefined;
  category?: string | undefined;
  payee?: string | undefined;
  tags?: string[] | undefined;
  notes?: string | undefined;
  mode?: string | undefined;
  account_id?: string | null | undefined;
  account?: string | undefined;
  within_days?: number | undefined;
}

export interface RuleInput {
  name?: string | undefined;
  stage?: string | undefined;
  position?: number | undefined;
  enabled?: boolean | undefined;
  condition?: string | undefined;
  actions?: ActionInput[] | undefined;
}

export function checkName(name: string | undefined): string {
  const n = (name ?? '').trim();
  if (n.length < 1 || n.length > 200) throw invalid('/body/name', 'must be 1-200 characters');
  return n;
}

export function checkStage(stage: string | undefined): RuleStage {
  if (!STAGES.includes(stage as RuleStage)) throw invalid('/body/stage', `must be one of ${STAGES.join(', ')}`);
  return stage as RuleStage;
}

export function checkPosition(p: number | undefined): number {
  if (p === undefined || !Number.isInteger(p) || p < -1_000_000 || p > 1_000_000) throw invalid('/body/position', 'must be a whole number from -1000000 to 1000000');
  return p;
}

/**
 * A condition is query-language text (docs/query-language.md). It must compile
 * to SQL (with any regex vetted by the database) and to the in-memory
 * evaluator; an empty condition matches every transaction.
 */
export async function checkCondition(ex: Executor, ledgerId: string, text: string | undefined, now: Date, field = '/body/condition'): Promise<string> {
  const condition = (text ?? '').trim();
  try {
    const q = parseQuery(condition);
    if (q.root) {
      const currencies = await ledgerCurrencies(ex, ledgerId);
      await checkRegexes(ex, compileQuery(q, { ledgerId, currencies, now }));
      compileEvaluator(q, { currencies, now });
    }
  } catch (e) {
    if (e instanceof QuerySyntaxError) throw queryAppError(e, field);
    throw e;
  }
  return condition;
}

async function categoryId(ex: Executor, ledgerId: string, a: ActionInput, at: string): Promise<string> {
  if (a.category_id !== undefined) {
    const ok = isUuid(a.category_id) && (await ex.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where('id', '=', a.category_id).executeTakeFirst());
    if (!ok) throw invalid(`${at}/category_id`, 'no such category in this ledger');
    return a.category_id;
  }
  if (a.category === undefined) throw invalid(`${at}/category_id`, 'set_category needs category_id (or category, a name)');
  const byName = await ex.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', sql<string>`lower(${a.category.trim()})`).executeTakeFirst();
  if (!byName) throw invalid(`${at}/category`, `no category named "${a.category}" in this ledger`);
  return byName.id;
}

async function accountId(ex: Executor, ledgerId: string, a: ActionInput, at: string): Promise<string | null> {
  if (a.account_id !== undefined && a.account_id !== null) {
    const ok = isUuid(a.account_id) && (await ex.selectFrom('accounts').select('id').where('ledger_id', '=', ledgerId).where('id', '=', a.account_id).executeTakeFirst());
    if (!ok) throw invalid(`${at}/account_id`, 'no such account in this ledger');
    return a.account_id;
  }
  if (a.account === undefined) return null;
  const rows = await ex.selectFrom('accounts').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', sql<string>`lower(${a.account.trim()})`).execute();
  if (rows.length !== 1) throw invalid(`${at}/account`, rows.length === 0 ? `no account named "${a.account}" in this ledger` : `${rows.length} accounts are named "${a.account}"; give account_id`);
  return rows[0]!.id;
}

function checkTags(tags: string[] | undefined, at: string): string[] {
  if (!Array.isArray(tags) || tags.length < 1 || tags.length > 20) throw invalid(`${at}/tags`, 'add_tags needs 1-20 tags');
  const out = [...new Set(tags.map((t) => String(t).trim()))];
  out.forEach((t, i) => {
    if (t.length < 1 || t.length > 50 || /[\s,]/.test(t)) throw invalid(`${at}/tags/${i}`, 'tags are 1-50 characters without spaces or commas');
  });
  return out;
}

export async function checkActions(ex: Executor, ledgerId: string, actions: ActionInput[] | undefined): Promise<RuleAction[]> {
  if (!Array.isArray(actions) || actions.length < 1 || actions.length > MAX_ACTIONS) throw invalid('/body/actions', `a rule needs 1-${MAX_ACTIONS} actions`);
  const out: RuleAction[] = [];
  for (const [i, a] of actions.entries()) {
    const at = `/body/actions/${i}`;
    switch (a.type) {
      case 'set_category':
        out.push({ type: 'set_category', category_id: await categoryId(ex, ledgerId, a, at) });
        break;
      case 'rename_payee': {
        const p = (a.payee ?? '').trim();
        if (p.length < 1 || p.length > 500) throw invalid(`${at}/payee`, 'rename_payee needs payee, the new name (1-500 characters)');
        out.push({ type: 'rename_payee', payee: p });
        break;
      }
      case 'add_tags':
        out.push({ type: 'add_tags', tags: checkTags(a.tags, at) });
        break;
      case 'set_notes': {
        const n = a.notes ?? '';
        if (n.trim().length < 1 || n.length > 10_000) throw invalid(`${at}/notes`, 'set_notes needs notes (1-10000 characters)');
        const mode = a.mode ?? 'replace';
        if (mode !== 'replace' && mode !== 'append') throw invalid(`${at}/mode`, 'must be replace or append');
        out.push({ type: 'set_notes', notes: n, mode });
        break;
      }
      case 'mark_cleared':
        out.push({ type: 'mark_cleared' });
        break;
      case 'link_transfer': {
        const days = a.within_days ?? DEFAULT_LINK_DAYS;
        if (!Number.isInteger(days) || days < 0 || days > MAX_LINK_DAYS) throw invalid(`${at}/within_days`, `must be a whole number of days from 0 to ${MAX_LINK_DAYS}`);
        out.push({ type: 'link_transfer', account_id: await accountId(ex, ledgerId, a, at), within_days: days });
        break;
      }
      default:
        throw invalid(`${at}/type`, `must be one of ${ACTION_TYPES.join(', ')}`);
    }
  }
  const kinds = out.map((a) => a.type).filter((t) => t !== 'add_tags');
  const dup = kinds.find((t, i) => kinds.indexOf(t) !== i);
  if (dup) throw invalid('/body/actions', `a rule may have only one ${dup} action`);
  return out;
}
