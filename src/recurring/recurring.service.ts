// Recurring bills: detect series in the history, keep schedules, list what is
// coming, and raise alerts for bills that are late or much larger than usual.
// Alerts are stored by `evaluate` (the daily `recurring.evaluate` job, or on
// demand); the upcoming list is computed live from the same rule.
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { CADENCES, type Cadence } from '../db/schema-parts/reports.ts';
import { requireLedgerRole } from '../ledger/access.ts';
import { findOrCreatePayee } from '../ledger/payees.service.ts';
import type { CurrencyCode } from '../money/currencies.ts';
import { minor, MoneyRangeError, toDecimalString, type Minor } from '../money/money.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { addDays, addMonths, monthOf, monthStart, ymd } from '../reports/periods.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { isUuid, requireDate } from '../shared/ids.ts';
import { CADENCE_RULES, nextOccurrence } from './cadence.ts';
import { DEFAULT_TOLERANCE_BP, detectSeries, type Proposal } from './detect.ts';
import { evaluateSchedule, type AlertFinding, type Evaluation } from './evaluate.ts';
import * as repo from './recurring.repository.ts';

export interface ScheduleInput {
  name?: string | undefined;
  payeeId?: string | undefined;
  payeeName?: string | undefined;
  accountId?: string | null | undefined;
  categoryId?: string | null | undefined;
  expectedAmountMinor?: number | undefined;
  toleranceBp?: number | undefined;
  cadence?: string | undefined;
  nextExpectedOn?: string | undefined;
  anchorDay?: number | undefined;
  active?: boolean | undefined;
}

const fmt = (v: bigint, currency: string) => `${toDecimalString(v as Minor, currency as CurrencyCode)} ${currency}`;

function present(s: repo.ScheduleRow, ev?: Evaluation) {
  return {
    id: s.id, ledger_id: s.ledger_id, name: s.name, payee_id: s.payee_id, payee_name: s.payee_name, account_id: s.account_id, account_name: s.account_name,
    category_id: s.category_id, category_name: s.category_name, currency: s.currency,
    expected_amount_minor: Number(s.expected_amount_minor), tolerance_bp: s.tolerance_bp, cadence: s.cadence, anchor_day: s.anchor_day,
    next_expected_on: ev?.next_expected_on ?? s.next_expected_on, last_seen_on: ev ? ev.last_seen_on : s.last_seen_on,
    active: s.active, late: ev?.late ?? false, created_at: s.created_at, updated_at: s.updated_at,
  };
}

export type ScheduleView = ReturnType<typeof present>;

function presentAlert(a: repo.AlertRow) {
  return {
    id: a.id, ledger_id: a.ledger_id, schedule_id: a.schedule_id, schedule_name: a.schedule_name, kind: a.kind, expected_on: a.expected_on,
    expected_amount_minor: Number(a.expected_amount_minor), actual_amount_minor: a.actual_amount_minor === null ? null : Number(a.actual_amount_minor),
    transaction_id: a.transaction_id, message: a.message, created_at: a.created_at, dismissed_at: a.dismissed_at,
  };
}

function presentProposal(p: Proposal, currency: string, names: { account: string | null; category: string | null }) {
  return {
    key: p.key, name: p.name, payee_id: p.payee_id, account_id: p.account_id, account_name: names.account, category_id: p.category_id, category_name: names.category,
    currency, cadence: p.cadence, expected_amount_minor: Number(p.expected_amount), tolerance_bp: p.tolerance_bp, anchor_day: p.anchor_day,
    last_seen_on: p.last_seen_on, next_expected_on: p.next_expected_on, occurrences: p.occurrences, confidence_bp: p.confidence_bp, transaction_ids: p.transaction_ids,
  };
}

function alertMessage(s: repo.ScheduleRow, f: AlertFinding): string {
  if (f.kind === 'late') return `${s.name}: the payment expected on ${f.expected_on} (${fmt(f.expected_amount, s.currency)}) has not arrived`;
  const pct = Number(((f.actual_amount! < 0n ? -f.actual_amount! : f.actual_amount!) * 100n) / (f.expected_amount < 0n ? -f.expected_amount : f.expected_amount)) - 100;
  return `${s.name}: the payment for ${f.expected_on} was ${fmt(f.actual_amount!, s.currency)}, ${pct}% more than the usual ${fmt(f.expected_amount, s.currency)}`;
}

