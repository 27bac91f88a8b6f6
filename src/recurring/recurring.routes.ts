// Recurring bills over HTTP: detection and acceptance under /recurring, the
// schedules under /schedules. Registered by src/reports/reports.routes.ts.
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, ByIdParams, CurrencyCode, DateOnly, LedgerParams, MinorUnits, NoContent, Timestamp, Uuid } from '../http/schemas.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Cadence = Type.Union([Type.Literal('weekly'), Type.Literal('biweekly'), Type.Literal('monthly'), Type.Literal('quarterly'), Type.Literal('yearly')]);
const Tolerance = Type.Integer({ minimum: 0, maximum: 100_000, description: 'allowed deviation of the amount in basis points of the expected amount (1000 = 10%)' });

const Schedule = Type.Object({
  id: Uuid, ledger_id: Uuid, name: Type.String(), payee_id: Uuid, payee_name: Type.String(), account_id: Nullable(Uuid), account_name: Nullable(Type.String()),
  category_id: Nullable(Uuid), category_name: Nullable(Type.String()), currency: CurrencyCode,
  expected_amount_minor: MinorUnits, tolerance_bp: Type.Integer(), cadence: Cadence, anchor_day: Type.Integer(),
  next_expected_on: DateOnly, last_seen_on: Nullable(DateOnly), active: Type.Boolean(),
  late: Type.Boolean({ description: 'the payment expected on next_expected_on is overdue' }),
  created_at: Timestamp, updated_at: Timestamp,
});
const Proposal = Type.Object({
  key: Type.String({ description: 'pass to POST …/recurring/accept' }), name: Type.String(), payee_id: Uuid, account_id: Uuid, account_name: Nullable(Type.String()),
  category_id: Nullable(Uuid), category_name: Nullable(Type.String()), currency: CurrencyCode, cadence: Cadence, expected_amount_minor: MinorUnits,
  tolerance_bp: Type.Integer(), anchor_day: Type.Integer(), last_seen_on: DateOnly, next_expected_on: DateOnly, occurrences: Type.Integer(),
  confidence_bp: Type.Integer({ description: 'share of the gaps between payments that fit the cadence, in basis points' }), transaction_ids: Type.Array(Uuid),
});
const Alert = Type.Object({
  id: Uuid, ledger_id: Uuid, schedule_id: Uuid, schedule_name: Type.String(), kind: Type.Union([Type.Literal('late'), Type.Literal('amount')]),
  expected_on: DateOnly, expected_amount_minor: MinorUnits, actual_amount_minor: Nullable(MinorUnits), transaction_id: Nullable(Uuid),
  message: Type.String(), created_at: Timestamp, dismissed_at: Nullable(Timestamp),
});
const Upcoming = Type.Object({
  today: DateOnly, until: DateOnly,
  items: Type.Array(Type.Object({
    schedule_id: Uuid, name: Type.String(), payee_name: Type.String(), account_name: Nullable(Type.String()), category_name: Nullable(Type.String()), currency: CurrencyCode,
    due_on: DateOnly, expected_amount_minor: MinorUnits,
    status: Type.Union([Type.Literal('late'), Type.Literal('due'), Type.Literal('upcoming')], { description: 'late: its window has closed without a payment; due: inside its window now' }),
  })),
});
const Fields = {
  name: Type.Optional(Type.String({ maxLength: 200 })),
  payee_id: Type.Optional(Type.String({ maxLength: 64 })),
  payee_name: Type.Optional(Type.String({ maxLength: 500, description: 'found or created by name when payee_id is not given' })),
  account_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  category_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  expected_amount_minor: Type.Optional(MinorUnits),
  tolerance_bp: Type.Optional(Tolerance),
  cadence: Type.Optional(Cadence),
  next_expected_on: Type.Optional(DateOnly),
  anchor_day: Type.Optional(Type.Integer({ minimum: 1, maximum: 31, description: 'day of month for monthly, quarterly and yearly bills (default: the day of next_expected_on)' })),
  active: Type.Optional(Type.Boolean()),
};
type In = { [K in keyof typeof Fields]?: unknown };
const toInput = (b: In) => ({
  name: b.name as string | undefined, payeeId: b.payee_id as string | undefined, payeeName: b.payee_name as string | undefined,
  accountId: b.account_id as string | null | undefined, categoryId: b.category_id as string | null | undefined,
  expectedAmountMinor: b.expected_amount_minor as number | undefined, toleranceBp: b.tolerance_bp as number | undefined, cadence: b.cadence as string | undefined,
  nextExpectedOn: b.next_expected_on as string | undefined, anchorDay: b.anchor_day as number | undefined, active: b.active as boolean | undefined,
});
const Items = <T extends TSchema>(t: T) => Type.Object({ items: Type.Array(t) });

