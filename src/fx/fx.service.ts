// Exchange rates (entered, imported from CSV, deleted), conversions and net
// worth in a chosen currency. No network: every rate comes from the user.
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import { isCurrencyCode, type CurrencyCode } from '../money/currencies.ts';
import { minor, MoneyFormatError, MoneyRangeError, toDecimalString, type Minor } from '../money/money.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid, requireDate } from '../shared/ids.ts';
import { parseRatesCsv, type RateInput } from './fx-csv.ts';
import { normalizeRate } from './fx-math.ts';
import * as repo from './fx.repository.ts';
import { netWorthAt } from './net-worth.ts';
import { fxRateMissing, loadRateBook } from './rate-book.ts';

type RateRow = Awaited<ReturnType<typeof repo.listRates>>[number];

export function presentRate(r: RateRow) {
  return { id: r.id, ledger_id: r.ledger_id, from_currency: r.from_currency, to_currency: r.to_currency, rate_date: r.rate_date, rate: r.rate, source: r.source, created_at: r.created_at, updated_at: r.updated_at };
}
export type RateView = ReturnType<typeof presentRate>;

export function requireCurrency(field: string, code: string | undefined): CurrencyCode {
  if (!isCurrencyCode(code)) throw invalid(field, `${JSON.stringify(code ?? '')} is not an ISO 4217 currency code finhub knows`);
  return code;
}

function checkRate(input: RateInput, prefix: string) {
  const from = requireCurrency(`${prefix}/from_currency`, input.fromCurrency);
  const to = requireCurrency(`${prefix}/to_currency`, input.toCurrency);
  if (from === to) throw invalid(`${prefix}/to_currency`, 'must differ from from_currency');
  const rateDate = requireDate(`${prefix}/rate_date`, input.rateDate);
  let rate: string;
  try {
    rate = normalizeRate(input.rate);
  } catch (e) {
    if (e instanceof MoneyFormatError) throw invalid(`${prefix}/rate`, e.message);
    throw e;
  }
  const source = input.source?.trim() || 'manual';
  if (source.length > 100) throw invalid(`${prefix}/source`, 'at most 100 characters');
  return { fromCurrency: from, toCurrency: to, rateDate, rate, source };
}

const todayUtc = (now: Date) => now.toISOString().slice(0, 10);

async function baseCurrency(ex: Executor, ledgerId: string): Promise<CurrencyCode> {
  const l = await ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirstOrThrow();
  return l.base_currency as CurrencyCode;
}

