// Kysely queries for fx_rates. The caller owns the transaction.
import { sql } from 'kysely';
import type { Executor } from '../shared/executor.ts';

export const RATE_COLS = ['id', 'ledger_id', 'from_currency', 'to_currency', 'rate_date', 'rate', 'source', 'created_at', 'updated_at'] as const;

export interface RateFilter {
  fromCurrency?: string | undefined;
  toCurrency?: string | undefined;
  /** Pair in either direction (from_currency/to_currency or the reverse). */
  eitherWay?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface NewRate {
  fromCurrency: string;
  toCurrency: string;
  rateDate: string;
  /** Normalized decimal text. */
  rate: string;
  source: string;
}

/** Newest first: rate_date desc, then id desc (keyset after {d, id}). */
export async function listRates(ex: Executor, ledgerId: string, f: RateFilter, after: { d: string; id: string } | undefined, limit: number) {
  let q = ex.selectFrom('fx_rates').select(RATE_COLS).where('ledger_id', '=', ledgerId);
  if (f.eitherWay && f.fromCurrency && f.toCurrency) {
    const [a, b] = [f.fromCurrency, f.toCurrency];
    q = q.where((eb) => eb.or([eb.and([eb('from_currency', '=', a), eb('to_currency', '=', b)]), eb.and([eb('from_currency', '=', b), eb('to_currency', '=', a)])]));
  } else {
    if (f.fromCurrency) q = q.where('from_currency', '=', f.fromCurrency);
    if (f.toCurrency) q = q.where('to_currency', '=', f.toCurrency);
  }
  if (f.from) q = q.where('rate_date', '>=', f.from);
  if (f.to) q = q.where('rate_date', '<=', f.to);
  if (after) q = q.where((eb) => eb(eb.tuple(eb.ref('rate_date'), eb.ref('id')), '<', eb.tuple(sql<string>`${after.d}::date`, sql<string>`${after.id}::uuid`)));
  return q.orderBy('rate_date', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** Inserts or replaces (same ledger, pair and date) in one statement; `inserted` is false for a replaced row. */
export async function upsertRates(ex: Executor, ledgerId: string, rows: NewRate[], userId: string | null) {
  if (rows.length === 0) return [];
  return ex
    .insertInto('fx_rates')
    .values(rows.map((r) => ({ ledger_id: ledgerId, from_currency: r.fromCurrency, to_currency: r.toCurrency, rate_date: r.rateDate, rate: r.rate, source: r.source, created_by: userId })))
    .onConflict((oc) =>
      oc.columns(['ledger_id', 'from_currency', 'to_currency', 'rate_date']).doUpdateSet({
        rate: (eb) => eb.ref('excluded.rate'),
        source: (eb) => eb.ref('excluded.source'),
        updated_at: sql`now()`,
      }),
    )
    // xmax is 0 for a freshly inserted row version and non-zero for one that ON CONFLICT updated.
    .returning([...RATE_COLS, sql<boolean>`(xmax = 0)`.as('inserted')])
    .execute();
}

export async function deleteRate(ex: Executor, ledgerId: string, id: string) {
  return ex.deleteFrom('fx_rates').where('ledger_id', '=', ledgerId).where('id', '=', id).returning(['id', 'from_currency', 'to_currency', 'rate_date', 'rate']).executeTakeFirst();
}
