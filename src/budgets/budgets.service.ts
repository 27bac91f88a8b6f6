// Envelope budgets: assigned amounts per category and month, activity from the
// ledger's transactions, rollover, "to be budgeted", and a spending-limit mode.
// All amounts are in the budget currency (the ledger's base currency).
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { loadRateBook, type RateBook } from '../fx/rate-book.ts';
import { fxRateMissing } from '../fx/rate-book.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import type { CurrencyCode } from '../money/currencies.ts';
import { add, minor, MoneyRangeError, toDecimalString, ZERO, type Minor } from '../money/money.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { isUuid } from '../shared/ids.ts';
import { computeBudget, previousMonth, UNCATEGORIZED, type BudgetCategory, type BudgetMode, type BudgetMonth, type MonthMap } from './budget-math.ts';
import * as repo from './budgets.repository.ts';
import { monthEnd } from '../reports/periods.ts';

export const MONTH_PATTERN = /^(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])$/;
const MAX_RANGE_MONTHS = 240;

export function requireMonth(field: string, m: string): string {
  if (!MONTH_PATTERN.test(m)) throw invalid(field, 'must be a month YYYY-MM between 1900-01 and 2999-12');
  return m;
}

function money(field: string, v: number): Minor {
  try {
    return minor(v);
  } catch {
    throw new AppError('AMOUNT_OUT_OF_RANGE', `${field.split('/').pop()} is outside ±9007199254740991 minor units`, { errors: [{ field, message: 'must be an integer count of minor units within ±9007199254740991' }] });
  }
}

function put(m: MonthMap, month: string, key: string, v: Minor) {
  let inner = m.get(month);
  if (!inner) m.set(month, (inner = new Map()));
  inner.set(key, add(inner.get(key) ?? ZERO, v));
}

/** In the budget currency: an amount stored in another currency (the base currency changed) converts at the month's first day. */
function toBudget(book: RateBook, amount: bigint, from: string, budget: CurrencyCode, on: string): Minor {
  if (from === budget || amount === 0n) return amount as Minor;
  return book.convert(amount as Minor, from as CurrencyCode, budget, on);
}

/**
 * The budget from its first month through `to`; months before `from` are computed (rollover
 * needs them) but not returned. No role check: callers check the actor first.
 */
export async function computeBudgetMonths(ex: Executor, ledgerId: string, from: string, to: string): Promise<{ currency: CurrencyCode; months: BudgetMonth[] }> {
  const ledger = await ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirst();
  if (!ledger) throw notFound('ledger');
  const currency = ledger.base_currency as CurrencyCode;
  const end = monthEnd(to);
  const [book, sums, openings, tree, assignments] = await Promise.all([
    loadRateBook(ex, ledgerId),
    repo.activitySums(ex, ledgerId, currency, end),
    repo.openingBalances(ex, ledgerId),
    repo.categoryTree(ex, ledgerId),
    repo.assignmentsUpTo(ex, ledgerId, `${to}-01`),
  ]);

  let first = from;
  const activity: MonthMap = new Map();
  let missing: string | null = null;
  for (const s of sums) {
    if (s.missing && (!missing || s.missing < missing)) missing = s.missing;
    put(activity, s.month, s.category_id ?? UNCATEGORIZED, minor(s.total));
    // (A zero sum can be the rollup of other accounts taken back out: no reason to start earlier.)
    if (s.month < first && s.total !== 0n) first = s.month;
  }
  if (missing) {
    const [day, cur] = missing.split(' ');
    throw fxRateMissing(cur!, currency, day!);
  }
  const openingByMonth = new Map<string, Minor>();
  for (const o of openings) {
    const month = o.on.slice(0, 7);
    if (month > to) continue;
    const v = toBudget(book, o.opening_balance_minor, o.currency, currency, o.on);
    openingByMonth.set(month, add(openingByMonth.get(month) ?? ZERO, v));
    if (month < first) first = month;
  }
  const assigned: MonthMap = new Map();
  for (const a of assignments) {
    put(assigned, a.month, a.category_id, toBudget(book, a.assigned_minor, a.currency, currency, a.month_start));
    if (a.month < first) first = a.month;
  }
  const categories: BudgetCategory[] = tree.map((c) => ({
    id: c.id, name: c.name, groupId: c.group_id, groupName: c.group_name, isIncome: c.is_income, hidden: c.hidden || c.group_hidden,
    mode: (c.mode ?? 'envelope') as BudgetMode,
    // The standing limit converts at the requested month's first day when it was set in another currency.
    limitMinor: c.limit_minor === null ? null : toBudget(book, c.limit_minor, c.limit_currency ?? currency, currency, `${to}-01`),
  }));
  const months = computeBudget({ categories, assigned, activity, openings: openingByMonth, from: first, to });
  return { currency, months: months.filter((m) => m.month >= from) };
}

