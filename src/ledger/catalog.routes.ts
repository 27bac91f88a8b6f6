// Accounts, categories and payees: the small reference lists of a ledger.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { ACCOUNT_TYPES, type AccountType as AccountTypeName } from '../db/schema.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, ByIdParams, CurrencyCode, DateOnly, LedgerParams, MinorUnits, NoContent, Page, PageQuery, Timestamp, Uuid } from '../http/schemas.ts';

const AccountType = Type.Unsafe<AccountTypeName>(Type.String({ enum: [...ACCOUNT_TYPES] }));
const Account = Type.Object({
  id: Uuid, ledger_id: Uuid, name: Type.String(), type: AccountType, currency: CurrencyCode,
  opening_balance_minor: MinorUnits, opened_on: Type.Union([DateOnly, Type.Null()]), closed: Type.Boolean(),
  balance_minor: MinorUnits, balance: Type.String({ description: 'decimal text in the account currency' }), cleared_balance_minor: MinorUnits,
  created_at: Timestamp, updated_at: Timestamp,
});
const AccountFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  type: AccountType,
  currency: CurrencyCode,
  opening_balance_minor: Type.Optional(MinorUnits),
  opened_on: Type.Optional(Type.Union([DateOnly, Type.Null()])),
  closed: Type.Optional(Type.Boolean()),
};
const Category = Type.Object({ id: Uuid, ledger_id: Uuid, group_id: Uuid, name: Type.String(), hidden: Type.Boolean(), sort_order: Type.Integer(), created_at: Timestamp });
const Group = Type.Object({ id: Uuid, ledger_id: Uuid, name: Type.String(), is_income: Type.Boolean(), hidden: Type.Boolean(), sort_order: Type.Integer(), created_at: Timestamp });
const SortOrder = Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 });
const Payee = Type.Object({ id: Uuid, ledger_id: Uuid, name: Type.String(), created_at: Timestamp });
const Balance = Type.Object({ currency: CurrencyCode, balance_minor: MinorUnits, balance: Type.String() });

