// Ledger reports (docs/reports.md). Each report runs in one read-only
// REPEATABLE READ transaction, so its numbers come from one snapshot even
// while imports write: the rollups, the base rows and the account sums it
// combines always agree with each other.
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { invalid } from '../shared/app-error.ts';
import { isUuid } from '../shared/ids.ts';
import { balancesReport, netWorthReport } from './balances.ts';
import { budgetReport } from './budget.ts';
import { reportContext, type ReportContext, type ReportInput } from './context.ts';
import { cashflowReport, payeesReport, spendingReport, trendReport, type FlowKind } from './flows.ts';

export type { ReportInput } from './context.ts';
export const FLOW_KINDS: readonly FlowKind[] = ['expense', 'income', 'all'];

export interface TrendInput extends ReportInput {
  by?: 'category' | 'group' | undefined;
  /** Category (or group) ids; "none" is the uncategorized line. Default: the `top` biggest expense lines. */
  ids?: string[] | undefined;
  top?: number | undefined;
}

function kindOf(kind: string | undefined): FlowKind {
  if (kind === undefined) return 'expense';
  if (!(FLOW_KINDS as readonly string[]).includes(kind)) throw invalid('/query/kind', `must be one of ${FLOW_KINDS.join(', ')}`);
  return kind as FlowKind;
}

export function createReportsService(deps: { db: Db; now?: () => Date }) {
  const k = deps.db.kysely;
  const now = deps.now ?? (() => new Date());
  const snapshot = () => k.transaction().setIsolationLevel('repeatable read').setAccessMode('read only');
  const run = <T>(actor: Actor, ledgerId: string, input: ReportInput, body: (ctx: ReportContext) => Promise<T>): Promise<T> =>
    snapshot().execute(async (tx) => body(await reportContext(tx, actor, ledgerId, input, now())));

  return {
    /** Spending (or income) by category by month. */
    spending: (actor: Actor, ledgerId: string, input: ReportInput & { kind?: string | undefined }) => {
      const kind = kindOf(input.kind);
      return run(actor, ledgerId, input, (ctx) => spendingReport(ctx, kind));
    },
    /** Income, expense and net per month. */
    cashflow: (actor: Actor, ledgerId: string, input: ReportInput) => run(actor, ledgerId, input, cashflowReport),
    /** Net worth at the end of every month, converted to one currency. */
    netWorth: (actor: Actor, ledgerId: string, input: ReportInput) => run(actor, ledgerId, input, netWorthReport),
    /** Budget vs actual per category and month, from the envelope budget (src/budgets). */
    budget: (actor: Actor, ledgerId: string, input: ReportInput) => snapshot().execute((tx) => budgetReport(tx, actor, ledgerId, input, now())),
    /** Every account's balance at the end of every month. */
    balances: (actor: Actor, ledgerId: string, input: ReportInput) => run(actor, ledgerId, input, balancesReport),
    /** The payees most money went to (or came from). */
    payees: (actor: Actor, ledgerId: string, input: ReportInput & { kind?: string | undefined; limit?: number | undefined }) => {
      const kind = kindOf(input.kind);
      const limit = input.limit ?? 10;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('/query/limit', 'must be a whole number from 1 to 1000');
      return run(actor, ledgerId, input, (ctx) => payeesReport(ctx, { kind, limit }));
    },
    /** Monthly series of chosen categories (or groups) with average, extremes and month-over-month change. */
    trend: (actor: Actor, ledgerId: string, input: TrendInput) => {
      const by = input.by ?? 'category';
      if (by !== 'category' && by !== 'group') throw invalid('/query/by', 'must be category or group');
      const top = input.top ?? 5;
      if (!Number.isInteger(top) || top < 1 || top > 100) throw invalid('/query/top', 'must be a whole number from 1 to 100');
      const ids = input.ids?.length ? input.ids : undefined;
      if (ids && ids.length > 100) throw invalid('/query/ids', 'at most 100 ids');
      ids?.forEach((id, i) => {
        if (id !== 'none' && !isUuid(id)) throw invalid(`/query/ids/${i}`, 'must be a UUID or "none"');
      });
      return run(actor, ledgerId, input, (ctx) => trendReport(ctx, { by, ids, top }));
    },
  };
}

export type ReportsService = ReturnType<typeof createReportsService>;