function present(m: BudgetMonth, currency: CurrencyCode) {
  const d = (v: Minor) => toDecimalString(v, currency);
  return {
    month: m.month,
    currency,
    to_be_budgeted_minor: Number(m.toBeBudgetedMinor), to_be_budgeted: d(m.toBeBudgetedMinor),
    from_last_month_minor: Number(m.fromLastMonthMinor),
    returned_from_last_month_minor: Number(m.returnedFromLastMonthMinor),
    income_minor: Number(m.incomeMinor), income: d(m.incomeMinor),
    opening_balances_minor: Number(m.openingBalancesMinor),
    uncategorized_minor: Number(m.uncategorizedMinor),
    budgeted_minor: Number(m.budgetedMinor), budgeted: d(m.budgetedMinor),
    activity_minor: Number(m.activityMinor), activity: d(m.activityMinor),
    available_minor: Number(m.availableMinor), available: d(m.availableMinor),
    categories: m.categories.map((l) => ({
      category_id: l.category.id, name: l.category.name, group_id: l.category.groupId, group_name: l.category.groupName, hidden: l.category.hidden,
      mode: l.category.mode,
      carried_over_minor: Number(l.carriedMinor),
      budgeted_minor: Number(l.budgetedMinor), budgeted: d(l.budgetedMinor),
      assigned_explicitly: l.explicit,
      activity_minor: Number(l.activityMinor), activity: d(l.activityMinor),
      available_minor: Number(l.availableMinor), available: d(l.availableMinor),
      status: l.category.mode === 'limit' ? (l.availableMinor < 0n ? 'over_limit' : 'within_limit') : l.availableMinor < 0n ? 'overspent' : 'ok',
    })),
    income_categories: m.income.map((i) => ({ category_id: i.category.id, name: i.category.name, group_id: i.category.groupId, group_name: i.category.groupName, activity_minor: Number(i.activityMinor), activity: d(i.activityMinor) })),
  };
}

export type BudgetMonthView = ReturnType<typeof present>;

