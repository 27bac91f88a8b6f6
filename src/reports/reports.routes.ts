// /api/v1 routes of issue 6, part "reports" (registered in src/http/app.ts):
// the ledger reports here, the recurring bills in src/recurring/.
// Every report answers JSON, or CSV for ?format=csv or Accept: text/csv.
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { CurrencyCode, DateOnly, LedgerParams, Uuid } from '../http/schemas.ts';
import { recurringRoutes } from '../recurring/recurring.routes.ts';
import { balancesCsv, budgetCsv, cashflowCsv, netWorthCsv, payeesCsv, spendingCsv, trendCsv } from './csv.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Amount = Type.Integer({ description: 'minor units of the report currency; money out is negative' });
const Kind = Type.Union([Type.Literal('expense'), Type.Literal('income'), Type.Literal('all')], { description: 'expense (default): non-income categories and uncategorized; income: categories in income groups; all' });

const Query = {
  from: Type.Optional(DateOnly),
  to: Type.Optional(DateOnly),
  q: Type.Optional(Type.String({ maxLength: 4000, description: 'a query (docs/query-language.md) selecting the transactions the report counts' })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'report currency (default: the ledger base currency)' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: the same report as CSV (also chosen by Accept: text/csv)' })),
};

const Header = {
  ledger_id: Uuid,
  currency: CurrencyCode,
  from: DateOnly,
  to: DateOnly,
  months: Type.Array(Type.String({ description: 'YYYY-MM' })),
  query: Nullable(Type.String()),
  source: Type.Union([Type.Literal('rollups'), Type.Literal('rows')], { description: 'rollups: whole months read from the monthly rollups; rows: the query needed a scan of the transactions' }),
};

const Spending = Type.Object({
  ...Header,
  kind: Kind,
  categories: Type.Array(Type.Object({ category_id: Nullable(Uuid), name: Nullable(Type.String()), group_id: Nullable(Uuid), group_name: Nullable(Type.String()), is_income: Type.Boolean(), amounts_minor: Type.Array(Amount), total_minor: Amount })),
  totals_minor: Type.Array(Amount),
  total_minor: Amount,
});
const Flow = { income_minor: Amount, expense_minor: Amount, net_minor: Amount };
const Cashflow = Type.Object({ ...Header, rows: Type.Array(Type.Object({ month: Type.String(), ...Flow })), total: Type.Object(Flow) });
const PayeeLine = { net_minor: Amount, inflow_minor: Amount, outflow_minor: Amount, count: Type.Integer() };
const Payees = Type.Object({
  ...Header,
  kind: Kind,
  payees: Type.Array(Type.Object({ payee_id: Nullable(Uuid), name: Nullable(Type.String()), ...PayeeLine })),
  others: Type.Object({ payees: Type.Integer(), ...PayeeLine }),
  total: Type.Object({ payees: Type.Integer(), ...PayeeLine }),
});
const Trend = Type.Object({
  ...Header,
  by: Type.Union([Type.Literal('category'), Type.Literal('group')]),
  series: Type.Array(Type.Object({
    id: Nullable(Uuid), name: Type.String(), amounts_minor: Type.Array(Amount), changes_minor: Type.Array(Nullable(Amount)),
    total_minor: Amount, average_minor: Amount, min_minor: Amount, max_minor: Amount,
  })),
});
const NetWorth = Type.Object({ ...Header, points: Type.Array(Type.Object({ date: DateOnly, assets_minor: Amount, liabilities_minor: Amount, net_worth_minor: Amount })) });
const Balances = Type.Object({
  ...Header,
  dates: Type.Array(DateOnly),
  accounts: Type.Array(Type.Object({
    account_id: Uuid, name: Type.String(), type: Type.String(), currency: CurrencyCode,
    balances_minor: Type.Array(Nullable(Type.Integer()), { description: "native balance at each date (the account's currency); null before the account was opened" }),
    converted_minor: Type.Array(Nullable(Amount)),
  })),
  totals_minor: Type.Array(Amount),
});

const Series = Type.Array(Amount);
const Budget = Type.Object({
  ...Header,
  categories: Type.Array(Type.Object({
    category_id: Uuid, name: Type.String(), group_name: Type.String(), mode: Type.String({ description: 'envelope or limit (docs/budgets.md)' }),
    budgeted_minor: Series, actual_minor: Series, available_minor: Series, total_budgeted_minor: Amount, total_actual_minor: Amount,
  })),
  totals: Type.Object({ budgeted_minor: Series, actual_minor: Series, available_minor: Series, income_minor: Series, to_be_budgeted_minor: Series }),
});

/** 200 as JSON (the schema) or CSV. */
const ok = (schema: TSchema) => ({ 200: { description: 'the report', content: { 'application/json': { schema }, 'text/csv': { schema: Type.String() } } } });

function wantsCsv(req: FastifyRequest): boolean {
  const format = (req.query as { format?: string }).format;
  if (format) return format === 'csv';
  const accept = String(req.headers.accept ?? '');
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function send<R extends { from: string; to: string }>(req: FastifyRequest, reply: FastifyReply, name: string, report: R, csv: (r: R) => string) {
  if (!wantsCsv(req)) return reply.type('application/json; charset=utf-8').send(report);
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${report.from}-${report.to}.csv"`)
    .send(csv(report));
}

const input = (q: { from?: string; to?: string; q?: string; currency?: string }) => ({ from: q.from, to: q.to, q: q.q, currency: q.currency });

export const ledgerReportsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.reports;
  const tags = ['reports'];
  app.get('/ledgers/:ledgerId/reports/spending', {
    schema: { tags, summary: 'Spending by category by month (transfers left out, splits by part)', params: LedgerParams, querystring: Type.Object({ ...Query, kind: Type.Optional(Kind) }), response: ok(Spending) },
  }, async (req, reply) => send(req, reply, 'spending', await s.spending(requireActor(req), req.params.ledgerId, { ...input(req.query), kind: req.query.kind }), spendingCsv));

  app.get('/ledgers/:ledgerId/reports/cashflow', {
    schema: { tags, summary: 'Income and expense per month (money in and money out; transfers left out)', params: LedgerParams, querystring: Type.Object(Query), response: ok(Cashflow) },
  }, async (req, reply) => send(req, reply, 'cashflow', await s.cashflow(requireActor(req), req.params.ledgerId, input(req.query)), cashflowCsv));

  app.get('/ledgers/:ledgerId/reports/net-worth', {
    schema: { tags, summary: 'Net worth at the end of each month, every account converted to one currency', params: LedgerParams, querystring: Type.Object(Query), response: ok(NetWorth) },
  }, async (req, reply) => send(req, reply, 'net-worth', await s.netWorth(requireActor(req), req.params.ledgerId, input(req.query)), netWorthCsv));

  app.get('/ledgers/:ledgerId/reports/budget', {
    schema: {
      tags, summary: 'Budget vs actual per category and month (the envelope budget of docs/budgets.md; a query narrows actual; budget currency only)', params: LedgerParams,
      querystring: Type.Object(Query), response: ok(Budget),
    },
  }, async (req, reply) => send(req, reply, 'budget', await s.budget(requireActor(req), req.params.ledgerId, input(req.query)), budgetCsv));

  app.get('/ledgers/:ledgerId/reports/balances', {
    schema: { tags, summary: 'Balance of every account at the end of each month', params: LedgerParams, querystring: Type.Object(Query), response: ok(Balances) },
  }, async (req, reply) => send(req, reply, 'balances', await s.balances(requireActor(req), req.params.ledgerId, input(req.query)), balancesCsv));

  app.get('/ledgers/:ledgerId/reports/payees', {
    schema: {
      tags, summary: 'Top payees by money out (or in)', params: LedgerParams,
      querystring: Type.Object({ ...Query, kind: Type.Optional(Kind), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })) }),
      response: ok(Payees),
    },
  }, async (req, reply) => send(req, reply, 'payees', await s.payees(requireActor(req), req.params.ledgerId, { ...input(req.query), kind: req.query.kind, limit: req.query.limit }), payeesCsv));

  app.get('/ledgers/:ledgerId/reports/trend', {
    schema: {
      tags, summary: 'Monthly trend of chosen categories or groups, with average and month-over-month change', params: LedgerParams,
      querystring: Type.Object({
        ...Query,
        by: Type.Optional(Type.Union([Type.Literal('category'), Type.Literal('group')])),
        ids: Type.Optional(Type.String({ maxLength: 4000, description: 'comma-separated category (or group) ids; "none" is the uncategorized line; default: the biggest expense lines' })),
        top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'how many lines when ids is not given' })),
      }),
      response: ok(Trend),
    },
  }, async (req, reply) => {
    const ids = req.query.ids?.split(',').map((x) => x.trim()).filter(Boolean);
    return send(req, reply, 'trend', await s.trend(requireActor(req), req.params.ledgerId, { ...input(req.query), by: req.query.by, ids, top: req.query.top }), trendCsv);
  });

  await app.register(recurringRoutes, { c });
};
