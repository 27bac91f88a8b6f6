// Rules use cases: CRUD, apply to history, dry run, suggestions. Like every
// service it knows nothing about HTTP; the CLI calls the same functions.
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { prepareQuery } from '../query/prepare.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid, requireDate } from '../shared/ids.ts';
import type { RuleAction } from './actions.ts';
import { ReportPage, runOverHistory, type RowReport, type RunSummary } from './history.ts';
import { loadProgram } from './program.ts';
import { markRulesWriting, type Scope } from './rows.ts';
import * as repo from './rules.repository.ts';
import { DEFAULT_MIN_COUNT, findSuggestions, suggestedCondition, suggestedName } from './suggestions.ts';
import { checkActions, checkCondition, checkName, checkPosition, checkStage, type RuleInput } from './validate.ts';

export interface RunInput {
  /** Only transactions matching this query (docs/query-language.md). */
  query?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Run exactly these rules (enabled or not) instead of every enabled rule. */
  ruleIds?: string[] | undefined;
}

const RETRIES = 3;
const SERIALIZATION_FAILURE = '40001';

async function present(ex: Executor, ledgerId: string, rules: repo.RuleRecord[]) {
  const catIds = [...new Set(rules.flatMap((r) => r.actions.flatMap((a) => (a.type === 'set_category' ? [a.category_id] : []))))];
  const accIds = [...new Set(rules.flatMap((r) => r.actions.flatMap((a) => (a.type === 'link_transfer' && a.account_id ? [a.account_id] : []))))];
  const [cats, accs] = await Promise.all([
    catIds.length ? ex.selectFrom('categories').select(['id', 'name']).where('ledger_id', '=', ledgerId).where('id', 'in', catIds).execute() : [],
    accIds.length ? ex.selectFrom('accounts').select(['id', 'name']).where('ledger_id', '=', ledgerId).where('id', 'in', accIds).execute() : [],
  ]);
  const cat = new Map(cats.map((c) => [c.id, c.name]));
  const acc = new Map(accs.map((a) => [a.id, a.name]));
  const action = (a: RuleAction) => {
    switch (a.type) {
      case 'set_category':
        return { ...a, category_name: cat.get(a.category_id) ?? null };
      case 'link_transfer':
        return { ...a, account_name: a.account_id ? (acc.get(a.account_id) ?? null) : null };
      default:
        return a;
    }
  };
  return rules.map((r) => ({
    id: r.id, ledger_id: r.ledger_id, name: r.name, stage: r.stage, position: r.position, enabled: r.enabled, condition: r.condition,
    actions: r.actions.map(action), created_by: r.created_by, created_at: r.created_at, updated_by: r.updated_by, updated_at: r.updated_at,
  }));
}

export type RuleView = Awaited<ReturnType<typeof present>>[number];

function conflictOnName(e: unknown, name: string): never {
  if ((e as { code?: string }).code === '23505') throw new AppError('CONFLICT', `a rule named "${name}" already exists in this ledger`, { errors: [{ field: '/body/name', message: 'already used by another rule' }] });
  throw e;
}

