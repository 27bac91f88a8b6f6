// Net worth in one currency on one day: every account's native balance as of
// the day, converted at that day's rate (rounded once per account) and summed.
import { sql } from 'kysely';
import type { AccountType } from '../db/schema.ts';
import type { CurrencyCode } from '../money/currencies.ts';
import { add, minor, ZERO, type Minor } from '../money/money.ts';
import type { Executor } from '../shared/executor.ts';
import type { FxVia } from './fx-math.ts';
import { applyFactor } from './fx-math.ts';
import { fxRateMissing, loadRateBook, type RateBook } from './rate-book.ts';

export interface NetWorthAccount {
  id: string;
  name: string;
  type: AccountType;
  currency: string;
  closed: boolean;
  /** Native balance as of the day: opening balance + top-level rows dated on or before it (pending rows included). */
  balance_minor: Minor;
  converted_minor: Minor;
  /** 'zero': a zero balance needs no rate. */
  via: FxVia | 'zero';
  rate_dates: string[];
}

export interface NetWorth {
  currency: CurrencyCode;
  date: string;
  total_minor: Minor;
  accounts: NetWorthAccount[];
}

/** Native balances of every account open on `date` (accounts opened later are left out). */
export async function balancesAt(ex: Executor, ledgerId: string, date: string) {
  // balance(D) = opening + (sum of all top-level rows) - (sum of rows after D): the trigger-kept sum
  // plus a short index range for recent dates.
  const rows = await ex
    .selectFrom('accounts as a')
    .select(['a.id', 'a.name', 'a.type', 'a.currency', 'a.closed', 'a.opening_balance_minor', 'a.tx_sum_minor'])
    .select((eb) =>
      eb
        .selectFrom('transactions as t')
        .select(sql<bigint>`coalesce(sum(t.amount_minor), 0)::bigint`.as('s'))
        .whereRef('t.account_id', '=', 'a.id')
        .where('t.parent_id', 'is', null)
        .where('t.posted_on', '>', date)
        .as('later_minor'),
    )
    .where('a.ledger_id', '=', ledgerId)
    .where((eb) => eb.or([eb('a.opened_on', 'is', null), eb('a.opened_on', '<=', date)]))
    .orderBy('a.name')
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, type: r.type, currency: r.currency, closed: r.closed, balance_minor: minor(r.opening_balance_minor + r.tx_sum_minor - BigInt(r.later_minor ?? 0n)) }));
}

/** No role check: callers check the actor's role on the ledger first. Throws FX_RATE_MISSING naming the first pair without a rate. */
export async function netWorthAt(ex: Executor, ledgerId: string, currency: CurrencyCode, date: string, book?: RateBook): Promise<NetWorth> {
  const rates = book ?? (await loadRateBook(ex, ledgerId));
  const accounts: NetWorthAccount[] = [];
  let total = ZERO;
  for (const a of await balancesAt(ex, ledgerId, date)) {
    const f = rates.factor(a.currency as CurrencyCode, currency, date);
    if (!f && a.balance_minor === 0n) {
      accounts.push({ ...a, converted_minor: ZERO, via: 'zero', rate_dates: [] });
      continue;
    }
    if (!f) throw fxRateMissing(a.currency, currency, date);
    const converted = applyFactor(a.balance_minor, f);
    total = add(total, converted);
    accounts.push({ ...a, converted_minor: converted, via: f.via, rate_dates: f.rateDates });
  }
  return { currency, date, total_minor: total, accounts };
}