async function expenseCategory(ex: Executor, ledgerId: string, id: string, field: string, asNotFound: boolean) {
  const row = isUuid(id)
    ? await ex.selectFrom('categories as c').innerJoin('category_groups as g', 'g.id', 'c.group_id').select(['c.id', 'c.name', 'g.is_income']).where('c.ledger_id', '=', ledgerId).where('c.id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw asNotFound ? notFound('category') : invalid(field, 'no such category in this ledger');
  if (row.is_income) throw new AppError('UNPROCESSABLE', `"${row.name}" is an income category; income is not budgeted (it feeds "to be budgeted")`, { errors: [{ field, message: 'an income category' }] });
  return row;
}

export function createBudgetsService(deps: { db: Db }) {
  const k = deps.db.kysely;

  async function view(ex: Executor, ledgerId: string, month: string): Promise<BudgetMonthView> {
    try {
      const { currency, months } = await computeBudgetMonths(ex, ledgerId, month, month);
      return present(months[0]!, currency);
    } catch (e) {
      if (e instanceof MoneyRangeError) throw new AppError('AMOUNT_OUT_OF_RANGE', 'a budget total is outside ±9007199254740991 minor units');
      throw e;
    }
  }

  async function write(actor: Actor, ledgerId: string, month: string, items: { categoryId: string; assignedMinor: number; field: string }[], asNotFound: boolean) {
    return k.transaction().execute(async (tx) => {
      await requireLedgerRole(tx, actor, ledgerId, 'editor');
      const { base_currency: currency } = await tx.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirstOrThrow();
      const seen = new Set<string>();
      for (const it of items) {
        const amount = money(`${it.field}/assigned_minor`, it.assignedMinor);
        await expenseCategory(tx, ledgerId, it.categoryId, `${it.field}/category_id`, asNotFound);
        if (seen.has(it.categoryId)) throw invalid(`${it.field}/category_id`, 'this category appears twice');
        seen.add(it.categoryId);
        if (amount === 0n) {
          await tx.deleteFrom('budget_assignments').where('ledger_id', '=', ledgerId).where('category_id', '=', it.categoryId).where('month', '=', `${month}-01`).execute();
        } else {
          await tx.insertInto('budget_assignments')
            .values({ ledger_id: ledgerId, category_id: it.categoryId, month: `${month}-01`, assigned_minor: amount, currency, updated_by: actor.userId })
            .onConflict((oc) => oc.columns(['ledger_id', 'category_id', 'month']).doUpdateSet({ assigned_minor: amount, currency, updated_by: actor.userId, updated_at: sql`now()` }))
            .execute();
        }
      }
      await recordAudit(tx, actor, { action: 'budget.assign', entityType: 'budget', entityId: month, ledgerId, details: { month, assignments: items.map((i) => ({ category_id: i.categoryId, assigned_minor: i.assignedMinor })) } });
      return view(tx, ledgerId, month);
    });
  }

  return {
    async month(actor: Actor, ledgerId: string, month: string): Promise<BudgetMonthView> {
      requireMonth('/params/month', month);
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return view(k, ledgerId, month);
    },

    /** Budget vs actual for every month of a range (at most 240 months). */
    async range(actor: Actor, ledgerId: string, from: string, to: string): Promise<BudgetMonthView[]> {
      requireMonth('/query/from', from);
      requireMonth('/query/to', to);
      if (from > to) throw invalid('/query/to', 'must not be before from');
      let n = 1;
      for (let m = to; m > from && n <= MAX_RANGE_MONTHS; m = previousMonth(m)) n++;
      if (n > MAX_RANGE_MONTHS) throw invalid('/query/to', `at most ${MAX_RANGE_MONTHS} months at once`);
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const { currency, months } = await computeBudgetMonths(k, ledgerId, from, to);
      return months.map((m) => present(m, currency));
    },

    /** Sets several categories' assigned amounts for a month (0 clears one). */
    async setMonth(actor: Actor, ledgerId: string, month: string, items: { categoryId: string; assignedMinor: number }[]) {
      requireMonth('/params/month', month);
      if (items.length > 1000) throw invalid('/body/categories', 'at most 1000 categories at once');
      return write(actor, ledgerId, month, items.map((it, i) => ({ ...it, field: `/body/categories/${i}` })), false);
    },

    async assign(actor: Actor, ledgerId: string, month: string, categoryId: string, assignedMinor: number) {
      requireMonth('/params/month', month);
      return write(actor, ledgerId, month, [{ categoryId, assignedMinor, field: '/body' }], true);
    },

    async settings(actor: Actor, ledgerId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const { base_currency: currency } = await k.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirstOrThrow();
      const rows = await repo.categoryTree(k, ledgerId);
      return {
        currency,
        items: rows.filter((r) => !r.is_income).map((r) => ({ category_id: r.id, name: r.name, group_id: r.group_id, group_name: r.group_name, mode: (r.mode ?? 'envelope') as BudgetMode, limit_minor: r.limit_minor === null ? null : Number(r.limit_minor), limit_currency: r.limit_minor === null ? null : r.limit_currency })),
      };
    },

    /** Envelope or spending-limit mode for one expense category (the mode applies to every month). */
    async setCategoryMode(actor: Actor, ledgerId: string, categoryId: string, input: { mode: BudgetMode; limitMinor?: number | null | undefined }) {
      if (input.mode !== 'envelope' && input.mode !== 'limit') throw invalid('/body/mode', 'must be envelope or limit');
      const limit = input.limitMinor === undefined || input.limitMinor === null ? null : money('/body/limit_minor', input.limitMinor);
      if (limit !== null && limit < 0n) throw invalid('/body/limit_minor', 'must not be negative');
      if (input.mode === 'envelope' && limit !== null) throw invalid('/body/limit_minor', 'only a limit-mode category has a standing limit');
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const cat = await expenseCategory(tx, ledgerId, categoryId, '/params/id', true);
        const { base_currency: currency } = await tx.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirstOrThrow();
        await tx.insertInto('budget_category_settings')
          .values({ ledger_id: ledgerId, category_id: categoryId, mode: input.mode, limit_minor: limit, currency, updated_by: actor.userId })
          .onConflict((oc) => oc.columns(['ledger_id', 'category_id']).doUpdateSet({ mode: input.mode, limit_minor: limit, currency, updated_by: actor.userId, updated_at: sql`now()` }))
          .execute();
        await recordAudit(tx, actor, { action: 'budget.mode', entityType: 'category', entityId: categoryId, ledgerId, details: { mode: input.mode, limit_minor: limit === null ? null : String(limit) } });
        return { category_id: cat.id, name: cat.name, mode: input.mode, limit_minor: limit === null ? null : Number(limit), limit_currency: limit === null ? null : currency };
      });
    },
  };
}

export type BudgetsService = ReturnType<typeof createBudgetsService>;
