// Rule rows. Every function is scoped by ledger_id and takes the executor first.
import { sql } from 'kysely';
import type { RuleStage } from '../db/schema-parts/rules.ts';
import type { Executor } from '../shared/executor.ts';
import type { RuleAction } from './actions.ts';

export interface RuleRecord {
  id: string;
  ledger_id: string;
  name: string;
  stage: RuleStage;
  position: number;
  enabled: boolean;
  condition: string;
  actions: RuleAction[];
  created_by: string | null;
  created_at: Date;
  updated_by: string | null;
  updated_at: Date;
}

const cols = ['id', 'ledger_id', 'name', 'stage', 'position', 'enabled', 'condition', 'actions', 'created_by', 'created_at', 'updated_by', 'updated_at'] as const;

const asRecord = (r: Record<(typeof cols)[number], unknown>) => r as unknown as RuleRecord;

/** A ledger's rules in run order (stage, position, age). */
export async function listRuleRecords(ex: Executor, ledgerId: string, opts: { enabledOnly?: boolean; ids?: readonly string[] } = {}): Promise<RuleRecord[]> {
  if (opts.ids && opts.ids.length === 0) return [];
  const rows = await ex
    .selectFrom('rules')
    .select(cols)
    .where('ledger_id', '=', ledgerId)
    .$if(opts.enabledOnly === true, (q) => q.where('enabled', '=', true))
    .$if(opts.ids !== undefined, (q) => q.where(sql<boolean>`id = any(${opts.ids!}::uuid[])`))
    .orderBy(sql`case stage when 'pre' then 0 when 'default' then 1 else 2 end`)
    .orderBy('position')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(asRecord);
}

export async function getRuleRecord(ex: Executor, ledgerId: string, id: string, forUpdate = false): Promise<RuleRecord | undefined> {
  const r = await ex.selectFrom('rules').select(cols).where('ledger_id', '=', ledgerId).where('id', '=', id).$if(forUpdate, (q) => q.forUpdate()).executeTakeFirst();
  return r ? asRecord(r) : undefined;
}

export async function findRuleByName(ex: Executor, ledgerId: string, name: string): Promise<RuleRecord | undefined> {
  const r = await ex.selectFrom('rules').select(cols).where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', sql<string>`lower(${name})`).executeTakeFirst();
  return r ? asRecord(r) : undefined;
}

/** Position after the last rule of the stage. */
export async function nextPosition(ex: Executor, ledgerId: string, stage: RuleStage): Promise<number> {
  const r = await ex.selectFrom('rules').select(sql<number | null>`max(position)`.as('p')).where('ledger_id', '=', ledgerId).where('stage', '=', stage).executeTakeFirst();
  const p = r?.p ?? null;
  return p === null ? 0 : Math.min(Number(p) + 10, 1_000_000);
}

export interface RuleValues {
  name: string;
  stage: RuleStage;
  position: number;
  enabled: boolean;
  condition: string;
  actions: RuleAction[];
}

export async function insertRule(ex: Executor, ledgerId: string, userId: string, v: RuleValues): Promise<RuleRecord> {
  const r = await ex
    .insertInto('rules')
    .values({ ledger_id: ledgerId, name: v.name, stage: v.stage, position: v.position, enabled: v.enabled, condition: v.condition, actions: JSON.stringify(v.actions), created_by: userId, updated_by: userId })
    .returning(cols)
    .executeTakeFirstOrThrow();
  return asRecord(r);
}

export async function updateRule(ex: Executor, ledgerId: string, id: string, userId: string, v: RuleValues): Promise<RuleRecord> {
  const r = await ex
    .updateTable('rules')
    .set({ name: v.name, stage: v.stage, position: v.position, enabled: v.enabled, condition: v.condition, actions: JSON.stringify(v.actions), updated_by: userId, updated_at: sql`now()` })
    .where('ledger_id', '=', ledgerId)
    .where('id', '=', id)
    .returning(cols)
    .executeTakeFirstOrThrow();
  return asRecord(r);
}

export async function deleteRule(ex: Executor, ledgerId: string, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('rules').where('ledger_id', '=', ledgerId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
