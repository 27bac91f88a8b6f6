// /api/v1/ledgers/{id}/fx-rates (enter, import, delete, convert) and /net-worth.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, ByIdParams, CurrencyCode, DateOnly, LedgerParams, MinorUnits, NoContent, Page, PageQuery, Timestamp, Uuid } from '../http/schemas.ts';

const RateText = Type.String({ maxLength: 60, pattern: '^\\s*\\d+(\\.\\d+)?\\s*$', description: 'exact decimal text: units of to_currency per one unit of from_currency, e.g. "1.0845" (0 < rate < 10^12, at most 12 decimals); never a JSON number', example: '1.0845' });
const Rate = Type.Object({ id: Uuid, ledger_id: Uuid, from_currency: CurrencyCode, to_currency: CurrencyCode, rate_date: DateOnly, rate: Type.String(), source: Type.String(), created_at: Timestamp, updated_at: Timestamp });
const Via = Type.String({ enum: ['identity', 'direct', 'inverse', 'triangulated'] });
const RateDates = Type.Array(DateOnly, { description: 'rate_date of each stored rate used' });

export const fxRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.fx;
  app.get('/ledgers/:ledgerId/fx-rates', {
    schema: {
      tags: ['fx'], summary: 'Exchange rates, newest first', params: LedgerParams,
      querystring: Type.Object({
        ...PageQuery,
        from_currency: Type.Optional(CurrencyCode), to_currency: Type.Optional(CurrencyCode),
        either_way: Type.Boolean({ default: false, description: 'with both currencies: list the pair in both directions' }),
        from: Type.Optional(DateOnly), to: Type.Optional(DateOnly),
      }),
      response: { 200: Page(Rate) },
    },
  }, async (req) => {
    const q = req.query;
    return s.list(requireActor(req), req.params.ledgerId, { cursor: q.cursor, limit: q.limit, fromCurrency: q.from_currency, toCurrency: q.to_currency, eitherWay: q.either_way, from: q.from, to: q.to });
  });
  app.post('/ledgers/:ledgerId/fx-rates', {
    schema: {
      tags: ['fx'], summary: 'Enter an exchange rate (a rate for the same pair and date is replaced: 200 instead of 201)', params: LedgerParams,
      body: Body({ from_currency: CurrencyCode, to_currency: CurrencyCode, rate_date: DateOnly, rate: RateText, source: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }),
      response: { 200: Rate, 201: Rate },
    },
  }, async (req, reply) => {
    const b = req.body;
    const r = await s.add(requireActor(req), req.params.ledgerId, { fromCurrency: b.from_currency, toCurrency: b.to_currency, rateDate: b.rate_date, rate: b.rate, source: b.source });
    return reply.code(r.created ? 201 : 200).send(r.rate);
  });
  app.post('/ledgers/:ledgerId/fx-rates/import', {
    schema: {
      tags: ['fx'], summary: 'Import exchange rates from CSV text (header "date,from,to,rate[,source]"); all or nothing, errors name the line', params: LedgerParams,
      body: Body({ csv: Type.String({ minLength: 1, description: 'the file content' }), source: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'source for lines without a source column (default "csv")' })) }),
      response: { 200: Type.Object({ lines: Type.Integer(), inserted: Type.Integer(), replaced: Type.Integer(), pairs: Type.Array(Type.String()) }) },
    },
  }, async (req) => s.importCsv(requireActor(req), req.params.ledgerId, req.body.csv, { source: req.body.source }));
  app.get('/ledgers/:ledgerId/fx-rates/convert', {
    schema: {
      tags: ['fx'], summary: 'Convert an amount with the stored rates (latest on or before the date; half away from zero)', params: LedgerParams,
      querystring: Type.Object({ amount_minor: Type.Integer(), from_currency: CurrencyCode, to_currency: CurrencyCode, date: Type.Optional(DateOnly) }),
      response: { 200: Type.Object({ amount_minor: MinorUnits, amount: Type.String(), from_currency: CurrencyCode, to_currency: CurrencyCode, date: DateOnly, converted_minor: MinorUnits, converted: Type.String(), via: Via, rate_dates: RateDates }) },
    },
  }, async (req) => {
    const q = req.query;
    return s.convert(requireActor(req), req.params.ledgerId, { amountMinor: q.amount_minor, from: q.from_currency, to: q.to_currency, date: q.date });
  });
  app.delete('/ledgers/:ledgerId/fx-rates/:id', { schema: { tags: ['fx'], summary: 'Delete an exchange rate', params: ByIdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await s.remove(requireActor(req), req.params.ledgerId, req.params.id);
      return reply.code(204).send(null);
    });

  app.get('/ledgers/:ledgerId/net-worth', {
    schema: {
      tags: ['fx'], summary: 'Net worth on a day in one currency: each account\'s balance converted at that day\'s rate', params: LedgerParams,
      querystring: Type.Object({ currency: Type.Optional(CurrencyCode), date: Type.Optional(DateOnly) }),
      response: {
        200: Type.Object({
          currency: CurrencyCode, date: DateOnly, total_minor: MinorUnits, total: Type.String(),
          accounts: Type.Array(Type.Object({
            id: Uuid, name: Type.String(), type: Type.String(), currency: CurrencyCode, closed: Type.Boolean(),
            balance_minor: MinorUnits, balance: Type.String(), converted_minor: MinorUnits, converted: Type.String(),
            via: Type.String({ enum: ['identity', 'direct', 'inverse', 'triangulated', 'zero'] }), rate_dates: RateDates,
          })),
        }),
      },
    },
  }, async (req) => s.netWorth(requireActor(req), req.params.ledgerId, { currency: req.query.currency, date: req.query.date }));
};