export function createRulesService(deps: { db: Db; now?: () => Date }) {
  const k = deps.db.kysely;
  const now = deps.now ?? (() => new Date());
  const json = deps.db.engine === 'pglite';

  async function loadRule(ex: Executor, ledgerId: string, id: string, forUpdate = false) {
    const r = isUuid(id) ? await repo.getRuleRecord(ex, ledgerId, id, forUpdate) : undefined;
    if (!r) throw notFound('rule');
    return r;
  }

  async function scopeOf(ex: Executor, ledgerId: string, input: RunInput): Promise<Scope> {
    if (input.from !== undefined) requireDate('/body/from', input.from);
    if (input.to !== undefined) requireDate('/body/to', input.to);
    if (input.from !== undefined && input.to !== undefined && input.from > input.to) throw invalid('/body/to', 'must not be before from');
    const where = input.query?.trim() ? (await prepareQuery(ex, ledgerId, input.query, { now: now(), field: '/body/query' })).where : undefined;
    return { where, from: input.from, to: input.to };
  }

  async function ruleIdsOf(ex: Executor, ledgerId: string, ids: string[] | undefined): Promise<string[] | undefined> {
    if (ids === undefined) return undefined;
    if (ids.length === 0) throw invalid('/body/rule_ids', 'give at least one rule, or leave rule_ids out to run every enabled rule');
    const found = await repo.listRuleRecords(ex, ledgerId, { ids: ids.filter(isUuid) });
    const known = new Set(found.map((r) => r.id));
    ids.forEach((id, i) => {
      if (!known.has(id)) throw invalid(`/body/rule_ids/${i}`, 'no such rule in this ledger');
    });
    return ids;
  }

  async function values(ex: Executor, ledgerId: string, input: RuleInput, base?: repo.RuleRecord): Promise<repo.RuleValues> {
    const name = input.name !== undefined || !base ? checkName(input.name) : base.name;
    const stage = input.stage !== undefined ? checkStage(input.stage) : (base?.stage ?? 'default');
    const position = input.position !== undefined ? checkPosition(input.position) : base && stage === base.stage ? base.position : await repo.nextPosition(ex, ledgerId, stage);
    const condition = input.condition !== undefined || !base ? await checkCondition(ex, ledgerId, input.condition, now()) : base.condition;
    const actions = input.actions !== undefined || !base ? await checkActions(ex, ledgerId, input.actions) : base.actions;
    return { name, stage, position, enabled: input.enabled ?? base?.enabled ?? true, condition, actions };
  }

  const service = {
    async list(actor: Actor, ledgerId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return present(k, ledgerId, await repo.listRuleRecords(k, ledgerId));
    },

    async get(actor: Actor, ledgerId: string, id: string): Promise<RuleView> {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return (await present(k, ledgerId, [await loadRule(k, ledgerId, id)]))[0]!;
    },

    async create(actor: Actor, ledgerId: string, input: RuleInput): Promise<RuleView> {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const v = await values(tx, ledgerId, input);
        const r = await repo.insertRule(tx, ledgerId, actor.userId, v).catch((e) => conflictOnName(e, v.name));
        await recordAudit(tx, actor, { action: 'rule.create', entityType: 'rule', entityId: r.id, ledgerId, details: { name: r.name, stage: r.stage } });
        return (await present(tx, ledgerId, [r]))[0]!;
      });
    },

    async update(actor: Actor, ledgerId: string, id: string, input: RuleInput): Promise<RuleView> {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const cur = await loadRule(tx, ledgerId, id, true);
        const v = await values(tx, ledgerId, input, cur);
        const r = await repo.updateRule(tx, ledgerId, id, actor.userId, v).catch((e) => conflictOnName(e, v.name));
        await recordAudit(tx, actor, { action: 'rule.update', entityType: 'rule', entityId: id, ledgerId, details: { fields: Object.keys(input).filter((f) => input[f as keyof RuleInput] !== undefined) } });
        return (await present(tx, ledgerId, [r]))[0]!;
      });
    },

    async remove(actor: Actor, ledgerId: string, id: string): Promise<void> {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const cur = await loadRule(tx, ledgerId, id, true);
        await repo.deleteRule(tx, ledgerId, id);
        await recordAudit(tx, actor, { action: 'rule.delete', entityType: 'rule', entityId: id, ledgerId, details: { name: cur.name } });
      });
    },

    /** Finds a rule by id or (case-insensitive) name, for the CLI. */
    async resolve(actor: Actor, ledgerId: string, ref: string): Promise<RuleView> {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const r = (isUuid(ref) ? await repo.getRuleRecord(k, ledgerId, ref) : undefined) ?? (await repo.findRuleByName(k, ledgerId, ref));
      if (!r) throw notFound(`rule ${JSON.stringify(ref)}`);
      return (await present(k, ledgerId, [r]))[0]!;
    },

    /**
     * Applies the rules to the ledger's transactions (all, or those matching
     * query/from/to) in one database transaction. REPEATABLE READ: if another
     * writer changes a row between our read and our write, the run is retried.
     */
    async apply(actor: Actor, ledgerId: string, input: RunInput): Promise<RunSummary> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await k.transaction().setIsolationLevel('repeatable read').execute(async (tx) => {
            await requireLedgerRole(tx, actor, ledgerId, 'editor');
            const scope = await scopeOf(tx, ledgerId, input);
            const program = await loadProgram(tx, ledgerId, now(), await ruleIdsOf(tx, ledgerId, input.ruleIds));
            await markRulesWriting(tx, true);
            const { summary } = await runOverHistory(tx, program, scope, { write: true, json });
            await markRulesWriting(tx, false);
            await recordAudit(tx, actor, {
              action: 'rules.apply', entityType: 'ledger', entityId: ledgerId, ledgerId,
              details: { query: input.query ?? null, from: input.from ?? null, to: input.to ?? null, rule_ids: input.ruleIds ?? null, scanned: summary.scanned, changed: summary.changed, links: summary.links, conflicts: summary.conflicts },
            });
            return summary;
          });
        } catch (e) {
          if ((e as { code?: string }).code !== SERIALIZATION_FAILURE || attempt >= RETRIES) throw e;
        }
      }
    },

    /** What apply would do: per transaction, the rules that matched, the changes (before/after) and conflicts. */
    async dryRun(actor: Actor, ledgerId: string, input: RunInput & { cursor?: string | undefined; limit: number }): Promise<{ summary: RunSummary; items: RowReport[]; next_cursor: string | null }> {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const after = decodeCursor(input.cursor, ['d', 'id'] as const);
      // One more than the page, to know whether another page follows.
      const kept = new ReportPage(after, input.limit + 1);
      // A snapshot of its own, so the rows and the candidates for links are read at one moment.
      const { summary, reports } = await k.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (tx) => {
        const scope = await scopeOf(tx, ledgerId, input);
        const program = await loadProgram(tx, ledgerId, now(), await ruleIdsOf(tx, ledgerId, input.ruleIds));
        return runOverHistory(tx, program, scope, { write: false, json, page: kept });
      });
      const page = reports.slice(0, input.limit);
      const last = page[page.length - 1];
      const more = reports.length > input.limit;
      return { summary, items: page, next_cursor: more && last ? encodeCursor({ d: last.posted_on, id: last.transaction_id }) : null };
    },

    async suggestions(actor: Actor, ledgerId: string, opts: { minCount?: number | undefined } = {}) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const min = opts.minCount ?? DEFAULT_MIN_COUNT;
      if (!Number.isInteger(min) || min < 2 || min > 100) throw invalid('/query/min_count', 'must be a whole number from 2 to 100');
      return findSuggestions(k, await loadProgram(k, ledgerId, now()), min);
    },

    /** Creates the suggested rule "payee → category" (any payee and category of the ledger may be given). */
    async acceptSuggestion(actor: Actor, ledgerId: string, input: { payeeId: string; categoryId: string; name?: string | undefined; stage?: string | undefined }): Promise<RuleView> {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const { payee, category } = await pair(tx, ledgerId, input);
        const v = await values(tx, ledgerId, {
          name: input.name ?? suggestedName(payee.name, category.name), stage: input.stage ?? 'default',
          condition: suggestedCondition(payee.name), actions: [{ type: 'set_category', category_id: category.id }],
        });
        const r = await repo.insertRule(tx, ledgerId, actor.userId, v).catch((e) => conflictOnName(e, v.name));
        await decide(tx, actor, ledgerId, payee.id, category.id, 'accepted', r.id);
        await recordAudit(tx, actor, { action: 'rule.create', entityType: 'rule', entityId: r.id, ledgerId, details: { name: r.name, stage: r.stage, from_suggestion: { payee_id: payee.id, category_id: category.id } } });
        return (await present(tx, ledgerId, [r]))[0]!;
      });
    },

    async dismissSuggestion(actor: Actor, ledgerId: string, input: { payeeId: string; categoryId: string }): Promise<void> {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const { payee, category } = await pair(tx, ledgerId, input);
        await decide(tx, actor, ledgerId, payee.id, category.id, 'dismissed', null);
        await recordAudit(tx, actor, { action: 'rule.suggestion_dismiss', entityType: 'payee', entityId: payee.id, ledgerId, details: { category_id: category.id } });
      });
    },

    /** The rules step for a manual transaction, run inside its creating transaction (fields the request set are kept). */
    async afterManualCreate(tx: Executor, ctx: { ledgerId: string; id: string; explicit: { category: boolean; payee: boolean; notes: boolean; cleared: boolean } }): Promise<void> {
      const program = await loadProgram(tx, ctx.ledgerId, now());
      if (program.rules.length === 0) return;
      const locked = new Set(Object.entries(ctx.explicit).filter(([, v]) => v).map(([f]) => f as 'category' | 'payee' | 'notes' | 'cleared'));
      await markRulesWriting(tx, true);
      await runOverHistory(tx, program, { ids: [ctx.id] }, { write: true, locked });
      await markRulesWriting(tx, false);
    },
  };

  async function pair(tx: Executor, ledgerId: string, input: { payeeId: string; categoryId: string }) {
    const payee = isUuid(input.payeeId) ? await tx.selectFrom('payees').select(['id', 'name']).where('ledger_id', '=', ledgerId).where('id', '=', input.payeeId).executeTakeFirst() : undefined;
    if (!payee) throw invalid('/body/payee_id', 'no such payee in this ledger');
    const category = isUuid(input.categoryId) ? await tx.selectFrom('categories').select(['id', 'name']).where('ledger_id', '=', ledgerId).where('id', '=', input.categoryId).executeTakeFirst() : undefined;
    if (!category) throw invalid('/body/category_id', 'no such category in this ledger');
    return { payee, category };
  }

  async function decide(tx: Executor, actor: Actor, ledgerId: string, payeeId: string, categoryId: string, decision: 'accepted' | 'dismissed', ruleId: string | null) {
    await tx
      .insertInto('rule_suggestion_decisions')
      .values({ ledger_id: ledgerId, payee_id: payeeId, category_id: categoryId, decision, rule_id: ruleId, decided_by: actor.userId })
      .onConflict((oc) => oc.columns(['ledger_id', 'payee_id', 'category_id']).doUpdateSet({ decision, rule_id: ruleId, decided_by: actor.userId, decided_at: new Date() }))
      .execute();
  }

  return service;
}

export type RulesService = ReturnType<typeof createRulesService>;
