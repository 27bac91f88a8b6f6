// Envelope budget arithmetic, pure (docs/budgets.md). Everything is in minor
// units of the budget currency; the service gathers the month sums.
//
// For each month m, in order from the first month with any data:
//   income(m)   = opening balances entering m + activity of income categories + uncategorized rows
//   budgeted    = envelope: assigned(m) or 0;  limit: assigned(m), else the standing limit, else 0
//   carried     = envelope: max(0, available(m-1));  limit: 0
//   available   = carried + budgeted + activity(m)
//   returned    = envelope: min(0, available)  (overspending);  limit: available (all of it)
//   tbb(m)      = tbb(m-1) + income(m) + returned(m-1, all categories) - Σ budgeted(m)
// Invariant: tbb(m) + Σ available(m) = every counted amount up to the end of m.
import { add, sub, sum, ZERO, type Minor } from '../money/money.ts';

export type BudgetMode = 'envelope' | 'limit';

export interface BudgetCategory {
  id: string;
  name: string;
  groupId: string;
  groupName: string;
  isIncome: boolean;
  hidden: boolean;
  mode: BudgetMode;
  /** Standing monthly limit (limit mode), in the budget currency; null when none is set. */
  limitMinor: Minor | null;
}

/** month 'YYYY-MM' -> key -> amount. */
export type MonthMap = Map<string, Map<string, Minor>>;

/** Key used in `activity` for rows without a category. */
export const UNCATEGORIZED = '';

export interface BudgetInput {
  categories: readonly BudgetCategory[];
  /** month -> category id -> assigned (already in the budget currency). */
  assigned: MonthMap;
  /** month -> category id (or UNCATEGORIZED) -> net amount of counted rows. */
  activity: MonthMap;
  /** month -> opening balances of on-budget accounts that enter the budget that month. */
  openings: Map<string, Minor>;
  /** First and last month computed, inclusive ('YYYY-MM'); `from` must not be after any data that matters. */
  from: string;
  to: string;
}

export interface CategoryLine {
  category: BudgetCategory;
  carriedMinor: Minor;
  budgetedMinor: Minor;
  /** True when this month has an explicit assignment (limit mode: overrides the standing limit). */
  explicit: boolean;
  activityMinor: Minor;
  availableMinor: Minor;
}

export interface IncomeLine {
  category: BudgetCategory;
  activityMinor: Minor;
}

export interface BudgetMonth {
  month: string;
  /** To be budgeted at the end of last month. */
  fromLastMonthMinor: Minor;
  /** What last month's envelopes hand back: overspending (negative) and limit-mode leftovers. */
  returnedFromLastMonthMinor: Minor;
  incomeMinor: Minor;
  openingBalancesMinor: Minor;
  uncategorizedMinor: Minor;
  budgetedMinor: Minor;
  activityMinor: Minor;
  availableMinor: Minor;
  toBeBudgetedMinor: Minor;
  categories: CategoryLine[];
  income: IncomeLine[];
}

export function nextMonth(m: string): string {
  let y = Number(m.slice(0, 4));
  let mo = Number(m.slice(5, 7)) + 1;
  if (mo > 12) {
    mo = 1;
    y++;
  }
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}`;
}

export function previousMonth(m: string): string {
  let y = Number(m.slice(0, 4));
  let mo = Number(m.slice(5, 7)) - 1;
  if (mo < 1) {
    mo = 12;
    y--;
  }
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}`;
}

const get = (m: MonthMap, month: string, key: string): Minor | undefined => m.get(month)?.get(key);

export function computeBudget(input: BudgetInput): BudgetMonth[] {
  const expense = input.categories.filter((c) => !c.isIncome);
  const incomeCats = input.categories.filter((c) => c.isIncome);
  const out: BudgetMonth[] = [];
  const prevAvailable = new Map<string, Minor>();
  let tbb = ZERO;
  let returned = ZERO;
  for (let month = input.from; month <= input.to; month = nextMonth(month)) {
    const acts = input.activity.get(month);
    const opening = input.openings.get(month) ?? ZERO;
    const uncategorized = acts?.get(UNCATEGORIZED) ?? ZERO;
    const income = incomeCats.map((c) => ({ category: c, activityMinor: acts?.get(c.id) ?? ZERO }));
    const incomeTotal = sum([opening, uncategorized, ...income.map((i) => i.activityMinor)]);

    const lines: CategoryLine[] = expense.map((c) => {
      const explicitAmount = get(input.assigned, month, c.id);
      const budgeted = explicitAmount ?? (c.mode === 'limit' ? (c.limitMinor ?? ZERO) : ZERO);
      const before = prevAvailable.get(c.id) ?? ZERO;
      const carried = c.mode === 'envelope' && before > 0n ? before : ZERO;
      const activity = acts?.get(c.id) ?? ZERO;
      return { category: c, carriedMinor: carried, budgetedMinor: budgeted, explicit: explicitAmount !== undefined, activityMinor: activity, availableMinor: add(add(carried, budgeted), activity) };
    });
    const budgeted = sum(lines.map((l) => l.budgetedMinor));
    const fromLast = tbb;
    tbb = sub(add(add(tbb, incomeTotal), returned), budgeted);
    out.push({
      month,
      fromLastMonthMinor: fromLast,
      returnedFromLastMonthMinor: returned,
      incomeMinor: incomeTotal,
      openingBalancesMinor: opening,
      uncategorizedMinor: uncategorized,
      budgetedMinor: budgeted,
      activityMinor: sum(lines.map((l) => l.activityMinor)),
      availableMinor: sum(lines.map((l) => l.availableMinor)),
      toBeBudgetedMinor: tbb,
      categories: lines,
      income,
    });
    returned = sum(lines.map((l) => (l.category.mode === 'limit' ? l.availableMinor : l.availableMinor < 0n ? l.availableMinor : ZERO)));
    for (const l of lines) prevAvailable.set(l.category.id, l.availableMinor);
  }
  return out;
}
