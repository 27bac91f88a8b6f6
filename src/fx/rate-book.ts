// A ledger's exchange rates in memory, answering the lookup rule of
// docs/budgets.md ("Which rate applies"): latest rate on or before the date,
// direct or inverse (later date wins, direct on a tie), else triangulated
// through the ledger's base currency; never a rate dated after the day.
import type { CurrencyCode } from '../money/currencies.ts';
import type { Minor } from '../money/money.ts';
import { AppError } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { applyFactor, chain, directFactor, IDENTITY, inverseFactor, type FxFactor } from './fx-math.ts';

export interface StoredRate {
  from_currency: string;
  to_currency: string;
  rate_date: string;
  rate: string;
}

export function fxRateMissing(from: string, to: string, on: string): AppError {
  return new AppError('FX_RATE_MISSING', `no exchange rate ${from}→${to} on or before ${on} (add one: POST …/fx-rates or finhub fx add)`, {
    details: { from_currency: from, to_currency: to, date: on },
  });
}

interface Dated {
  date: string;
  rate: string;
}

export class RateBook {
  readonly baseCurrency: CurrencyCode;
  /** "FROM>TO" -> rates sorted by date ascending. */
  private readonly byPair = new Map<string, Dated[]>();

  constructor(baseCurrency: CurrencyCode, rates: readonly StoredRate[]) {
    this.baseCurrency = baseCurrency;
    for (const r of rates) {
      const key = `${r.from_currency}>${r.to_currency}`;
      let list = this.byPair.get(key);
      if (!list) this.byPair.set(key, (list = []));
      list.push({ date: r.rate_date, rate: r.rate });
    }
    for (const list of this.byPair.values()) list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  /** Latest rate of the pair dated on or before `on` (binary search). */
  private latest(from: string, to: string, on: string): Dated | undefined {
    const list = this.byPair.get(`${from}>${to}`);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length; // first index with date > on
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.date <= on) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1] : undefined;
  }

  private leg(from: CurrencyCode, to: CurrencyCode, on: string): FxFactor | undefined {
    const d = this.latest(from, to, on);
    const i = this.latest(to, from, on);
    if (d && (!i || d.date >= i.date)) return directFactor(from, to, d.rate, d.date);
    if (i) return inverseFactor(from, to, i.rate, i.date);
    return undefined;
  }

  factor(from: CurrencyCode, to: CurrencyCode, on: string): FxFactor | undefined {
    if (from === to) return IDENTITY;
    const direct = this.leg(from, to, on);
    if (direct) return direct;
    const base = this.baseCurrency;
    if (from === base || to === base) return undefined;
    const a = this.leg(from, base, on);
    const b = a && this.leg(base, to, on);
    return a && b ? chain(a, b) : undefined;
  }

  /** undefined when no rate applies; a zero amount needs no rate. */
  tryConvert(amount: Minor, from: CurrencyCode, to: CurrencyCode, on: string): Minor | undefined {
    if (amount === 0n) return amount;
    const f = this.factor(from, to, on);
    return f ? applyFactor(amount, f) : undefined;
  }

  /** Throws FX_RATE_MISSING (422) naming the pair and the date; a zero amount needs no rate. */
  convert(amount: Minor, from: CurrencyCode, to: CurrencyCode, on: string): Minor {
    if (amount === 0n) return amount;
    const f = this.factor(from, to, on);
    if (!f) throw fxRateMissing(from, to, on);
    return applyFactor(amount, f);
  }
}

/** Every rate of the ledger and its base currency (a household has thousands of rates at most). */
export async function loadRateBook(ex: Executor, ledgerId: string): Promise<RateBook> {
  const [ledger, rates] = await Promise.all([
    ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirst(),
    ex.selectFrom('fx_rates').select(['from_currency', 'to_currency', 'rate_date', 'rate']).where('ledger_id', '=', ledgerId).execute(),
  ]);
  return new RateBook((ledger?.base_currency ?? 'USD') as CurrencyCode, rates);
}