export const catalogRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const acc = c.accounts;
  app.get('/ledgers/:ledgerId/accounts', { schema: { tags: ['accounts'], summary: 'Accounts with balances', params: LedgerParams, querystring: Type.Object({ ...PageQuery, include_closed: Type.Boolean({ default: false }) }), response: { 200: Page(Account) } } },
    async (req) => acc.list(requireActor(req), req.params.ledgerId, { ...req.query, includeClosed: req.query.include_closed }));
  app.post('/ledgers/:ledgerId/accounts', { schema: { tags: ['accounts'], summary: 'Open an account', params: LedgerParams, body: Body(AccountFields), response: { 201: Account } } },
    async (req, reply) => reply.code(201).send(await acc.create(requireActor(req), req.params.ledgerId, { ...req.body, openingBalanceMinor: req.body.opening_balance_minor, openedOn: req.body.opened_on })));
  app.get('/ledgers/:ledgerId/accounts/:id', { schema: { tags: ['accounts'], summary: 'One account', params: ByIdParams, response: { 200: Account } } },
    async (req) => acc.get(requireActor(req), req.params.ledgerId, req.params.id));
  app.patch('/ledgers/:ledgerId/accounts/:id', { schema: { tags: ['accounts'], summary: 'Change an account (close it with closed: true)', params: ByIdParams, body: Body({ name: Type.Optional(AccountFields.name), type: Type.Optional(AccountType), currency: Type.Optional(CurrencyCode), opening_balance_minor: Type.Optional(MinorUnits), opened_on: Type.Optional(Type.Union([DateOnly, Type.Null()])), closed: Type.Optional(Type.Boolean()) }), response: { 200: Account } } },
    async (req) => acc.update(requireActor(req), req.params.ledgerId, req.params.id, { ...req.body, openingBalanceMinor: req.body.opening_balance_minor, openedOn: req.body.opened_on }));
  app.delete('/ledgers/:ledgerId/accounts/:id', { schema: { tags: ['accounts'], summary: 'Delete an account and its transactions', params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await acc.remove(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });
  app.get('/ledgers/:ledgerId/balances', { schema: { tags: ['accounts'], summary: 'Balance of every account and totals per currency', params: LedgerParams, response: { 200: Type.Object({ accounts: Type.Array(Type.Object({ id: Uuid, name: Type.String(), type: AccountType, currency: CurrencyCode, closed: Type.Boolean(), balance_minor: MinorUnits, balance: Type.String(), cleared_balance_minor: MinorUnits })), totals: Type.Array(Balance) }) } } },
    async (req) => acc.balances(requireActor(req), req.params.ledgerId));

  const cat = c.categories;
  app.get('/ledgers/:ledgerId/categories', { schema: { tags: ['categories'], summary: 'Category groups with their categories', params: LedgerParams, response: { 200: Type.Object({ items: Type.Array(Type.Intersect([Group, Type.Object({ categories: Type.Array(Category) })])) }) } } },
    async (req) => ({ items: await cat.tree(requireActor(req), req.params.ledgerId) }));
  app.post('/ledgers/:ledgerId/category-groups', { schema: { tags: ['categories'], summary: 'Create a category group', params: LedgerParams, body: Body({ name: Type.String({ minLength: 1, maxLength: 200 }), is_income: Type.Optional(Type.Boolean()), hidden: Type.Optional(Type.Boolean()), sort_order: Type.Optional(SortOrder) }), response: { 201: Group } } },
    async (req, reply) => reply.code(201).send(await cat.createGroup(requireActor(req), req.params.ledgerId, { name: req.body.name, isIncome: req.body.is_income, hidden: req.body.hidden, sortOrder: req.body.sort_order })));
  app.patch('/ledgers/:ledgerId/category-groups/:id', { schema: { tags: ['categories'], summary: 'Change a category group', params: ByIdParams, body: Body({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), is_income: Type.Optional(Type.Boolean()), hidden: Type.Optional(Type.Boolean()), sort_order: Type.Optional(SortOrder) }), response: { 200: Group } } },
    async (req) => cat.updateGroup(requireActor(req), req.params.ledgerId, req.params.id, { name: req.body.name, isIncome: req.body.is_income, hidden: req.body.hidden, sortOrder: req.body.sort_order }));
  app.delete('/ledgers/:ledgerId/category-groups/:id', { schema: { tags: ['categories'], summary: 'Delete a group and its categories (their transactions become uncategorized)', params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await cat.removeGroup(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });
  app.post('/ledgers/:ledgerId/categories', { schema: { tags: ['categories'], summary: 'Create a category', params: LedgerParams, body: Body({ name: Type.String({ minLength: 1, maxLength: 200 }), group_id: Type.String({ maxLength: 64 }), hidden: Type.Optional(Type.Boolean()), sort_order: Type.Optional(SortOrder) }), response: { 201: Category } } },
    async (req, reply) => reply.code(201).send(await cat.createCategory(requireActor(req), req.params.ledgerId, { name: req.body.name, groupId: req.body.group_id, hidden: req.body.hidden, sortOrder: req.body.sort_order })));
  app.patch('/ledgers/:ledgerId/categories/:id', { schema: { tags: ['categories'], summary: 'Rename, move or hide a category', params: ByIdParams, body: Body({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), group_id: Type.Optional(Type.String({ maxLength: 64 })), hidden: Type.Optional(Type.Boolean()), sort_order: Type.Optional(SortOrder) }), response: { 200: Category } } },
    async (req) => cat.updateCategory(requireActor(req), req.params.ledgerId, req.params.id, { name: req.body.name, groupId: req.body.group_id, hidden: req.body.hidden, sortOrder: req.body.sort_order }));
  app.delete('/ledgers/:ledgerId/categories/:id', { schema: { tags: ['categories'], summary: 'Delete a category (its transactions become uncategorized)', params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await cat.removeCategory(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });

  const pay = c.payees;
  app.get('/ledgers/:ledgerId/payees', { schema: { tags: ['payees'], summary: 'Payees, optionally filtered by a name fragment', params: LedgerParams, querystring: Type.Object({ ...PageQuery, q: Type.Optional(Type.String({ maxLength: 200 })) }), response: { 200: Page(Payee) } } },
    async (req) => pay.list(requireActor(req), req.params.ledgerId, req.query));
  app.post('/ledgers/:ledgerId/payees', { schema: { tags: ['payees'], summary: 'Create a payee', params: LedgerParams, body: Body({ name: Type.String({ minLength: 1, maxLength: 500 }) }), response: { 201: Payee } } },
    async (req, reply) => reply.code(201).send(await pay.create(requireActor(req), req.params.ledgerId, req.body)));
  app.get('/ledgers/:ledgerId/payees/:id', { schema: { tags: ['payees'], summary: 'One payee', params: ByIdParams, response: { 200: Payee } } },
    async (req) => pay.get(requireActor(req), req.params.ledgerId, req.params.id));
  app.patch('/ledgers/:ledgerId/payees/:id', { schema: { tags: ['payees'], summary: 'Rename a payee', params: ByIdParams, body: Body({ name: Type.String({ minLength: 1, maxLength: 500 }) }), response: { 200: Payee } } },
    async (req) => pay.rename(requireActor(req), req.params.ledgerId, req.params.id, req.body));
  app.delete('/ledgers/:ledgerId/payees/:id', { schema: { tags: ['payees'], summary: 'Delete a payee (its transactions keep no payee)', params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await pay.remove(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });
};
