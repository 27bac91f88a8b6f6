// /api/v1/ledgers/{id}/budgets/{month} and /budget-categories (docs/budgets.md).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, ByIdParams, CurrencyCode, LedgerParams, MinorUnits, Uuid } from '../http/schemas.ts';

const Month = Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'calendar month YYYY-MM', example: '2026-11' });
const MonthParams = Type.Object({ ledgerId: Type.String({ maxLength: 64 }), month: Month });
const MonthCategoryParams = Type.Object({ ledgerId: Type.String({ maxLength: 64 }), month: Month, id: Type.String({ maxLength: 64 }) });
const Mode = Type.Union([Type.Literal('envelope'), Type.Literal('limit')]);

const Line = Type.Object({
  category_id: Uuid, name: Type.String(), group_id: Uuid, group_name: Type.String(), hidden: Type.Boolean(), mode: Mode,
  carried_over_minor: MinorUnits,
  budgeted_minor: Type.Integer({ description: 'assigned this month (limit mode: the limit)' }), budgeted: Type.String(),
  assigned_explicitly: Type.Boolean({ description: 'false when the amount is the standing limit or nothing was assigned' }),
  activity_minor: Type.Integer({ description: 'net of this month\'s counted rows (spending is negative)' }), activity: Type.String(),
  available_minor: Type.Integer({ description: 'carried over + budgeted + activity' }), available: Type.String(),
  status: Type.String({ enum: ['ok', 'overspent', 'within_limit', 'over_limit'] }),
});
const BudgetMonth = Type.Object({
  month: Month, currency: CurrencyCode,
  to_be_budgeted_minor: Type.Integer(), to_be_budgeted: Type.String(),
  from_last_month_minor: Type.Integer({ description: 'to be budgeted at the end of last month' }),
  returned_from_last_month_minor: Type.Integer({ description: 'last month\'s overspending (negative) and limit-mode leftovers, charged to this month' }),
  income_minor: Type.Integer({ description: 'income categories + uncategorized rows + opening balances entering this month' }), income: Type.String(),
  opening_balances_minor: Type.Integer(), uncategorized_minor: Type.Integer(),
  budgeted_minor: Type.Integer(), budgeted: Type.String(),
  activity_minor: Type.Integer(), activity: Type.String(),
  available_minor: Type.Integer(), available: Type.String(),
  categories: Type.Array(Line),
  income_categories: Type.Array(Type.Object({ category_id: Uuid, name: Type.String(), group_id: Uuid, group_name: Type.String(), activity_minor: Type.Integer(), activity: Type.String() })),
});
const Setting = Type.Object({ category_id: Uuid, name: Type.String(), mode: Mode, limit_minor: Type.Union([MinorUnits, Type.Null()]), limit_currency: Type.Union([CurrencyCode, Type.Null()]) });

export const budgetsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.budgets;
  app.get('/ledgers/:ledgerId/budgets', {
    schema: {
      tags: ['budgets'], summary: 'Budget vs actual for a range of months (at most 240)', params: LedgerParams,
      querystring: Type.Object({ from: Month, to: Month }),
      response: { 200: Type.Object({ items: Type.Array(BudgetMonth) }) },
    },
  }, async (req) => ({ items: await s.range(requireActor(req), req.params.ledgerId, req.query.from, req.query.to) }));
  app.get('/ledgers/:ledgerId/budgets/:month', {
    schema: { tags: ['budgets'], summary: 'One month of the budget: per category carried over, budgeted, activity, available; and to be budgeted', params: MonthParams, response: { 200: BudgetMonth } },
  }, async (req) => s.month(requireActor(req), req.params.ledgerId, req.params.month));
  app.put('/ledgers/:ledgerId/budgets/:month', {
    schema: {
      tags: ['budgets'], summary: 'Assign amounts to several categories for a month (0 clears an assignment)', params: MonthParams,
      body: Body({ categories: Type.Array(Type.Object({ category_id: Type.String({ maxLength: 64 }), assigned_minor: MinorUnits }, { additionalProperties: false }), { maxItems: 1000 }) }),
      response: { 200: BudgetMonth },
    },
  }, async (req) => s.setMonth(requireActor(req), req.params.ledgerId, req.params.month, req.body.categories.map((x) => ({ categoryId: x.category_id, assignedMinor: x.assigned_minor }))));
  app.put('/ledgers/:ledgerId/budgets/:month/categories/:id', {
    schema: { tags: ['budgets'], summary: 'Assign an amount to one category for a month', params: MonthCategoryParams, body: Body({ assigned_minor: MinorUnits }), response: { 200: BudgetMonth } },
  }, async (req) => s.assign(requireActor(req), req.params.ledgerId, req.params.month, req.params.id, req.body.assigned_minor));

  app.get('/ledgers/:ledgerId/budget-categories', {
    schema: { tags: ['budgets'], summary: 'Budgeting mode of every expense category', params: LedgerParams, response: { 200: Type.Object({ currency: CurrencyCode, items: Type.Array(Type.Intersect([Setting, Type.Object({ group_id: Uuid, group_name: Type.String() })])) }) } },
  }, async (req) => s.settings(requireActor(req), req.params.ledgerId));
  app.put('/ledgers/:ledgerId/budget-categories/:id', {
    schema: {
      tags: ['budgets'], summary: 'Envelope (rollover) or spending-limit mode for a category; limit_minor is the standing monthly limit', params: ByIdParams,
      body: Body({ mode: Mode, limit_minor: Type.Optional(Type.Union([MinorUnits, Type.Null()])) }),
      response: { 200: Setting },
    },
  }, async (req) => s.setCategoryMode(requireActor(req), req.params.ledgerId, req.params.id, { mode: req.body.mode, limitMinor: req.body.limit_minor }));
};