export function createFxService(deps: { db: Db; now?: () => Date }) {
  const k = deps.db.kysely;
  const now = deps.now ?? (() => new Date());

  return {
    async list(actor: Actor, ledgerId: string, q: repo.RateFilter & { cursor?: string | undefined; limit: number }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      if (q.fromCurrency !== undefined) requireCurrency('/query/from_currency', q.fromCurrency);
      if (q.toCurrency !== undefined) requireCurrency('/query/to_currency', q.toCurrency);
      if (q.from) requireDate('/query/from', q.from);
      if (q.to) requireDate('/query/to', q.to);
      const after = decodeCursor(q.cursor, ['d', 'id'] as const);
      if (after && (!isUuid(after.id) || !/^\d{4}-\d{2}-\d{2}$/.test(after.d))) throw invalid('/query/cursor', 'not a cursor returned by this list');
      const rows = await repo.listRates(k, ledgerId, q, after, q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page.map(presentRate), next_cursor: rows.length > q.limit && last ? encodeCursor({ d: last.rate_date, id: last.id }) : null };
    },

    /** Adds a rate; a rate for the same pair and date is replaced (`created` false). */
    async add(actor: Actor, ledgerId: string, input: RateInput): Promise<{ rate: RateView; created: boolean }> {
      const r = checkRate(input, '/body');
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const [row] = await repo.upsertRates(tx, ledgerId, [r], actor.userId);
        await recordAudit(tx, actor, { action: row!.inserted ? 'fx_rate.create' : 'fx_rate.replace', entityType: 'fx_rate', entityId: row!.id, ledgerId, details: { from: r.fromCurrency, to: r.toCurrency, date: r.rateDate, rate: r.rate } });
        return { rate: presentRate(row!), created: row!.inserted };
      });
    },

    async remove(actor: Actor, ledgerId: string, id: string): Promise<void> {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const gone = isUuid(id) ? await repo.deleteRate(tx, ledgerId, id) : undefined;
        if (!gone) throw notFound('exchange rate');
        await recordAudit(tx, actor, { action: 'fx_rate.delete', entityType: 'fx_rate', entityId: id, ledgerId, details: { from: gone.from_currency, to: gone.to_currency, date: gone.rate_date, rate: gone.rate } });
      });
    },

    /** All-or-nothing CSV import; existing rates for the same pair and date are replaced. */
    async importCsv(actor: Actor, ledgerId: string, csv: string, opts: { source?: string | undefined; field?: string } = {}) {
      await requireLedgerRole(k, actor, ledgerId, 'editor');
      const parsed = parseRatesCsv(csv, opts.field);
      const defaultSource = opts.source?.trim() || 'csv';
      if (defaultSource.length > 100) throw invalid('/body/source', 'at most 100 characters');
      const rows = parsed.map((p) => ({ fromCurrency: p.fromCurrency, toCurrency: p.toCurrency, rateDate: p.rateDate, rate: p.rate, source: p.source ?? defaultSource }));
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        let inserted = 0;
        let replaced = 0;
        // 6 parameters a row: stay well below the 65535 bind-parameter limit.
        for (let i = 0; i < rows.length; i += 5000) {
          for (const r of await repo.upsertRates(tx, ledgerId, rows.slice(i, i + 5000), actor.userId)) {
            if (r.inserted) inserted++;
            else replaced++;
          }
        }
        const pairs = [...new Set(rows.map((r) => `${r.fromCurrency}→${r.toCurrency}`))].sort();
        await recordAudit(tx, actor, { action: 'fx_rate.import', entityType: 'fx_rate', ledgerId, details: { inserted, replaced, pairs } });
        return { lines: rows.length, inserted, replaced, pairs };
      });
    },

    async convert(actor: Actor, ledgerId: string, q: { amountMinor: number; from: string; to: string; date?: string | undefined }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const from = requireCurrency('/query/from_currency', q.from);
      const to = requireCurrency('/query/to_currency', q.to);
      let amount: Minor;
      try {
        amount = minor(q.amountMinor);
      } catch {
        throw invalid('/query/amount_minor', 'must be an integer count of minor units within ±9007199254740991');
      }
      const date = q.date ? requireDate('/query/date', q.date) : todayUtc(now());
      const book = await loadRateBook(k, ledgerId);
      const f = book.factor(from, to, date);
      if (!f) throw fxRateMissing(from, to, date);
      const converted = book.convert(amount, from, to, date);
      return {
        amount_minor: Number(amount), amount: toDecimalString(amount, from), from_currency: from, to_currency: to, date,
        converted_minor: Number(converted), converted: toDecimalString(converted, to), via: f.via, rate_dates: f.rateDates,
      };
    },

    async netWorth(actor: Actor, ledgerId: string, q: { currency?: string | undefined; date?: string | undefined }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const currency = q.currency === undefined ? await baseCurrency(k, ledgerId) : requireCurrency('/query/currency', q.currency);
      const date = q.date ? requireDate('/query/date', q.date) : todayUtc(now());
      let nw;
      try {
        nw = await netWorthAt(k, ledgerId, currency, date);
      } catch (e) {
        if (e instanceof MoneyRangeError) throw new AppError('AMOUNT_OUT_OF_RANGE', `net worth in ${currency} is outside ±9007199254740991 minor units`);
        throw e;
      }
      return {
        currency: nw.currency, date: nw.date, total_minor: Number(nw.total_minor), total: toDecimalString(nw.total_minor, currency),
        accounts: nw.accounts.map((a) => ({
          id: a.id, name: a.name, type: a.type, currency: a.currency, closed: a.closed,
          balance_minor: Number(a.balance_minor), balance: toDecimalString(a.balance_minor, a.currency as CurrencyCode),
          converted_minor: Number(a.converted_minor), converted: toDecimalString(a.converted_minor, currency), via: a.via, rate_dates: a.rate_dates,
        })),
      };
    },
  };
}

export type FxService = ReturnType<typeof createFxService>;
