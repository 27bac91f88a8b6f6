// Maintenance mode, stored in the database so it survives restarts and every
// server of a PostgreSQL installation sees it. Requests consult an in-memory
// copy that is at most `cacheMs` old (default 1 s); a change made in another
// process is therefore seen within about a second, one made in this process
// (including CLI commands forwarded over the control socket) at once. A window
// with an end time switches itself off when that time passes.
import type { Logger } from 'pino';
import type { Db } from '../../db/create-db.ts';
import { AppError, invalid } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/executor.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { OpsActor } from '../incidents/model.ts';

export interface MaintenanceStatus {
  on: boolean;
  id?: string;
  /** Shown to users (503 bodies, status page). */
  message?: string;
  /** Internal: why the operator switched it on (audit, CLI, admin API). */
  reason?: string | null;
  since?: Date;
  /** Switches itself off at this time; absent = until switched off. */
  until?: Date | null;
  by?: string;
}

export interface MaintenanceService {
  status(): Promise<MaintenanceStatus>;
  /** Uncached read (CLI, admin API). */
  statusFresh(): Promise<MaintenanceStatus>;
  set(who: OpsActor, input: { message: string; until?: Date | undefined; reason?: string | undefined }): Promise<MaintenanceStatus>;
  /** Switches it off; `wasOn` false when it was already off (nothing is recorded then). */
  clear(who: OpsActor, input?: { reason?: string | undefined }): Promise<{ wasOn: boolean; status: MaintenanceStatus }>;
}

/** Retry-After when the window has no end time. */
export const DEFAULT_RETRY_AFTER_SECONDS = 300;

/** "90s", "30m", "2h", "1d", "1h30m" from now, or an ISO 8601 time with a zone. */
export function parseUntil(text: string, now: Date): Date {
  const t = text.trim();
  const rel = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (rel && t !== '') {
    const [d, h, m, s] = rel.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
    const ms = (((d * 24 + h) * 60 + m) * 60 + s) * 1000;
    if (ms <= 0) throw invalid('/body/until', 'must be a positive duration such as 30m, 2h, 1d');
    return new Date(now.getTime() + ms);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const d = new Date(t);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw invalid('/body/until', `"${text}" is neither a duration (30m, 2h, 1d) nor an ISO time with a zone (2026-01-31T18:00:00Z)`);
}

export function retryAfterSeconds(s: MaintenanceStatus, now: Date): number {
  if (!s.until) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.max(1, Math.ceil((s.until.getTime() - now.getTime()) / 1000));
}

type WindowRow = { id: string; message: string; reason: string | null; starts_at: Date; ends_at: Date | null; started_by: string };

export function createMaintenanceService(deps: { db: Db; logger?: Logger; cacheMs?: number; now?: () => Date }): MaintenanceService {
  const k = deps.db.kysely;
  const now = deps.now ?? (() => new Date());
  const cacheMs = deps.cacheMs ?? 1000;
  let cached: { at: number; window: WindowRow | undefined } | undefined;
  let inflight: Promise<WindowRow | undefined> | undefined;

  const openWindow = (ex: Executor, lock = false) => {
    let q = ex.selectFrom('maintenance_windows').select(['id', 'message', 'reason', 'starts_at', 'ends_at', 'started_by']).where('ended_at', 'is', null);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  };

  const view = (w: WindowRow | undefined, at: Date): MaintenanceStatus => {
    if (!w || (w.ends_at && w.ends_at <= at)) return { on: false };
    return { on: true, id: w.id, message: w.message, reason: w.reason, since: w.starts_at, until: w.ends_at, by: w.started_by };
  };

  async function refresh(): Promise<WindowRow | undefined> {
    inflight ??= openWindow(k)
      .then((w) => {
        cached = { at: Date.now(), window: w };
        return w;
      })
      .finally(() => (inflight = undefined));
    return inflight;
  }

  /** Closes the open window, if any: at its end time when that has passed, else now. Returns it when it was still on. */
  async function closeOpen(ex: Executor, who: OpsActor, reason: string | null, at: Date): Promise<WindowRow | undefined> {
    const w = await openWindow(ex, true);
    if (!w) return undefined;
    const expired = w.ends_at !== null && w.ends_at <= at;
    await ex
      .updateTable('maintenance_windows')
      .set({ ended_at: expired ? w.ends_at! : at, ended_by: expired ? 'expired' : who.name, end_reason: expired ? 'end time reached' : reason })
      .where('id', '=', w.id)
      .execute();
    return expired ? undefined : w;
  }

  return {
    async status() {
      if (cached && Date.now() - cached.at < cacheMs) return view(cached.window, now());
      try {
        return view(await refresh(), now());
      } catch (err) {
        // Fail open on the last known state: a database hiccup must not turn every write into a 500.
        deps.logger?.warn({ err }, 'maintenance: reading the state failed; using the last known state');
        return view(cached?.window, now());
      }
    },

    async statusFresh() {
      return view(await refresh(), now());
    },

    async set(who, input) {
      const message = input.message.trim();
      if (message.length < 1 || message.length > 500) throw invalid('/body/message', 'must be 1-500 characters');
      const reason = input.reason?.trim() || null;
      if (reason && reason.length > 2000) throw invalid('/body/reason', 'must be at most 2000 characters');
      const at = now();
      if (input.until && input.until <= at) throw invalid('/body/until', 'must be in the future');
      try {
        await k.transaction().execute(async (tx) => {
          const replaced = await closeOpen(tx, who, 'replaced by a new maintenance window', at);
          const row = await tx
            .insertInto('maintenance_windows')
            .values({ message, reason, starts_at: replaced ? replaced.starts_at : at, ends_at: input.until ?? null, started_by: who.name })
            .returning('id')
            .executeTakeFirstOrThrow();
          await recordAudit(tx, who.actor, {
            action: 'maintenance.on',
            entityType: 'maintenance',
            entityId: row.id,
            details: { by: who.name, message, reason, until: input.until?.toISOString() ?? null, replaced: replaced?.id ?? null },
          });
        });
      } catch (e) {
        if ((e as { code?: string }).code === '23505') throw new AppError('CONFLICT', 'maintenance mode was changed at the same time; retry');
        throw e;
      }
      cached = undefined;
      return view(await refresh(), now());
    },

    async clear(who, input = {}) {
      const reason = input.reason?.trim() || null;
      const at = now();
      const closed = await k.transaction().execute(async (tx) => {
        const w = await closeOpen(tx, who, reason, at);
        if (w) await recordAudit(tx, who.actor, { action: 'maintenance.off', entityType: 'maintenance', entityId: w.id, details: { by: who.name, reason } });
        return w;
      });
      cached = undefined;
      return { wasOn: closed !== undefined, status: view(await refresh(), now()) };
    },
  };
}
