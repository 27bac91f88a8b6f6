// Exchange rates for the demo household: the household's own currency
// exchanges (cross-currency transfers) imply a rate on each exchange day;
// the first one is also dated back to the day the foreign account opened, so
// every foreign row and balance of the demo converts.
import type { DemoHousehold } from '../demo/demo-data.ts';
import { currencyExponent, type CurrencyCode } from '../money/currencies.ts';
import { divRound } from '../money/money.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import type { Actor } from '../auth/actor.ts';
import type { Executor } from '../shared/executor.ts';
import { formatScaledRate, RATE_SCALE } from './fx-math.ts';
import { upsertRates, type NewRate } from './fx.repository.ts';

const DECIMALS = 6n;

/** rate = (base major units) / (foreign major units), 6 decimals, half away from zero. */
function impliedRate(baseMinor: bigint, baseCur: CurrencyCode, foreignMinor: bigint, foreignCur: CurrencyCode): string {
  const eb = BigInt(currencyExponent(baseCur));
  const ef = BigInt(currencyExponent(foreignCur));
  const micro = divRound(baseMinor * 10n ** (ef + DECIMALS), foreignMinor * 10n ** eb, 'half-up');
  return formatScaledRate(micro * 10n ** (BigInt(RATE_SCALE) - DECIMALS));
}

export function demoFxRates(data: DemoHousehold, base: string): NewRate[] {
  const byKey = new Map(data.accounts.map((a) => [a.key, a]));
  const rates = new Map<string, NewRate>();
  const first = new Map<string, NewRate>();
  for (const t of data.transactions) {
    if (!t.transfer) continue;
    const from = byKey.get(t.accountKey)!;
    const to = byKey.get(t.transfer.toAccountKey)!;
    if (from.currency === to.currency || t.amountMinor === 0n || t.transfer.amountMinor === 0n) continue;
    let foreign: string;
    let rate: string;
    const out = t.amountMinor < 0n ? -t.amountMinor : t.amountMinor;
    const inn = t.transfer.amountMinor < 0n ? -t.transfer.amountMinor : t.transfer.amountMinor;
    if (from.currency === base) [foreign, rate] = [to.currency, impliedRate(out, base as CurrencyCode, inn, to.currency as CurrencyCode)];
    else if (to.currency === base) [foreign, rate] = [from.currency, impliedRate(inn, base as CurrencyCode, out, from.currency as CurrencyCode)];
    else continue;
    const r = { fromCurrency: foreign, toCurrency: base, rateDate: t.postedOn, rate, source: 'demo' };
    if (!rates.has(`${foreign}@${t.postedOn}`)) rates.set(`${foreign}@${t.postedOn}`, r);
    const f = first.get(foreign);
    if (!f || r.rateDate < f.rateDate) first.set(foreign, r);
  }
  for (const [foreign, f] of first) {
    const dates = [...data.accounts.filter((a) => a.currency === foreign).map((a) => a.openedOn), ...data.transactions.filter((t) => byKey.get(t.accountKey)?.currency === foreign).map((t) => t.postedOn)];
    const earliest = dates.sort()[0];
    if (earliest && earliest < f.rateDate) rates.set(`${foreign}@${earliest}`, { ...f, rateDate: earliest });
  }
  return [...rates.values()].sort((a, b) => (a.rateDate < b.rateDate ? -1 : a.rateDate > b.rateDate ? 1 : 0));
}

/** Stores the demo's rates in the caller's transaction; returns how many. */
export async function loadDemoRates(tx: Executor, actor: Actor, ledgerId: string, data: DemoHousehold, base: string): Promise<number> {
  const rates = demoFxRates(data, base);
  for (let i = 0; i < rates.length; i += 5000) await upsertRates(tx, ledgerId, rates.slice(i, i + 5000), actor.userId);
  if (rates.length) await recordAudit(tx, actor, { action: 'fx_rate.import', entityType: 'fx_rate', ledgerId, details: { inserted: rates.length, source: 'demo' } });
  return rates.length;
}