export const recurringRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.recurring;
  const tags = ['recurring'];
  app.get('/ledgers/:ledgerId/recurring/detect', {
    schema: {
      tags, summary: 'Recurring series found in the history, proposed as schedules', params: LedgerParams,
      querystring: Type.Object({ months: Type.Optional(Type.Integer({ minimum: 2, maximum: 120, default: 25, description: 'months of history to read' })), tolerance_bp: Type.Optional(Type.Integer({ minimum: 0, maximum: 5000, default: 1000 })) }),
      response: { 200: Items(Proposal) },
    },
  }, async (req) => s.detect(requireActor(req), req.params.ledgerId, { months: req.query.months, toleranceBp: req.query.tolerance_bp }));
  app.post('/ledgers/:ledgerId/recurring/accept', {
    schema: { tags, summary: 'Turn detected proposals into schedules', params: LedgerParams, body: Body({ keys: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 200 }) }), response: { 201: Items(Schedule) } },
  }, async (req, reply) => reply.code(201).send(await s.accept(requireActor(req), req.params.ledgerId, req.body.keys)));
  app.get('/ledgers/:ledgerId/recurring/upcoming', {
    schema: { tags, summary: 'Bills expected from the overdue ones up to N days ahead', params: LedgerParams, querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 0, maximum: 366, default: 30 })) }), response: { 200: Upcoming } },
  }, async (req) => s.upcoming(requireActor(req), req.params.ledgerId, { days: req.query.days }));
  app.get('/ledgers/:ledgerId/recurring/alerts', {
    schema: { tags, summary: 'Late and larger-than-usual bills found by the daily evaluation', params: LedgerParams, querystring: Type.Object({ include_dismissed: Type.Optional(Type.Boolean()) }), response: { 200: Items(Alert) } },
  }, async (req) => s.alerts(requireActor(req), req.params.ledgerId, { includeDismissed: req.query.include_dismissed }));
  app.post('/ledgers/:ledgerId/recurring/alerts/:id/dismiss', {
    schema: { tags, summary: 'Dismiss an alert', params: ByIdParams, response: { 200: Alert } },
  }, async (req) => s.dismissAlert(requireActor(req), req.params.ledgerId, req.params.id));
  app.post('/ledgers/:ledgerId/recurring/evaluate', {
    schema: { tags, summary: 'Run the daily bill evaluation for this ledger now', params: LedgerParams, response: { 200: Type.Object({ created: Type.Array(Alert) }) } },
  }, async (req) => s.evaluate(requireActor(req), req.params.ledgerId));

  app.get('/ledgers/:ledgerId/schedules', {
    schema: { tags, summary: 'Recurring bill schedules', params: LedgerParams, querystring: Type.Object({ include_inactive: Type.Optional(Type.Boolean()) }), response: { 200: Items(Schedule) } },
  }, async (req) => s.list(requireActor(req), req.params.ledgerId, { includeInactive: req.query.include_inactive }));
  app.post('/ledgers/:ledgerId/schedules', {
    schema: { tags, summary: 'Create a schedule by hand', params: LedgerParams, body: Body(Fields), response: { 201: Schedule } },
  }, async (req, reply) => reply.code(201).send(await s.create(requireActor(req), req.params.ledgerId, toInput(req.body))));
  app.get('/ledgers/:ledgerId/schedules/:id', { schema: { tags, summary: 'One schedule', params: ByIdParams, response: { 200: Schedule } } },
    async (req) => s.get(requireActor(req), req.params.ledgerId, req.params.id));
  app.patch('/ledgers/:ledgerId/schedules/:id', {
    schema: { tags, summary: 'Change a schedule', params: ByIdParams, body: Body(Fields), response: { 200: Schedule } },
  }, async (req) => s.update(requireActor(req), req.params.ledgerId, req.params.id, toInput(req.body)));
  app.delete('/ledgers/:ledgerId/schedules/:id', { schema: { tags, summary: 'Delete a schedule and its alerts', params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await s.remove(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });
};
