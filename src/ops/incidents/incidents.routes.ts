// Operator API for incidents (administrators only) and the Alertmanager webhook
// (its own bearer token, FINHUB_ALERTMANAGER_TOKEN).
import { Type, type TLiteral } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Container } from '../../app/container.ts';
import { AppError } from '../../shared/app-error.ts';
import { Body, Timestamp, Uuid } from '../../http/schemas.ts';
import { requestOpsActor } from './actor.ts';
import { receiveAlertmanager, tokenMatches, type AmPayload } from './alertmanager.ts';
import { COMPONENTS, POSTMORTEM_FIELDS, type IncidentStatus, type PostmortemField } from './model.ts';
import type { IncidentStats } from './incidents.stats.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const NullableText = Nullable(Type.String());
// Spelled out (not mapped from model.ts) so TypeBox infers the literal types; the test checks they agree.
export const Severity = Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3')]);
export const Status = Type.Union(['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved'].map((s) => Type.Literal(s)) as [TLiteral<IncidentStatus>, ...TLiteral<IncidentStatus>[]]);
export const Component = Type.Union([Type.Literal('api'), Type.Literal('database'), Type.Literal('jobs'), Type.Literal('imports'), Type.Literal('backups'), Type.Literal('auth')]);

const Incident = Type.Object({
  id: Uuid,
  number: Type.Integer(),
  ref: Type.String({ description: 'INC-<number>; accepted wherever an incident id is' }),
  title: Type.String(),
  public_title: NullableText,
  severity: Severity,
  status: Status,
  components: Type.Array(Type.String()),
  source: Type.Union([Type.Literal('manual'), Type.Literal('alertmanager'), Type.Literal('watchdog')]),
  fingerprint: NullableText,
  labels: Type.Record(Type.String(), Type.String()),
  summary: NullableText,
  impact: NullableText,
  root_cause: NullableText,
  trigger: NullableText,
  resolution: NullableText,
  detection: NullableText,
  action_items: NullableText,
  lessons_learned: NullableText,
  created_by: Type.String(),
  triggered_at: Timestamp,
  acknowledged_at: Nullable(Timestamp),
  resolved_at: Nullable(Timestamp),
  updated_at: Timestamp,
  response_target_seconds: Type.Integer({ description: 'time allowed to acknowledge at this severity' }),
  ack_due_at: Timestamp,
  ack_target_missed: Type.Boolean(),
  mtta_seconds: Nullable(Type.Integer()),
  mttr_seconds: Nullable(Type.Integer()),
  allowed_next: Type.Array(Status),
});
const IncidentDetail = Type.Intersect([
  Incident,
  Type.Object({
    timeline: Type.Array(Type.Object({ at: Timestamp, actor: Type.String(), kind: Type.String(), status: NullableText, message: Type.String() })),
  }),
]);

const FieldText = Type.Optional(Type.String({ maxLength: 20_000 }));
const Fields = {
  summary: FieldText,
  impact: FieldText,
  root_cause: FieldText,
  trigger: FieldText,
  resolution: FieldText,
  detection: FieldText,
  action_items: FieldText,
  lessons_learned: FieldText,
};
const pickFields = (b: Partial<Record<string, unknown>>) =>
  Object.fromEntries(POSTMORTEM_FIELDS.filter((f) => typeof b[f] === 'string').map((f) => [f, b[f] as string])) as Partial<Record<PostmortemField, string>>;

const Ref = Type.Object({ id: Type.String({ maxLength: 64, description: 'incident UUID, number or INC-<number>' }) });
const Note = Type.Optional(Type.String({ maxLength: 10_000 }));

const Durations = Type.Object({ count: Type.Integer(), mean_seconds: Nullable(Type.Integer()), median_seconds: Nullable(Type.Integer()), max_seconds: Nullable(Type.Integer()) });
const durations = (d: IncidentStats['mtta']) => ({ count: d.count, mean_seconds: d.meanSeconds, median_seconds: d.medianSeconds, max_seconds: d.maxSeconds });

const AmAlert = Type.Object(
  {
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: Type.Record(Type.String(), Type.String()),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.Optional(Type.String({ maxLength: 64 })),
    generatorURL: Type.Optional(Type.String()),
    fingerprint: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: true },
);
// Alertmanager sends more than finhub reads (receiver, groupKey, externalURL, ...): extra fields are allowed.
const AmPayloadSchema = Type.Object(
  {
    version: Type.String({ description: 'webhook payload version; finhub reads version 4' }),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    alerts: Type.Array(AmAlert, { maxItems: 1000 }),
  },
  { additionalProperties: true },
);

// `curl -X POST …/ack` without a body is a fine way to acknowledge.
const emptyBodyIsObject = async (req: FastifyRequest) => {
  req.body ??= {};
};

