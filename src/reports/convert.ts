// Balance conversion for reports, by part B's rule (docs/budgets.md, src/fx):
// a balance converts once per account at the rate of the day it is a balance
// of, rounded half away from zero; a zero balance needs no rate; a missing
// rate is a 422 FX_RATE_MISSING naming the pair and the date. (Transactions
// convert row by row in SQL, see reports.repository.ts.)
import type { CurrencyCode } from '../money/currencies.ts';
import { minor, type Minor } from '../money/money.ts';
import { applyFactor } from '../fx/fx-math.ts';
import { fxRateMissing, loadRateBook, type RateBook } from '../fx/rate-book.ts';
import type { Executor } from '../shared/executor.ts';

export interface Converter {
  readonly target: CurrencyCode;
  convert(amount: bigint, from: string, on: string): bigint;
}

class BookConverter implements Converter {
  constructor(readonly target: CurrencyCode, private readonly book: RateBook | undefined) {}

  convert(amount: bigint, from: string, on: string): bigint {
    if (from === this.target || amount === 0n) return amount;
    const f = this.book?.factor(from as CurrencyCode, this.target, on);
    if (!f) throw fxRateMissing(from, this.target, on);
    return applyFactor(minor(amount) as Minor, f);
  }
}

/** A converter to `target`; the ledger's rates are read only when some account needs them. */
export async function converterFor(ex: Executor, ledgerId: string, target: CurrencyCode, currencies: readonly string[]): Promise<Converter> {
  const needsRates = currencies.some((c) => c !== target);
  return new BookConverter(target, needsRates ? await loadRateBook(ex, ledgerId) : undefined);
}
