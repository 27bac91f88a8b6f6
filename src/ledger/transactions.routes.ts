import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, ByIdParams, CurrencyCode, DateOnly, LedgerParams, MinorUnits, NoContent, Page, PageQuery, Timestamp, Uuid } from '../http/schemas.ts';

const Cleared = Type.Union([Type.Literal('uncleared'), Type.Literal('cleared'), Type.Literal('reconciled')]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Split = Type.Object({ id: Uuid, amount_minor: MinorUnits, amount: Type.String(), category_id: Nullable(Uuid), category_name: Nullable(Type.String()), notes: Nullable(Type.String()) });
const Transaction = Type.Object({
  id: Uuid, ledger_id: Uuid, account_id: Uuid, posted_on: DateOnly, amount_minor: MinorUnits, amount: Type.String(), currency: CurrencyCode,
  payee_id: Nullable(Uuid), payee_name: Nullable(Type.String()), category_id: Nullable(Uuid), category_name: Nullable(Type.String()),
  notes: Nullable(Type.String()), tags: Type.Array(Type.String()), cleared_state: Cleared, imported_id: Nullable(Type.String()), import_batch_id: Nullable(Uuid),
  parent_id: Nullable(Uuid), is_split: Type.Boolean(), splits: Type.Array(Split),
  transfer: Nullable(Type.Object({ peer_id: Uuid, account_id: Uuid, account_name: Type.String(), amount_minor: MinorUnits, currency: CurrencyCode })),
  running_balance_minor: Type.Optional(MinorUnits),
  created_at: Timestamp, updated_at: Timestamp,
});
const SplitIn = Type.Object({ amount_minor: MinorUnits, category_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))), notes: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))) }, { additionalProperties: false });
const Fields = {
  account_id: Type.String({ maxLength: 64 }),
  posted_on: DateOnly,
  amount_minor: MinorUnits,
  payee_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  payee_name: Type.Optional(Type.String({ maxLength: 500, description: 'found or created by name when payee_id is not given' })),
  category_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
  cleared_state: Type.Optional(Cleared),
  imported_id: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  splits: Type.Optional(Nullable(Type.Array(SplitIn, { maxItems: 100, description: 'parts whose amounts sum exactly to amount_minor' }))),
  transfer_account_id: Type.Optional(Nullable(Type.String({ maxLength: 64, description: 'make this a transfer to/from that account; null unlinks (deletes the other side)' }))),
  transfer_amount_minor: Type.Optional(Type.Integer({ description: 'amount on the other side; required when the currencies differ' })),
};
const ListQuery = Type.Object({
  ...PageQuery,
  account_id: Type.Optional(Type.String({ maxLength: 64 })),
  category_id: Type.Optional(Type.String({ maxLength: 64, description: 'a category id, or "uncategorized"' })),
  payee_id: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(DateOnly),
  to: Type.Optional(DateOnly),
  amount_min: Type.Optional(Type.Integer()),
  amount_max: Type.Optional(Type.Integer()),
  cleared: Type.Optional(Cleared),
  q: Type.Optional(Type.String({ maxLength: 4000, description: 'a search query (docs/query-language.md), e.g. `payee:amazon amount:>50 date:last-month`; bare words match payee name and notes. A bad query is a 400 QUERY_INVALID with the position.' })),
});

type In = { [K in keyof typeof Fields]?: unknown };
const toInput = (b: In) => ({
  accountId: b.account_id as string | undefined,
  postedOn: b.posted_on as string | undefined,
  amountMinor: b.amount_minor as number | undefined,
  payeeId: b.payee_id as string | null | undefined,
  payeeName: b.payee_name as string | undefined,
  categoryId: b.category_id as string | null | undefined,
  notes: b.notes as string | null | undefined,
  tags: b.tags as string[] | undefined,
  clearedState: b.cleared_state as 'uncleared' | 'cleared' | 'reconciled' | undefined,
  importedId: b.imported_id as string | null | undefined,
  splits: (b.splits as { amount_minor: number; category_id?: string | null; notes?: string | null }[] | null | undefined)?.map((s) => ({ amountMinor: s.amount_minor, categoryId: s.category_id, notes: s.notes })) ?? (b.splits === null ? null : undefined),
  transferAccountId: b.transfer_account_id as string | null | undefined,
  transferAmountMinor: b.transfer_amount_minor as number | undefined,
});

export const transactionsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.transactions;
  app.get('/ledgers/:ledgerId/transactions', {
    schema: { tags: ['transactions'], summary: 'List and search transactions, newest first (keyset pages)', params: LedgerParams, querystring: ListQuery, response: { 200: Page(Transaction) } },
  }, async (req) => {
    const q = req.query;
    return s.list(requireActor(req), req.params.ledgerId, {
      cursor: q.cursor, limit: q.limit, accountId: q.account_id, categoryId: q.category_id, payeeId: q.payee_id, from: q.from, to: q.to,
      amountMin: q.amount_min, amountMax: q.amount_max, cleared: q.cleared, query: q.q,
    });
  });
  app.post('/ledgers/:ledgerId/transactions', {
    schema: { tags: ['transactions'], summary: 'Record a transaction, a split transaction or a transfer', params: LedgerParams, body: Body(Fields), response: { 201: Transaction } },
  }, async (req, reply) => reply.code(201).send(await s.create(requireActor(req), req.params.ledgerId, toInput(req.body))));
  app.get('/ledgers/:ledgerId/transactions/:id', { schema: { tags: ['transactions'], summary: 'One transaction with its splits and transfer side', params: ByIdParams, response: { 200: Transaction } } },
    async (req) => s.get(requireActor(req), req.params.ledgerId, req.params.id));
  app.patch('/ledgers/:ledgerId/transactions/:id', {
    schema: { tags: ['transactions'], summary: 'Change a transaction; the other side of a transfer follows', params: ByIdParams, body: Type.Partial(Body(Fields), { additionalProperties: false }), response: { 200: Transaction } },
  }, async (req) => s.update(requireActor(req), req.params.ledgerId, req.params.id, toInput(req.body)));
  app.delete('/ledgers/:ledgerId/transactions/:id', { schema: { tags: ['transactions'], summary: "Delete a transaction (a transfer's other side and a split's parts go with it)", params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await s.remove(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });
};