export const incidentsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const admin = { auth: 'admin' as const };
  const who = (req: Parameters<typeof requestOpsActor>[1]) => requestOpsActor(c.db, req);

  app.get('/ops/incidents', {
    config: admin,
    schema: {
      tags: ['ops'], summary: 'List incidents, newest first',
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('open'), Status], { description: 'open = every status but resolved' })),
        severity: Type.Optional(Severity),
        cursor: Type.Optional(Type.String({ maxLength: 400 })),
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(Incident), next_cursor: Nullable(Type.String()) }) },
    },
  }, async (req) => c.incidents.list(req.query));

  app.post('/ops/incidents', {
    config: admin,
    schema: {
      tags: ['ops'], summary: 'Open an incident',
      body: Body({
        title: Type.String({ minLength: 1, maxLength: 200 }),
        severity: Severity,
        components: Type.Optional(Type.Array(Component, { maxItems: COMPONENTS.length })),
        public_title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'title on the public status page (default: the title for manual incidents)' })),
        note: Note,
        ...Fields,
      }),
      response: { 201: IncidentDetail },
    },
  }, async (req, reply) => {
    const b = req.body;
    const i = await c.incidents.open(await who(req), { title: b.title, severity: b.severity, components: b.components, publicTitle: b.public_title, note: b.note, fields: pickFields(b) });
    return reply.code(201).send(i);
  });

  app.get('/ops/incidents/stats', {
    config: admin,
    schema: {
      tags: ['ops'], summary: 'Incident counts, MTTA and MTTR for incidents triggered in [from, to) (default: the last 30 days)',
      querystring: Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) }),
      response: {
        200: Type.Object({
          from: Timestamp, to: Timestamp, total: Type.Integer(), open: Type.Integer(), resolved: Type.Integer(), ack_target_missed: Type.Integer(),
          mtta: Durations, mttr: Durations,
          by_severity: Type.Record(Type.String(), Type.Object({ total: Type.Integer(), mtta: Durations, mttr: Durations })),
        }),
      },
    },
  }, async (req) => {
    const to = req.query.to ? new Date(req.query.to) : new Date();
    const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 30 * 86_400_000);
    if (!(from < to)) throw new AppError('VALIDATION_FAILED', 'from must be before to', { errors: [{ field: '/query/from', message: 'must be before to' }] });
    const s = await c.incidents.stats({ from, to });
    return {
      from: s.from, to: s.to, total: s.total, open: s.open, resolved: s.resolved, ack_target_missed: s.ackTargetMissed,
      mtta: durations(s.mtta), mttr: durations(s.mttr),
      by_severity: Object.fromEntries(Object.entries(s.bySeverity).map(([k, v]) => [k, { total: v.total, mtta: durations(v.mtta), mttr: durations(v.mttr) }])),
    };
  });

  app.get('/ops/incidents/:id', {
    config: admin,
    schema: { tags: ['ops'], summary: 'An incident with its timeline', params: Ref, response: { 200: IncidentDetail } },
  }, async (req) => c.incidents.get(req.params.id));

  app.patch('/ops/incidents/:id', {
    config: admin,
    schema: {
      tags: ['ops'], summary: 'Change status (lifecycle enforced: 409 otherwise), add a note, or fill in fields',
      params: Ref,
      body: Body({
        status: Type.Optional(Status),
        note: Note,
        title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        public_title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        severity: Type.Optional(Severity),
        components: Type.Optional(Type.Array(Component, { maxItems: COMPONENTS.length })),
        ...Fields,
      }),
      response: { 200: IncidentDetail },
    },
  }, async (req) => {
    const b = req.body;
    return c.incidents.update(await who(req), req.params.id, {
      status: b.status, note: b.note, title: b.title, publicTitle: b.public_title, severity: b.severity, components: b.components, fields: pickFields(b),
    });
  });

  app.post('/ops/incidents/:id/ack', {
    config: admin,
    preValidation: emptyBodyIsObject,
    schema: { tags: ['ops'], summary: 'Acknowledge a triggered incident', params: Ref, body: Body({ note: Note }), response: { 200: IncidentDetail } },
  }, async (req) => c.incidents.ack(await who(req), req.params.id, req.body.note));

  app.post('/ops/incidents/:id/resolve', {
    config: admin,
    preValidation: emptyBodyIsObject,
    schema: {
      tags: ['ops'], summary: 'Resolve an incident', params: Ref,
      body: Body({ note: Note, resolution: Type.Optional(Type.String({ maxLength: 20_000 })) }),
      response: { 200: IncidentDetail },
    },
  }, async (req) => c.incidents.resolve(await who(req), req.params.id, { note: req.body.note, resolution: req.body.resolution }));

  app.get('/ops/incidents/:id/postmortem', {
    config: admin,
    schema: { tags: ['ops'], summary: 'The post-mortem as Markdown', params: Ref, response: { 200: Type.String({ description: 'text/markdown' }) } },
  }, async (req, reply) => reply.type('text/markdown; charset=utf-8').send(await c.incidents.postmortem(req.params.id)));

  app.post('/ops/alertmanager', {
    // Not a user token: the auth hook lets it through as public and this route checks its own bearer.
    config: { auth: 'public' },
    onRequest: async (req) => {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!tokenMatches(m?.[1], c.config.alertmanagerToken)) {
        throw new AppError('UNAUTHENTICATED', c.config.alertmanagerToken ? 'send Authorization: Bearer <FINHUB_ALERTMANAGER_TOKEN>' : 'the Alertmanager webhook is disabled: FINHUB_ALERTMANAGER_TOKEN is not set');
      }
    },
    schema: {
      tags: ['ops'],
      summary: 'Alertmanager webhook (payload version 4): opens, updates and resolves incidents by alert fingerprint',
      security: [{ bearer: [] }],
      body: AmPayloadSchema,
      response: {
        200: Type.Object({
          received: Type.Integer(),
          results: Type.Array(Type.Object({ fingerprint: Type.String(), status: Type.String(), outcome: Type.String(), incident: Nullable(Type.String()) })),
        }),
      },
    },
  }, async (req) => {
    if (req.body.version !== '4') throw new AppError('VALIDATION_FAILED', `unsupported webhook payload version ${JSON.stringify(req.body.version)}; expected "4"`, { errors: [{ field: '/body/version', message: 'must be "4"' }] });
    const results = await receiveAlertmanager(c.incidents, req.body as AmPayload);
    req.log.info({ alerts: results.length, outcomes: results.map((r) => r.outcome) }, 'alertmanager webhook');
    return { received: results.length, results };
  });
};