// Payments that can still count: from a month before the next expected date on (no window is wider).
const payFrom = (s: Pick<repo.ScheduleRow, 'last_seen_on' | 'next_expected_on'>) => addDays(s.next_expected_on, -31);

export function createRecurringService(deps: { db: Db; now?: () => Date }) {
  const k = deps.db.kysely;
  const today = () => ymd((deps.now ?? (() => new Date()))());

  async function evaluated(ex: Executor, ledgerId: string, schedules: repo.ScheduleRow[], on: string) {
    const payments = await repo.paymentsFor(ex, ledgerId, schedules, payFrom);
    return schedules.map((s) => ({
      s,
      ev: s.active
        ? evaluateSchedule({ cadence: s.cadence, anchor_day: s.anchor_day, expected_amount: s.expected_amount_minor, tolerance_bp: s.tolerance_bp, next_expected_on: s.next_expected_on, last_seen_on: s.last_seen_on, last_transaction_id: s.last_transaction_id }, payments.get(s.id) ?? [], on)
        : undefined,
    }));
  }

  /** Walks every active schedule of a ledger to `on`, stores the new state and the alerts; returns the new alert ids. */
  async function evaluateLedger(tx: Executor, ledgerId: string, on: string): Promise<string[]> {
    const schedules = await repo.listSchedules(tx, ledgerId, { activeOnly: true, forUpdate: true });
    const created: string[] = [];
    for (const { s, ev } of await evaluated(tx, ledgerId, schedules, on)) {
      if (!ev) continue;
      if (ev.next_expected_on !== s.next_expected_on || ev.last_seen_on !== s.last_seen_on || ev.last_transaction_id !== s.last_transaction_id) {
        await tx.updateTable('recurring_schedules').set({ next_expected_on: ev.next_expected_on, last_seen_on: ev.last_seen_on, last_transaction_id: ev.last_transaction_id, updated_at: new Date() }).where('id', '=', s.id).execute();
      }
      created.push(...(await repo.insertAlerts(tx, ledgerId, s.id, ev.alerts.map((f) => ({ ...f, message: alertMessage(s, f) })))));
    }
    return created;
  }

  async function detect(ex: Executor, ledgerId: string, months: number, toleranceBp: number) {
    const on = today();
    const since = monthStart(addMonths(monthOf(on), -months));
    const [rows, existing] = await Promise.all([repo.historyRows(ex, ledgerId, since), repo.listSchedules(ex, ledgerId, { activeOnly: true })]);
    const covered = new Set(existing.map((s) => `${s.payee_id}|${s.account_id}|${s.cadence}`));
    return detectSeries(rows, on, toleranceBp).filter((p) => !covered.has(`${p.payee_id}|${p.account_id}|${p.cadence}`));
  }

  async function names(ex: Executor, ledgerId: string) {
    const [accounts, categories, ledger] = await Promise.all([
      ex.selectFrom('accounts').select(['id', 'name', 'currency']).where('ledger_id', '=', ledgerId).execute(),
      ex.selectFrom('categories').select(['id', 'name']).where('ledger_id', '=', ledgerId).execute(),
      ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirstOrThrow(),
    ]);
    return { accounts: new Map(accounts.map((a) => [a.id, a])), categories: new Map(categories.map((c) => [c.id, c.name])), base: ledger.base_currency };
  }

  async function checkRefs(tx: Executor, ledgerId: string, i: ScheduleInput) {
    if (i.accountId !== undefined && i.accountId !== null && (!isUuid(i.accountId) || !(await tx.selectFrom('accounts').select('id').where('ledger_id', '=', ledgerId).where('id', '=', i.accountId).executeTakeFirst()))) throw invalid('/body/account_id', 'no such account in this ledger');
    if (i.categoryId !== undefined && i.categoryId !== null && (!isUuid(i.categoryId) || !(await tx.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where('id', '=', i.categoryId).executeTakeFirst()))) throw invalid('/body/category_id', 'no such category in this ledger');
    if (i.payeeId !== undefined && (!isUuid(i.payeeId) || !(await tx.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).where('id', '=', i.payeeId).executeTakeFirst()))) throw invalid('/body/payee_id', 'no such payee in this ledger');
  }

  function checkFields(i: ScheduleInput) {
    if (i.name !== undefined && (i.name.trim().length < 1 || i.name.trim().length > 200)) throw invalid('/body/name', 'must be 1-200 characters');
    if (i.cadence !== undefined && !(CADENCES as readonly string[]).includes(i.cadence)) throw invalid('/body/cadence', `must be one of ${CADENCES.join(', ')}`);
    if (i.toleranceBp !== undefined && (!Number.isInteger(i.toleranceBp) || i.toleranceBp < 0 || i.toleranceBp > 100_000)) throw invalid('/body/tolerance_bp', 'must be a whole number of basis points from 0 to 100000');
    if (i.anchorDay !== undefined && (!Number.isInteger(i.anchorDay) || i.anchorDay < 1 || i.anchorDay > 31)) throw invalid('/body/anchor_day', 'must be a day of month 1-31');
    if (i.nextExpectedOn !== undefined) requireDate('/body/next_expected_on', i.nextExpectedOn);
    if (i.expectedAmountMinor !== undefined) {
      try {
        if (minor(i.expectedAmountMinor) === 0n) throw invalid('/body/expected_amount_minor', 'must not be zero (negative for a bill, positive for income)');
      } catch (e) {
        if (e instanceof MoneyRangeError) throw new AppError('AMOUNT_OUT_OF_RANGE', 'expected_amount_minor is outside ±9007199254740991 minor units', { errors: [{ field: '/body/expected_amount_minor', message: 'outside the supported range' }] });
        if (e instanceof AppError) throw e;
        throw invalid('/body/expected_amount_minor', 'must be an integer count of minor units');
      }
    }
  }

  return {
    async detect(actor: Actor, ledgerId: string, opts: { months?: number | undefined; toleranceBp?: number | undefined } = {}) {
      const months = opts.months ?? 25;
      if (!Number.isInteger(months) || months < 2 || months > 120) throw invalid('/query/months', 'must be a whole number of months from 2 to 120');
      const tol = opts.toleranceBp ?? DEFAULT_TOLERANCE_BP;
      if (!Number.isInteger(tol) || tol < 0 || tol > 5000) throw invalid('/query/tolerance_bp', 'must be a whole number of basis points from 0 to 5000');
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const [proposals, n] = await Promise.all([detect(k, ledgerId, months, tol), names(k, ledgerId)]);
      return {
        items: proposals.map((p) => presentProposal(p, n.accounts.get(p.account_id)?.currency ?? n.base, { account: n.accounts.get(p.account_id)?.name ?? null, category: p.category_id ? (n.categories.get(p.category_id) ?? null) : null })),
      };
    },

    /** Creates schedules from detected proposals, by key. */
    async accept(actor: Actor, ledgerId: string, keys: string[], opts: { months?: number | undefined } = {}) {
      if (keys.length === 0 || keys.length > 200) throw invalid('/body/keys', 'give 1-200 proposal keys');
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const proposals = await detect(tx, ledgerId, opts.months ?? 25, DEFAULT_TOLERANCE_BP);
        const byKey = new Map(proposals.map((p) => [p.key, p]));
        keys.forEach((key, i) => {
          if (!byKey.has(key)) throw invalid(`/body/keys/${i}`, `no current proposal with key ${key} (run detect again; accepted series are no longer proposed)`);
        });
        const ids: string[] = [];
        for (const key of new Set(keys)) {
          const p = byKey.get(key)!;
          const row = await tx.insertInto('recurring_schedules').values({
            ledger_id: ledgerId, name: p.name.slice(0, 200), payee_id: p.payee_id, account_id: p.account_id, category_id: p.category_id, expected_amount_minor: p.expected_amount,
            tolerance_bp: p.tolerance_bp, cadence: p.cadence, anchor_day: p.anchor_day, next_expected_on: p.next_expected_on, last_seen_on: p.last_seen_on,
            last_transaction_id: p.transaction_ids[p.transaction_ids.length - 1] ?? null,
          }).returning('id').executeTakeFirstOrThrow();
          ids.push(row.id);
          await recordAudit(tx, actor, { action: 'schedule.create', entityType: 'recurring_schedule', entityId: row.id, ledgerId, details: { from_proposal: key } });
        }
        const rows = await repo.listSchedules(tx, ledgerId);
        return { items: rows.filter((r) => ids.includes(r.id)).map((r) => present(r)) };
      });
    },

    async list(actor: Actor, ledgerId: string, opts: { includeInactive?: boolean | undefined } = {}) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const rows = await repo.listSchedules(k, ledgerId, { activeOnly: !opts.includeInactive });
      return { items: (await evaluated(k, ledgerId, rows, today())).map(({ s, ev }) => present(s, ev)) };
    },

    async get(actor: Actor, ledgerId: string, id: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const s = isUuid(id) ? await repo.getSchedule(k, ledgerId, id) : undefined;
      if (!s) throw notFound('schedule');
      return present(s, (await evaluated(k, ledgerId, [s], today()))[0]!.ev);
    },

    async create(actor: Actor, ledgerId: string, i: ScheduleInput) {
      checkFields(i);
      if (i.expectedAmountMinor === undefined || !i.cadence || !i.nextExpectedOn || (!i.payeeId && !i.payeeName?.trim())) {
        throw invalid('/body', 'payee_id (or payee_name), expected_amount_minor, cadence and next_expected_on are required');
      }
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        await checkRefs(tx, ledgerId, i);
        const payeeId = i.payeeId ?? (await findOrCreatePayee(tx, ledgerId, i.payeeName!));
        const payee = await tx.selectFrom('payees').select('name').where('id', '=', payeeId).executeTakeFirstOrThrow();
        const row = await tx.insertInto('recurring_schedules').values({
          ledger_id: ledgerId, name: (i.name?.trim() || payee.name).slice(0, 200), payee_id: payeeId, account_id: i.accountId ?? null, category_id: i.categoryId ?? null,
          expected_amount_minor: BigInt(i.expectedAmountMinor!), tolerance_bp: i.toleranceBp ?? DEFAULT_TOLERANCE_BP, cadence: i.cadence as Cadence,
          anchor_day: i.anchorDay ?? Number(i.nextExpectedOn!.slice(8, 10)), next_expected_on: i.nextExpectedOn!, active: i.active ?? true,
        }).returning('id').executeTakeFirstOrThrow();
        await recordAudit(tx, actor, { action: 'schedule.create', entityType: 'recurring_schedule', entityId: row.id, ledgerId, details: { cadence: i.cadence } });
        return present((await repo.getSchedule(tx, ledgerId, row.id))!);
      });
    },

    async update(actor: Actor, ledgerId: string, id: string, i: ScheduleInput) {
      checkFields(i);
      if (i.payeeName !== undefined) throw invalid('/body/payee_name', 'to change the payee, send payee_id');
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const cur = isUuid(id) ? await repo.getSchedule(tx, ledgerId, id) : undefined;
        if (!cur) throw notFound('schedule');
        await checkRefs(tx, ledgerId, i);
        await tx.updateTable('recurring_schedules').set({
          ...(i.name !== undefined ? { name: i.name.trim() } : {}),
          ...(i.payeeId !== undefined ? { payee_id: i.payeeId } : {}),
          ...(i.accountId !== undefined ? { account_id: i.accountId } : {}),
          ...(i.categoryId !== undefined ? { category_id: i.categoryId } : {}),
          ...(i.expectedAmountMinor !== undefined ? { expected_amount_minor: BigInt(i.expectedAmountMinor) } : {}),
          ...(i.toleranceBp !== undefined ? { tolerance_bp: i.toleranceBp } : {}),
          ...(i.cadence !== undefined ? { cadence: i.cadence as Cadence } : {}),
          ...(i.anchorDay !== undefined ? { anchor_day: i.anchorDay } : {}),
          ...(i.nextExpectedOn !== undefined ? { next_expected_on: i.nextExpectedOn } : {}),
          ...(i.active !== undefined ? { active: i.active } : {}),
          updated_at: new Date(),
        }).where('ledger_id', '=', ledgerId).where('id', '=', id).execute();
        await recordAudit(tx, actor, { action: 'schedule.update', entityType: 'recurring_schedule', entityId: id, ledgerId, details: { fields: Object.keys(i) } });
        return present((await repo.getSchedule(tx, ledgerId, id))!);
      });
    },

    async remove(actor: Actor, ledgerId: string, id: string): Promise<void> {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const r = isUuid(id) ? await tx.deleteFrom('recurring_schedules').where('ledger_id', '=', ledgerId).where('id', '=', id).executeTakeFirst() : undefined;
        if (!r || r.numDeletedRows === 0n) throw notFound('schedule');
        await recordAudit(tx, actor, { action: 'schedule.delete', entityType: 'recurring_schedule', entityId: id, ledgerId });
      });
    },

    /** Expected payments from the overdue ones up to `days` days ahead, computed live. */
    async upcoming(actor: Actor, ledgerId: string, opts: { days?: number | undefined } = {}) {
      const days = opts.days ?? 30;
      if (!Number.isInteger(days) || days < 0 || days > 366) throw invalid('/query/days', 'must be a whole number of days from 0 to 366');
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const on = today();
      const until = addDays(on, days);
      const rows = await repo.listSchedules(k, ledgerId, { activeOnly: true });
      const items: { schedule_id: string; name: string; payee_name: string; account_name: string | null; category_name: string | null; currency: string; due_on: string; expected_amount_minor: number; status: 'late' | 'due' | 'upcoming' }[] = [];
      for (const { s, ev } of await evaluated(k, ledgerId, rows, on)) {
        const w = CADENCE_RULES[s.cadence].window;
        for (let d = ev!.next_expected_on, n = 0; d <= until && n < 400; d = nextOccurrence(s.cadence, d, s.anchor_day), n++) {
          const status = addDays(d, w) < on ? 'late' : addDays(d, -w) <= on ? 'due' : 'upcoming';
          items.push({ schedule_id: s.id, name: s.name, payee_name: s.payee_name, account_name: s.account_name, category_name: s.category_name, currency: s.currency, due_on: d, expected_amount_minor: Number(s.expected_amount_minor), status });
        }
      }
      items.sort((a, b) => a.due_on.localeCompare(b.due_on) || a.name.localeCompare(b.name) || a.schedule_id.localeCompare(b.schedule_id));
      return { today: on, until, items };
    },

    async alerts(actor: Actor, ledgerId: string, opts: { includeDismissed?: boolean | undefined } = {}) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return { items: (await repo.listAlerts(k, ledgerId, { includeDismissed: opts.includeDismissed ?? false })).map(presentAlert) };
    },

    async dismissAlert(actor: Actor, ledgerId: string, id: string) {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const r = isUuid(id) ? await tx.updateTable('recurring_alerts').set({ dismissed_at: new Date() }).where('ledger_id', '=', ledgerId).where('id', '=', id).where('dismissed_at', 'is', null).executeTakeFirst() : undefined;
        const exists = isUuid(id) && (await tx.selectFrom('recurring_alerts').select('id').where('ledger_id', '=', ledgerId).where('id', '=', id).executeTakeFirst());
        if (!exists) throw notFound('alert');
        if (r && r.numUpdatedRows > 0n) await recordAudit(tx, actor, { action: 'alert.dismiss', entityType: 'recurring_alert', entityId: id, ledgerId });
        return presentAlert((await repo.listAlerts(tx, ledgerId, { includeDismissed: true, ids: [id] }))[0]!);
      });
    },

    /** Runs the daily evaluation for one ledger now; returns the alerts it raised. */
    async evaluate(actor: Actor, ledgerId: string) {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const ids = await evaluateLedger(tx, ledgerId, today());
        return { created: (await repo.listAlerts(tx, ledgerId, { includeDismissed: true, ids })).map(presentAlert) };
      });
    },

    /** The daily job: every ledger with active schedules, one transaction each. */
    async evaluateAll(on: string = today()): Promise<{ ledgers: number; alerts: number }> {
      const ledgers = await k.selectFrom('recurring_schedules').select('ledger_id').distinct().where('active', '=', true).execute();
      let alerts = 0;
      for (const { ledger_id } of ledgers) alerts += (await k.transaction().execute((tx) => evaluateLedger(tx, ledger_id, on))).length;
      return { ledgers: ledgers.length, alerts };
    },
  };
}

export type RecurringService = ReturnType<typeof createRecurringService>;
export type AlertView = ReturnType<typeof presentAlert>;
