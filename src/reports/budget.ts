// Budget vs actual: part B's envelope budget (src/budgets), month by month,
// laid out as a report. The numbers are the budget's own: "budgeted" is what
// was assigned, "actual" the budget's activity (its on-budget accounts, its
// rules for transfers and currencies, see docs/budgets.md), "available" what
// is left after rollover. The budget has no query: it is kept per category
// for the whole ledger, so a `q` is refused rather than half-applied; and it
// is kept in the ledger's budget currency, so another `currency` is refused.
import type { Actor } from '../auth/actor.ts';
import { computeBudgetMonths } from '../budgets/budgets.service.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { json, type ReportInput } from './context.ts';
import { monthOf, monthsOf, resolveRange, ymd } from './periods.ts';

export async function budgetReport(ex: Executor, actor: Actor, ledgerId: string, input: ReportInput, now: Date) {
  await requireLedgerRole(ex, actor, ledgerId, 'viewer');
  if (input.q?.trim()) throw invalid('/query/q', 'the budget report takes no query: budgets are kept per category for the whole ledger (use the spending report to filter)');
  const range = resolveRange(input.from, input.to, ymd(now));
  const ledger = await ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirst();
  if (!ledger) throw notFound('ledger');
  if (input.currency !== undefined && input.currency !== ledger.base_currency) {
    throw invalid('/query/currency', `budgets are kept in the ledger's budget currency, ${ledger.base_currency}`);
  }
  const months = monthsOf(range);
  let budget;
  try {
    budget = await computeBudgetMonths(ex, ledgerId, monthOf(range.from), monthOf(range.to));
  } catch (e) {
    if (e instanceof RangeError && !(e instanceof AppError)) throw new AppError('AMOUNT_OUT_OF_RANGE', 'a budget total is outside ±9007199254740991 minor units');
    throw e;
  }
  const byMonth = new Map(budget.months.map((m) => [m.month, m]));
  const lines = new Map<string, { category_id: string; name: string; group_name: string; mode: string; budgeted: bigint[]; actual: bigint[]; available: bigint[] }>();
  months.forEach((m, i) => {
    for (const l of byMonth.get(m)?.categories ?? []) {
      let x = lines.get(l.category.id);
      if (!x) {
        x = { category_id: l.category.id, name: l.category.name, group_name: l.category.groupName, mode: l.category.mode, budgeted: months.map(() => 0n), actual: months.map(() => 0n), available: months.map(() => 0n) };
        lines.set(l.category.id, x);
      }
      x.budgeted[i] = l.budgetedMinor;
      x.actual[i] = l.activityMinor;
      x.available[i] = l.availableMinor;
    }
  });
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  const per = (f: (m: NonNullable<ReturnType<typeof byMonth.get>>) => bigint) => months.map((m) => json(byMonth.has(m) ? f(byMonth.get(m)!) : 0n));
  return {
    ledger_id: ledgerId, currency: budget.currency, from: range.from, to: range.to, months, query: null, source: 'rows' as const,
    categories: [...lines.values()].map((x) => ({
      category_id: x.category_id, name: x.name, group_name: x.group_name, mode: x.mode,
      budgeted_minor: x.budgeted.map(json), actual_minor: x.actual.map(json), available_minor: x.available.map(json),
      total_budgeted_minor: json(sum(x.budgeted)), total_actual_minor: json(sum(x.actual)),
    })),
    totals: {
      budgeted_minor: per((m) => m.budgetedMinor),
      actual_minor: per((m) => m.activityMinor),
      available_minor: per((m) => m.availableMinor),
      income_minor: per((m) => m.incomeMinor),
      to_be_budgeted_minor: per((m) => m.toBeBudgetedMinor),
    },
  };
}
