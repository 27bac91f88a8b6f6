// /api/v1/ledgers/{ledgerId}/rules: rule CRUD (viewers read, editors write),
// apply to history (editor), dry run (viewer), suggestions (registered in src/http/app.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, DateOnly, LedgerParams, NoContent, Timestamp, Uuid } from '../http/schemas.ts';
import { ACTION_TYPES, MAX_ACTIONS, STAGES } from './actions.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Stage = Type.String({ enum: [...STAGES], description: 'pre, default or post: stages run in that order' });
const ActionType = Type.String({ enum: [...ACTION_TYPES] });
const Mode = Type.String({ enum: ['replace', 'append'] });

const ActionIn = Type.Object({
  type: ActionType,
  category_id: Type.Optional(Type.String({ maxLength: 64, description: 'set_category: the category' })),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'set_category: the category by name, instead of category_id' })),
  payee: Type.Optional(Type.String({ maxLength: 500, description: 'rename_payee: the new payee name (an existing payee of that name, any case, is reused: payees merge)' })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20, description: 'add_tags' })),
  notes: Type.Optional(Type.String({ maxLength: 10_000, description: 'set_notes' })),
  mode: Type.Optional(Mode),
  account_id: Type.Optional(Nullable(Type.String({ maxLength: 64, description: 'link_transfer: only link with rows of this account' }))),
  account: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'link_transfer: the account by name, instead of account_id' })),
  within_days: Type.Optional(Type.Integer({ description: 'link_transfer: most days between the two dates (0-10, default 3)' })),
}, { additionalProperties: false });

const ActionOut = Type.Object({
  type: ActionType,
  category_id: Type.Optional(Uuid),
  category_name: Type.Optional(Nullable(Type.String())),
  payee: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  notes: Type.Optional(Type.String()),
  mode: Type.Optional(Mode),
  account_id: Type.Optional(Nullable(Uuid)),
  account_name: Type.Optional(Nullable(Type.String())),
  within_days: Type.Optional(Type.Integer()),
});

const Rule = Type.Object({
  id: Uuid, ledger_id: Uuid, name: Type.String(), stage: Stage, position: Type.Integer(), enabled: Type.Boolean(),
  condition: Type.String({ description: 'query-language text (docs/query-language.md); empty matches every transaction' }),
  actions: Type.Array(ActionOut),
  created_by: Nullable(Uuid), created_at: Timestamp, updated_by: Nullable(Uuid), updated_at: Timestamp,
});

const RuleFields = {
  name: Type.String({ maxLength: 200 }),
  stage: Type.Optional(Stage),
  position: Type.Optional(Type.Integer({ description: 'order within the stage, lowest first (default: after the last)' })),
  enabled: Type.Optional(Type.Boolean()),
  condition: Type.String({ maxLength: 1000, description: 'query-language text; a bad query is a 400 QUERY_INVALID with the position' }),
  actions: Type.Array(ActionIn, { minItems: 1, maxItems: MAX_ACTIONS }),
};

const RunFields = {
  query: Type.Optional(Type.String({ maxLength: 4000, description: 'only transactions matching this query' })),
  from: Type.Optional(DateOnly),
  to: Type.Optional(DateOnly),
  rule_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500, description: 'run exactly these rules (enabled or not) instead of every enabled rule' })),
};

const Summary = Type.Object({
  scanned: Type.Integer(), matched: Type.Integer(), changed: Type.Integer(), conflicts: Type.Integer(), unsettled: Type.Integer(), links: Type.Integer(),
  rules: Type.Array(Type.Object({ id: Uuid, name: Type.String(), matched: Type.Integer(), changed: Type.Integer() })),
  broken_rules: Type.Array(Type.Object({ id: Uuid, name: Type.String(), message: Type.String() })),
});

const Conflict = Type.Object({ field: Type.String(), rules: Type.Array(Type.Object({ id: Uuid, name: Type.String(), value: Nullable(Type.String()) })) });
const Report = Type.Object({
  transaction_id: Uuid, account_id: Uuid, account_name: Type.String(), posted_on: DateOnly, amount_minor: Type.Integer(), currency: Type.String(),
  payee_name: Nullable(Type.String()),
  matched_rules: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
  changes: Type.Array(Type.Object({ field: Type.String(), before: Type.Unknown(), after: Type.Unknown() })),
  conflicts: Type.Array(Conflict),
  unsettled: Type.Boolean(),
  linked_to: Nullable(Uuid),
});

