// Queries for recurring bills. Every function is scoped by ledger_id.
import { sql, type Selectable } from 'kysely';
import type { RecurringAlertsTable, RecurringSchedulesTable } from '../db/schema-parts/reports.ts';
import type { Executor } from '../shared/executor.ts';
import type { HistoryRow } from './detect.ts';
import type { AlertFinding, Payment } from './evaluate.ts';

export type ScheduleRow = Selectable<RecurringSchedulesTable> & { payee_name: string; account_name: string | null; category_name: string | null; currency: string };
export type AlertRow = Selectable<RecurringAlertsTable> & { schedule_name: string };

/** Top-level, non-transfer rows with a payee since `since` (a split counts whole for its payee). */
export async function historyRows(ex: Executor, ledgerId: string, since: string): Promise<HistoryRow[]> {
  const r = await sql<HistoryRow & { amount_minor: bigint }>`
    select t.id, t.posted_on, t.amount_minor, t.payee_id, p.name as payee_name, t.account_id,
           case when t.is_split then (select min(s.category_id::text)::uuid from transactions s where s.parent_id = t.id) else t.category_id end as category_id
      from transactions t join payees p on p.id = t.payee_id
     where t.ledger_id = ${ledgerId} and t.parent_id is null and t.transfer_peer_id is null and t.payee_id is not null and t.posted_on >= ${since}`.execute(ex);
  return r.rows.map((x) => ({ ...x, amount: BigInt(x.amount_minor) }));
}

function schedulesQuery(ex: Executor, ledgerId: string) {
  return ex
    .selectFrom('recurring_schedules as s')
    .innerJoin('payees as p', 'p.id', 's.payee_id')
    .leftJoin('accounts as a', 'a.id', 's.account_id')
    .leftJoin('categories as c', 'c.id', 's.category_id')
    .innerJoin('ledgers as l', 'l.id', 's.ledger_id')
    .selectAll('s')
    .select(['p.name as payee_name', 'a.name as account_name', 'c.name as category_name', sql<string>`coalesce(a.currency, l.base_currency)`.as('currency')])
    .where('s.ledger_id', '=', ledgerId);
}

export async function listSchedules(ex: Executor, ledgerId: string, opts: { activeOnly?: boolean; forUpdate?: boolean } = {}): Promise<ScheduleRow[]> {
  let q = schedulesQuery(ex, ledgerId).orderBy('s.next_expected_on').orderBy('s.id');
  if (opts.activeOnly) q = q.where('s.active', '=', true);
  if (opts.forUpdate) q = q.forUpdate('s');
  return q.execute() as Promise<ScheduleRow[]>;
}

export async function getSchedule(ex: Executor, ledgerId: string, id: string): Promise<ScheduleRow | undefined> {
  return schedulesQuery(ex, ledgerId).where('s.id', '=', id).executeTakeFirst() as Promise<ScheduleRow | undefined>;
}

/** Rows of the schedules' payees (in their accounts when set) since `since`, grouped by schedule id. */
export async function paymentsFor(ex: Executor, ledgerId: string, schedules: Pick<ScheduleRow, 'id' | 'payee_id' | 'account_id' | 'last_seen_on' | 'next_expected_on'>[], since: (s: Pick<ScheduleRow, 'last_seen_on' | 'next_expected_on'>) => string): Promise<Map<string, Payment[]>> {
  const out = new Map<string, Payment[]>(schedules.map((s) => [s.id, []]));
  if (schedules.length === 0) return out;
  const json = JSON.stringify(schedules.map((s) => ({ id: s.id, payee_id: s.payee_id, account_id: s.account_id, since: since(s) })));
  const r = await sql<{ schedule_id: string; id: string; posted_on: string; amount_minor: bigint }>`
    select x.id as schedule_id, t.id, t.posted_on, t.amount_minor
      from jsonb_to_recordset(${json}::jsonb) as x(id uuid, payee_id uuid, account_id uuid, since date)
      join transactions t on t.ledger_id = ${ledgerId} and t.payee_id = x.payee_id and t.parent_id is null and t.transfer_peer_id is null
                         and (x.account_id is null or t.account_id = x.account_id) and t.posted_on >= x.since`.execute(ex);
  for (const p of r.rows) out.get(p.schedule_id)?.push({ id: p.id, posted_on: p.posted_on, amount: BigInt(p.amount_minor) });
  return out;
}

export async function insertAlerts(ex: Executor, ledgerId: string, scheduleId: string, findings: (AlertFinding & { message: string })[]): Promise<string[]> {
  if (findings.length === 0) return [];
  const r = await ex
    .insertInto('recurring_alerts')
    .values(findings.map((f) => ({
      ledger_id: ledgerId, schedule_id: scheduleId, kind: f.kind, expected_on: f.expected_on, expected_amount_minor: f.expected_amount,
      actual_amount_minor: f.actual_amount, transaction_id: f.transaction_id, message: f.message,
    })))
    .onConflict((oc) => oc.columns(['schedule_id', 'kind', 'expected_on']).doNothing())
    .returning('id')
    .execute();
  return r.map((x) => x.id);
}

export async function listAlerts(ex: Executor, ledgerId: string, opts: { includeDismissed: boolean; ids?: string[] }): Promise<AlertRow[]> {
  let q = ex
    .selectFrom('recurring_alerts as r')
    .innerJoin('recurring_schedules as s', 's.id', 'r.schedule_id')
    .selectAll('r')
    .select('s.name as schedule_name')
    .where('r.ledger_id', '=', ledgerId)
    .orderBy('r.expected_on', 'desc')
    .orderBy('r.id', 'desc')
    .limit(500);
  if (!opts.includeDismissed) q = q.where('r.dismissed_at', 'is', null);
  if (opts.ids) q = opts.ids.length ? q.where('r.id', 'in', opts.ids) : q.where(sql<boolean>`false`);
  return q.execute();
}
