// Operator API for maintenance mode (administrators only).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../../app/container.ts';
import { Body, Timestamp } from '../../http/schemas.ts';
import { requestOpsActor } from '../incidents/actor.ts';
import { parseUntil, retryAfterSeconds, type MaintenanceStatus } from './maintenance.service.ts';

const State = Type.Object({
  on: Type.Boolean(),
  message: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  since: Type.Union([Timestamp, Type.Null()]),
  until: Type.Union([Timestamp, Type.Null()], { description: 'switches itself off at this time; null = until switched off' }),
  by: Type.Union([Type.String(), Type.Null()]),
  retry_after_seconds: Type.Union([Type.Integer(), Type.Null()], { description: 'what blocked writes answer in Retry-After' }),
});

export function stateOf(s: MaintenanceStatus, now = new Date()) {
  return {
    on: s.on,
    message: s.message ?? null,
    reason: s.reason ?? null,
    since: s.since ?? null,
    until: s.until ?? null,
    by: s.by ?? null,
    retry_after_seconds: s.on ? retryAfterSeconds(s, now) : null,
  };
}

export const maintenanceRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  app.get('/ops/maintenance', {
    config: { auth: 'admin' },
    schema: { tags: ['ops'], summary: 'Maintenance mode: on or off, message, end time', response: { 200: State } },
  }, async () => stateOf(await c.maintenance.statusFresh()));

  app.put('/ops/maintenance', {
    config: { auth: 'admin' },
    schema: {
      tags: ['ops'],
      summary: 'Switch maintenance mode on (or change its message or end time); writes then get 503 with Retry-After',
      body: Body({
        message: Type.String({ minLength: 1, maxLength: 500, description: 'shown to users and on the status page' }),
        until: Type.Optional(Type.String({ maxLength: 64, description: 'a duration from now (30m, 2h, 1d) or an ISO 8601 time with a zone' })),
        reason: Type.Optional(Type.String({ maxLength: 2000, description: 'internal; recorded in the audit log' })),
      }),
      response: { 200: State },
    },
  }, async (req) => {
    const until = req.body.until === undefined ? undefined : parseUntil(req.body.until, new Date());
    return stateOf(await c.maintenance.set(await requestOpsActor(c.db, req), { message: req.body.message, until, reason: req.body.reason }));
  });

  app.delete('/ops/maintenance', {
    config: { auth: 'admin' },
    schema: {
      tags: ['ops'],
      summary: 'Switch maintenance mode off',
      querystring: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }),
      response: { 200: Type.Object({ was_on: Type.Boolean(), state: State }) },
    },
  }, async (req) => {
    const r = await c.maintenance.clear(await requestOpsActor(c.db, req), { reason: req.query.reason });
    return { was_on: r.wasOn, state: stateOf(r.status) };
  });
};