const Suggestion = Type.Object({
  payee_id: Uuid, payee_name: Type.String(), category_id: Uuid, category_name: Type.String(), count: Type.Integer(), last_at: Timestamp,
  transaction_ids: Type.Array(Uuid),
  rule: Type.Object({ name: Type.String(), condition: Type.String(), actions: Type.Array(ActionOut) }),
});
const Pair = { payee_id: Type.String({ maxLength: 64 }), category_id: Type.String({ maxLength: 64 }) };

const RuleParams = Type.Object({ ledgerId: Type.String({ maxLength: 64 }), ruleId: Type.String({ maxLength: 64 }) });
const tags = ['rules'];

type RunBody = { query?: string; from?: string; to?: string; rule_ids?: string[] };
const runInput = (b: RunBody) => ({ query: b.query, from: b.from, to: b.to, ruleIds: b.rule_ids });

export const rulesRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.rules;
  app.get('/ledgers/:ledgerId/rules', { schema: { tags, summary: 'Rules in the order they run', params: LedgerParams, response: { 200: Type.Object({ items: Type.Array(Rule) }) } } },
    async (req) => ({ items: await s.list(requireActor(req), req.params.ledgerId) }));
  app.post('/ledgers/:ledgerId/rules', { schema: { tags, summary: 'Create a rule', params: LedgerParams, body: Body(RuleFields), response: { 201: Rule } } },
    async (req, reply) => reply.code(201).send(await s.create(requireActor(req), req.params.ledgerId, req.body)));
  app.get('/ledgers/:ledgerId/rules/suggestions', {
    schema: { tags, summary: 'Rules suggested by repeated manual recategorizations', params: LedgerParams, querystring: Type.Object({ min_count: Type.Optional(Type.Integer({ description: 'manual recategorizations needed (default 3)' })) }), response: { 200: Type.Object({ items: Type.Array(Suggestion) }) } },
  }, async (req) => ({ items: await s.suggestions(requireActor(req), req.params.ledgerId, { minCount: req.query.min_count }) }));
  app.post('/ledgers/:ledgerId/rules/suggestions/accept', {
    schema: { tags, summary: 'Create the rule "payee → category" of a suggestion', params: LedgerParams, body: Body({ ...Pair, name: Type.Optional(Type.String({ maxLength: 200 })), stage: Type.Optional(Stage) }), response: { 201: Rule } },
  }, async (req, reply) => reply.code(201).send(await s.acceptSuggestion(requireActor(req), req.params.ledgerId, { payeeId: req.body.payee_id, categoryId: req.body.category_id, name: req.body.name, stage: req.body.stage })));
  app.post('/ledgers/:ledgerId/rules/suggestions/dismiss', { schema: { tags, summary: 'Stop suggesting "payee → category"', params: LedgerParams, body: Body(Pair), response: { 204: NoContent } } },
    async (req, reply) => {
      await s.dismissSuggestion(requireActor(req), req.params.ledgerId, { payeeId: req.body.payee_id, categoryId: req.body.category_id });
      return reply.code(204).send(null);
    });
  app.post('/ledgers/:ledgerId/rules/apply', { schema: { tags, summary: 'Apply the rules to existing transactions (all, or those matching query/from/to)', params: LedgerParams, body: Body(RunFields), response: { 200: Summary } } },
    async (req) => s.apply(requireActor(req), req.params.ledgerId, runInput(req.body)));
  app.post('/ledgers/:ledgerId/rules/dry-run', {
    schema: {
      tags, summary: 'What applying the rules would change, per transaction (nothing is written)', params: LedgerParams,
      body: Body({ ...RunFields, limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), cursor: Type.Optional(Type.String({ maxLength: 400 })) }),
      response: { 200: Type.Object({ summary: Summary, items: Type.Array(Report), next_cursor: Nullable(Type.String()) }) },
    },
  }, async (req) => s.dryRun(requireActor(req), req.params.ledgerId, { ...runInput(req.body), cursor: req.body.cursor, limit: req.body.limit }));
  app.get('/ledgers/:ledgerId/rules/:ruleId', { schema: { tags, summary: 'One rule', params: RuleParams, response: { 200: Rule } } },
    async (req) => s.get(requireActor(req), req.params.ledgerId, req.params.ruleId));
  app.patch('/ledgers/:ledgerId/rules/:ruleId', { schema: { tags, summary: 'Change a rule', params: RuleParams, body: Type.Partial(Body(RuleFields), { additionalProperties: false }), response: { 200: Rule } } },
    async (req) => s.update(requireActor(req), req.params.ledgerId, req.params.ruleId, req.body));
  app.delete('/ledgers/:ledgerId/rules/:ruleId', { schema: { tags, summary: 'Delete a rule', params: RuleParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await s.remove(requireActor(req), req.params.ledgerId, req.params.ruleId);
      return reply.code(204).send(null);
    });
};
