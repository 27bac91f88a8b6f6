// What every report starts from: the caller's role, the range and its months,
// the target currency, the ledger's accounts, the query as a filter, and a
// converter. Built inside the report's read-only snapshot transaction.
import type { Actor } from '../auth/actor.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import { isCurrencyCode, type CurrencyCode } from '../money/currencies.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { fxRateMissing } from '../fx/rate-book.ts';
import { converterFor, type Converter } from './convert.ts';
import { reportFilter, type AccountInfo, type ReportFilter } from './filter.ts';
import { monthsOf, resolveRange, ymd, type DateRange } from './periods.ts';
import { ledgerAccounts, leafSums, payeeSums, type LeafSum, type PayeeSum } from './reports.repository.ts';

export interface ReportInput {
  from?: string | undefined;
  to?: string | undefined;
  /** Query-language text (docs/query-language.md). */
  q?: string | undefined;
  /** Target currency; default the ledger's base currency. */
  currency?: string | undefined;
}

export interface ReportContext {
  ex: Executor;
  ledgerId: string;
  range: DateRange;
  months: string[];
  currency: CurrencyCode;
  accounts: AccountInfo[];
  accountById: Map<string, AccountInfo>;
  filter: ReportFilter;
  cv: Converter;
  /** 'rollups' when whole months came from the rollups, 'rows' when the query needed the base rows (set by the report). */
  source: 'rollups' | 'rows';
}

export async function reportContext(ex: Executor, actor: Actor, ledgerId: string, input: ReportInput, now: Date): Promise<ReportContext> {
  await requireLedgerRole(ex, actor, ledgerId, 'viewer');
  if (input.currency !== undefined && !isCurrencyCode(input.currency)) throw invalid('/query/currency', `"${input.currency}" is not an ISO 4217 currency code finhub knows`);
  const range = resolveRange(input.from, input.to, ymd(now));
  const [ledger, accounts] = await Promise.all([
    ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirst(),
    ledgerAccounts(ex, ledgerId),
  ]);
  if (!ledger) throw notFound('ledger');
  const currency = (input.currency ?? ledger.base_currency) as CurrencyCode;
  const filter = await reportFilter(ex, ledgerId, input.q, accounts, now);
  const cv = await converterFor(ex, ledgerId, currency, accounts.map((a) => a.currency));
  return {
    ex, ledgerId, range, months: monthsOf(range), currency, accounts, accountById: new Map(accounts.map((a) => [a.id, a])), filter, cv,
    source: filter.kind === 'scan' ? 'rows' : 'rollups',
  };
}

/** A missing rate among converted rows is a 422 naming the pair and the earliest date that lacks one. */
function checkMissing(ctx: ReportContext, sums: { missing?: string | null }[]) {
  let first: string | undefined;
  for (const s of sums) if (s.missing && (first === undefined || s.missing < first)) first = s.missing;
  if (first === undefined) return;
  const [day, currency] = first.split(' ');
  throw fxRateMissing(currency!, ctx.currency, day!);
}

/** Leaf sums in the report currency: accounts in it from the rollups (or rows), the others converted row by row at each row's date. */
export async function convertedLeafSums(ctx: ReportContext, opts: { category: boolean }): Promise<LeafSum[]> {
  const r = await leafSums(ctx.ex, ctx.ledgerId, ctx.range, ctx.filter, ctx.accounts, { category: opts.category, target: ctx.currency });
  checkMissing(ctx, r.sums);
  ctx.source = r.fromRollups ? 'rollups' : 'rows';
  return r.sums;
}

/** Payee sums (per transaction, no transfers) in the report currency. */
export async function convertedPayeeSums(ctx: ReportContext): Promise<PayeeSum[]> {
  const r = await payeeSums(ctx.ex, ctx.ledgerId, ctx.range, ctx.filter, ctx.accounts, { target: ctx.currency });
  checkMissing(ctx, r.sums);
  ctx.source = r.fromRollups ? 'rollups' : 'rows';
  return r.sums;
}

/** A bigint total as a JSON integer; beyond ±(2^53-1) minor units the report cannot be sent exactly. */
export function json(v: bigint): number {
  if (v > 9_007_199_254_740_991n || v < -9_007_199_254_740_991n) throw new AppError('AMOUNT_OUT_OF_RANGE', `a report total (${v} minor units) is outside ±9007199254740991`);
  return Number(v);
}
