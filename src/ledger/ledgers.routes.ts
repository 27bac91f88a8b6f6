import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, CurrencyCode, LedgerParams, NoContent, Page, PageQuery, Timestamp, Uuid } from '../http/schemas.ts';

const Role = Type.Union([Type.Literal('owner'), Type.Literal('editor'), Type.Literal('viewer')]);
const Ledger = Type.Object({ id: Uuid, name: Type.String(), base_currency: CurrencyCode, role: Role, created_at: Timestamp, updated_at: Timestamp });
const Member = Type.Object({ user_id: Uuid, email: Type.String(), display_name: Type.String(), role: Role, created_at: Timestamp });

export const ledgersRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.ledgers;
  app.get('/ledgers', { schema: { tags: ['ledgers'], summary: 'Ledgers you belong to', querystring: Type.Object(PageQuery), response: { 200: Page(Ledger) } } },
    async (req) => s.list(requireActor(req), req.query));
  app.post('/ledgers', { schema: { tags: ['ledgers'], summary: 'Create a ledger (you become its owner)', body: Body({ name: Type.String({ minLength: 1, maxLength: 200 }), base_currency: CurrencyCode }), response: { 201: Ledger } } },
    async (req, reply) => reply.code(201).send(await s.create(requireActor(req), { name: req.body.name, baseCurrency: req.body.base_currency })));
  app.get('/ledgers/:ledgerId', { schema: { tags: ['ledgers'], summary: 'One ledger', params: LedgerParams, response: { 200: Ledger } } },
    async (req) => s.get(requireActor(req), req.params.ledgerId));
  app.patch('/ledgers/:ledgerId', { schema: { tags: ['ledgers'], summary: 'Rename or change base currency (owner)', params: LedgerParams, body: Body({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), base_currency: Type.Optional(CurrencyCode) }), response: { 200: Ledger } } },
    async (req) => s.update(requireActor(req), req.params.ledgerId, { name: req.body.name, baseCurrency: req.body.base_currency }));
  app.delete('/ledgers/:ledgerId', { schema: { tags: ['ledgers'], summary: 'Delete a ledger and everything in it (owner)', params: LedgerParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await s.remove(requireActor(req), req.params.ledgerId);
      return reply.code(204).send(null);
    });
  app.get('/ledgers/:ledgerId/members', { schema: { tags: ['ledgers'], summary: 'Members and their roles', params: LedgerParams, response: { 200: Type.Object({ items: Type.Array(Member) }) } } },
    async (req) => ({ items: await s.members(requireActor(req), req.params.ledgerId) }));
  app.put('/ledgers/:ledgerId/members', { schema: { tags: ['ledgers'], summary: 'Add a member or change a role (owner)', params: LedgerParams, body: Body({ email: Type.Optional(Type.String({ maxLength: 320 })), user_id: Type.Optional(Type.String({ maxLength: 64 })), role: Role }), response: { 200: Member } } },
    async (req) => s.setMember(requireActor(req), req.params.ledgerId, { email: req.body.email, userId: req.body.user_id, role: req.body.role }));
  app.delete('/ledgers/:ledgerId/members/:userId', { schema: { tags: ['ledgers'], summary: 'Remove a member (owner) or leave', params: Type.Object({ ledgerId: Type.String({ maxLength: 64 }), userId: Type.String({ maxLength: 64 }) }), response: { 204: NoContent } } },
    async (req, reply) => {
      await s.removeMember(requireActor(req), req.params.ledgerId, req.params.userId);
      return reply.code(204).send(null);
    });
};
