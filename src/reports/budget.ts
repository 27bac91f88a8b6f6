// Budget vs actual: part B's envelope budget (src/budgets), month by month,
// laid out as a report. The numbers are the budget's own: "budgeted" is what
// was assigned, "actual" the budget's activity (its on-budget accounts, its
// rules for transfers and currencies, see docs/budgets.md), "available" what
// is left after rollover. A query (`q`) narrows "actual" to the counted rows
// it selects ("how much of Groceries went on the Visa card"); "budgeted" and
// "available" stay the envelope's own, since an envelope holds money for a
// category, not for a query. The budget is kept in the ledger's budget
// currency, so another `currency` is refused.
import type { Actor } from '../auth/actor.ts';
import { computeBudgetMonths } from '../budgets/budgets.service.ts';
import { filteredActivitySums } from '../budgets/budgets.repository.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import { sql, type SqlBool } from 'kysely';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { json, type ReportInput } from './context.ts';
import { fxRateMissing } from '../fx/rate-book.ts';
import { keyCondition, reportFilter } from './filter.ts';
import { ledgerAccounts } from './reports.repository.ts';
import { monthOf, monthsOf, resolveRange, ymd } from './periods.ts';

export async function budgetReport(ex: Executor, actor: Actor, ledgerId: string, input: ReportInput, now: Date) {
  await requireLedgerRole(ex, actor, ledgerId, 'viewer');
  const range = resolveRange(input.from, input.to, ymd(now));
  const ledger = await ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirst();
  if (!ledger) throw notFound('ledger');
  if (input.currency !== undefined && input.currency !== ledger.base_currency) {
    throw invalid('/query/currency', `budgets are kept in the ledger's budget currency, ${ledger.base_currency}`);
  }
  const months = monthsOf(range);
  const accounts = input.q?.trim() ? await ledgerAccounts(ex, ledgerId) : [];
  const filter = await reportFilter(ex, ledgerId, input.q, accounts, now);
  let budget;
  // month -> category -> what the query selects of the month's counted activity (only with a query).
  let actual: Map<string, Map<string, bigint>> | undefined;
  try {
    budget = await computeBudgetMonths(ex, ledgerId, monthOf(range.from), monthOf(range.to));
    if (filter.kind !== 'all') {
      const cond = filter.kind === 'scan' ? filter.where : keyCondition(filter, accounts, 't.account_id', 't.transfer_peer_id is not null');
      const sums = await filteredActivitySums(ex, ledgerId, budget.currency, range, cond ?? sql<SqlBool>`true`);
      let missing: string | null = null;
      actual = new Map();
      for (const s of sums) {
        if (s.missing && (!missing || s.missing < missing)) missing = s.missing;
        if (s.category_id === null) continue;
        let m = actual.get(s.month);
        if (!m) actual.set(s.month, (m = new Map()));
        m.set(s.category_id, (m.get(s.category_id) ?? 0n) + BigInt(s.total));
      }
      if (missing) {
        const [day, cur] = missing.split(' ');
        throw fxRateMissing(cur!, budget.currency, day!);
      }
    }
  } catch (e) {
    if (e instanceof RangeError && !(e instanceof AppError)) throw new AppError('AMOUNT_OUT_OF_RANGE', 'a budget total is outside ±9007199254740991 minor units');
    throw e;
  }
  const byMonth = new Map(budget.months.map((m) => [m.month, m]));
  const actualOf = (month: string, categoryId: string, unfiltered: bigint) => (actual ? (actual.get(month)?.get(categoryId) ?? 0n) : unfiltered);
  const lines = new Map<string, { category_id: string; name: string; group_name: string; mode: string; budgeted: bigint[]; actual: bigint[]; available: bigint[] }>();
  months.forEach((m, i) => {
    for (const l of byMonth.get(m)?.categories ?? []) {
      let x = lines.get(l.category.id);
      if (!x) {
        x = { category_id: l.category.id, name: l.category.name, group_name: l.category.groupName, mode: l.category.mode, budgeted: months.map(() => 0n), actual: months.map(() => 0n), available: months.map(() => 0n) };
        lines.set(l.category.id, x);
      }
      x.budgeted[i] = l.budgetedMinor;
      x.actual[i] = actualOf(m, l.category.id, l.activityMinor);
      x.available[i] = l.availableMinor;
    }
  });
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  const per = (f: (m: NonNullable<ReturnType<typeof byMonth.get>>) => bigint) => months.map((m) => json(byMonth.has(m) ? f(byMonth.get(m)!) : 0n));
  return {
    ledger_id: ledgerId, currency: budget.currency, from: range.from, to: range.to, months, query: filter.kind === 'all' ? null : filter.text, source: 'rows' as const,
    categories: [...lines.values()].map((x) => ({
      category_id: x.category_id, name: x.name, group_name: x.group_name, mode: x.mode,
      budgeted_minor: x.budgeted.map(json), actual_minor: x.actual.map(json), available_minor: x.available.map(json),
      total_budgeted_minor: json(sum(x.budgeted)), total_actual_minor: json(sum(x.actual)),
    })),
    totals: {
      budgeted_minor: per((m) => m.budgetedMinor),
      actual_minor: actual ? months.map((_, i) => json([...lines.values()].reduce((t, x) => t + x.actual[i]!, 0n))) : per((m) => m.activityMinor),
      available_minor: per((m) => m.availableMinor),
      income_minor: per((m) => m.incomeMinor),
      to_be_budgeted_minor: per((m) => m.toBeBudgetedMinor),
    },
  };
}
