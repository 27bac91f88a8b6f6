// Component checks in the IETF health-check format, shared by the /health
// endpoints, /api/health/detailed and `finhub doctor`. A check never throws:
// a broken component is a `fail` entry. Soft problems (old backup, full-ish
// disk, queue lag) are `warn` with the threshold in `output`.
import { memoryUsage } from 'node:process';
import type { Container } from '../../app/container.ts';
import { VERSION } from '../../app/container.ts';
import { pingDb } from '../../db/create-db.ts';
import { currentMigration, pendingMigrations } from '../../db/migrator.ts';
import type { OffsiteStatus } from '../../backup/offsite/offsite.service.ts';
import { getBackupStatus, type BackupStatus } from '../../backup/status.ts';
import { commitOf } from './build-info.ts';
import { maintenanceState } from './ops-state.ts';
import { queueStats, type QueueStats } from './queue-stats.ts';
import { pingRedis } from './redis-ping.ts';
import { databaseSizeBytes, diskUsage, memoryLimitBytes, type DiskUsage } from './system.ts';
import { healthThresholds, offsiteWarnSeconds, type HealthThresholds } from './thresholds.ts';

export type Status = 'pass' | 'warn' | 'fail';

export interface Check {
  /** Which one of several components measured under the same key (an offsite target's name). */
  componentId?: string;
  componentType?: string;
  observedValue?: number | string;
  observedUnit?: string;
  status: Status;
  time: string;
  output?: string;
  /** Machine-readable facts behind `output` (times as ISO 8601). */
  details?: Record<string, string | number | null>;
}

export type Checks = Record<string, Check[]>;

export interface HealthDoc {
  status: Status;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  notes?: string[];
  output?: string;
  checks?: Checks;
}

const RANK: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };

export function worst(statuses: Iterable<Status>): Status {
  let w: Status = 'pass';
  for (const s of statuses) if (RANK[s] > RANK[w]) w = s;
  return w;
}

export function overall(checks: Checks): Status {
  return worst(Object.values(checks).flatMap((list) => list.map((c) => c.status)));
}

export function docBase(description: string): Omit<HealthDoc, 'status'> {
  return { version: VERSION.split('.')[0]!, releaseId: VERSION, serviceId: 'finhub', description };
}

/** Nearest integer for display (durations, counts); never used for money. */
export const round = (n: number) => Math.floor(n + 0.5);

const iso = () => new Date().toISOString();
const ms = (seconds: number) => Number((seconds * 1e3).toFixed(3));
const pct = (ratio: number) => `${Number((ratio * 100).toFixed(1))}%`;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatAge(seconds: number): string {
  if (seconds < 120) return `${round(seconds)} s`;
  if (seconds < 7200) return `${round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** In production, raw error text (host names, SQL) stays in the log. */
function reason(c: Container, e: unknown, what: string): string {
  c.logger.warn({ err: e }, `health: ${what} check failed`);
  return c.config.env === 'production' ? `${what} check failed (details in the server log)` : (e as Error).message;
}

function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** How long a single detail query (size, migrations, backups, queue) may take. */
const detailTimeout = (c: Container) => Math.max(2_000, c.config.readyTimeoutMs);

export async function databaseChecks(c: Container, t: HealthThresholds = healthThresholds()): Promise<Checks> {
  const time = iso();
  const out: Checks = {};
  try {
    const s = await pingDb(c.db, c.config.readyTimeoutMs);
    out['database:responseTime'] = [{ componentType: 'datastore', observedValue: ms(s), observedUnit: 'ms', status: 'pass', time }];
  } catch (e) {
    out['database:responseTime'] = [{ componentType: 'datastore', status: 'fail', time, output: reason(c, e, 'database') }];
  }
  const p = c.db.poolStats();
  const inUse = p.total - p.idle;
  const ratio = p.max > 0 ? inUse / p.max : 0;
  const high = ratio > t.poolWarn;
  out['database:connections'] = [{
    componentType: 'datastore',
    observedValue: Number((ratio * 100).toFixed(1)),
    observedUnit: 'percent',
    status: high ? 'warn' : 'pass',
    time,
    output: `${inUse} of ${p.max} in use, ${p.waiting} waiting${high ? ` (warn above ${pct(t.poolWarn)})` : ''}${c.db.engine === 'pglite' ? '; embedded: one connection, shared in turn' : ''}`,
  }];
  return out;
}

export async function cacheChecks(c: Container): Promise<Checks> {
  const time = iso();
  if (!c.config.redisUrl) return { 'cache:responseTime': [{ componentType: 'component', status: 'pass', time, output: 'in-process cache' }] };
  try {
    const s = await pingRedis(c.config.redisUrl, c.config.readyTimeoutMs);
    return { 'cache:responseTime': [{ componentType: 'datastore', observedValue: ms(s), observedUnit: 'ms', status: 'pass', time, output: 'redis' }] };
  } catch (e) {
    return { 'cache:responseTime': [{ componentType: 'datastore', status: 'fail', time, output: `redis: ${reason(c, e, 'redis')}` }] };
  }
}

export async function queueChecks(c: Container, t: HealthThresholds = healthThresholds()): Promise<{ checks: Checks; stats?: QueueStats }> {
  const time = iso();
  const started = process.hrtime.bigint();
  let s: QueueStats;
  try {
    s = await withTimeout(queueStats(c.db.kysely), detailTimeout(c), 'job queue');
  } catch (e) {
    return { checks: { 'jobs:queueDepth': [{ componentType: 'component', status: 'fail', time, output: reason(c, e, 'job queue') }] } };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lag = s.oldestQueuedAgeSeconds > t.queueLagWarnSeconds;
  const dead = s.dead > t.deadJobsWarn;
  const w = c.state.worker;
  const worker: Check = !c.config.jobsWorker
    ? { componentType: 'component', observedValue: 'disabled', status: 'pass', time, output: 'FINHUB_JOBS_WORKER=false: other processes run the jobs; queue lag shows whether they keep up' }
    : !w
      ? { componentType: 'component', observedValue: 'none', status: 'pass', time, output: 'no worker in this process (a CLI or test process); queue lag shows whether the server\'s keeps up' }
      : { componentType: 'component', observedValue: w.started ? 'running' : 'stopped', status: w.started ? 'pass' : c.state.draining ? 'pass' : 'fail', time, output: `${w.running} job(s) running in this process` };
  return {
    stats: s,
    checks: {
      'jobs:responseTime': [{ componentType: 'component', observedValue: ms(seconds), observedUnit: 'ms', status: 'pass', time }],
      'jobs:queueDepth': [{ componentType: 'component', observedValue: s.queued, observedUnit: 'jobs', status: 'pass', time, output: Object.entries(s.queuedByQueue).map(([q, n]) => `${q}: ${n}`).join(', ') || 'empty' }],
      'jobs:oldestQueuedAge': [{ componentType: 'component', observedValue: round(s.oldestQueuedAgeSeconds), observedUnit: 's', status: lag ? 'warn' : 'pass', time, ...(lag ? { output: `oldest due job waits ${formatAge(s.oldestQueuedAgeSeconds)} (warn above ${formatAge(t.queueLagWarnSeconds)})` } : {}) }],
      'jobs:running': [{ componentType: 'component', observedValue: s.running, observedUnit: 'jobs', status: 'pass', time }],
      'jobs:deadLetters': [{ componentType: 'component', observedValue: s.dead, observedUnit: 'jobs', status: dead ? 'warn' : 'pass', time, ...(dead ? { output: `${s.dead} dead job(s) need an operator (warn above ${t.deadJobsWarn})` } : {}) }],
      'jobs:worker': [worker],
    },
  };
}

/** The data directory's file system: warn from t.diskWarn used, fail from t.diskFail. */
export function diskCheck(d: DiskUsage, t: HealthThresholds, time: string = iso()): Check {
  const used = d.usedPercent / 100;
  const status: Status = used >= t.diskFail ? 'fail' : used >= t.diskWarn ? 'warn' : 'pass';
  const limits = status === 'pass' ? '' : ` (warn at ${pct(t.diskWarn)}, fail at ${pct(t.diskFail)})`;
  return { componentType: 'system', observedValue: Number(d.usedPercent.toFixed(1)), observedUnit: 'percent', status, time, output: `${formatBytes(d.freeBytes)} free of ${formatBytes(d.sizeBytes)} at ${d.path}${limits}` };
}

export async function diskChecks(c: Container, t: HealthThresholds = healthThresholds()): Promise<Checks> {
  const time = iso();
  try {
    return { 'disk:utilization': [diskCheck(await diskUsage(c.config.dataDir), t, time)] };
  } catch (e) {
    return { 'disk:utilization': [{ componentType: 'system', status: 'warn', time, output: `could not measure: ${(e as Error).message}` }] };
  }
}

export async function databaseDetailChecks(c: Container): Promise<Checks> {
  const time = iso();
  const out: Checks = {};
  try {
    const size = await withTimeout(databaseSizeBytes(c.db), detailTimeout(c), 'database size');
    out['database:size'] = [{ componentType: 'datastore', observedValue: size, observedUnit: 'bytes', status: 'pass', time, output: formatBytes(size) }];
  } catch (e) {
    out['database:size'] = [{ componentType: 'datastore', status: 'warn', time, output: reason(c, e, 'database size') }];
  }
  try {
    const [current, pending] = await withTimeout(Promise.all([currentMigration(c.db), pendingMigrations(c.db)]), detailTimeout(c), 'migration status');
    out['database:migrationVersion'] = [{
      componentType: 'datastore',
      observedValue: current ?? 'none',
      status: pending.length ? 'warn' : 'pass',
      time,
      ...(pending.length ? { output: `${pending.length} pending: ${pending.join(', ')} (run finhub migrate up)` } : {}),
    }];
  } catch (e) {
    out['database:migrationVersion'] = [{ componentType: 'datastore', status: 'warn', time, output: reason(c, e, 'migration status') }];
  }
  return out;
}

/**
 * Backup age checks: warn past the spec's thresholds; no backup at all fails
 * in production (FINHUB_ENV=production) and warns otherwise.
 */
export function backupCheckList(b: BackupStatus, env: Container['config']['env'], t: HealthThresholds, now: Date, time: string = iso()): Checks {
  const missing: Status = env === 'production' ? 'fail' : 'warn';
  const age = (at: Date | null, limit: number, what: string, how: string): Check => {
    if (!at) return { componentType: 'component', status: missing, time, output: `no ${what} yet${env === 'production' ? ' (fails in production)' : ''}; ${how}` };
    const seconds = Math.max(0, (now.getTime() - at.getTime()) / 1000);
    const old = seconds > limit;
    return { componentType: 'component', observedValue: round(seconds), observedUnit: 's', status: old ? 'warn' : 'pass', time, output: `${at.toISOString()} (${formatAge(seconds)} ago${old ? `; warn above ${formatAge(limit)}` : ''})` };
  };
  return {
    'backup:lastSuccessAge': [age(b.lastSuccessAt, t.backupSuccessWarnSeconds, 'successful backup', 'see docs/runbook.md for backups')],
    'backup:lastVerifiedAge': [age(b.lastVerifiedAt, t.backupVerifiedWarnSeconds, 'verified backup', 'verify one with a restore test')],
  };
}

export async function backupChecks(c: Container, t: HealthThresholds = healthThresholds(), now: Date = new Date()): Promise<Checks> {
  try {
    return backupCheckList(await withTimeout(getBackupStatus(c.db), detailTimeout(c), 'backup status'), c.config.env, t, now);
  } catch (e) {
    return { 'backup:lastSuccessAge': [{ componentType: 'component', status: 'warn', time: iso(), output: reason(c, e, 'backup status') }] };
  }
}

export const OFFSITE_CHECK = 'backup:offsiteCopyAge';

/**
 * One entry per configured offsite target (componentId = its name): age of its
 * newest copy, as finhub_backup_offsite_last_success_timestamp_seconds and the
 * BackupOffsite*Stale alerts see it, and its latest push attempt. Warns when
 * the copy is older than the alert's threshold, when there is none yet, or
 * when the latest attempt failed. No target configured passes and says so:
 * offsite copies are optional.
 */
export function offsiteCheckList(s: OffsiteStatus, env: Container['config']['env'], t: HealthThresholds, now: Date, time: string = iso()): Checks {
  const list: Check[] = [];
  if (s.configError) list.push({ componentId: 'configuration', componentType: 'component', status: 'warn', time, output: `offsite copies are not made: ${s.configError}` });
  if (s.targets.length === 0 && !s.configError) {
    list.push({
      componentType: 'component', observedValue: 'not configured', status: 'pass', time,
      output: 'no offsite target configured (optional: FINHUB_BACKUP_OFFSITE_DIR, FINHUB_BACKUP_S3_BUCKET; see docs/backup.md#offsite-copies)',
    });
  }
  for (const x of s.targets) {
    const limit = offsiteWarnSeconds(t, x.name);
    const seconds = x.newestCopyAt ? Math.max(0, (now.getTime() - x.newestCopyAt.getTime()) / 1000) : null;
    const old = seconds === null || seconds > limit;
    const a = x.lastAttempt;
    const failed = a?.outcome === 'failure';
    // In production raw error text (host names, paths) stays in the log, as for every other check.
    const error = failed ? (env === 'production' ? 'details in the server log (finhub logs search --since 48h --grep offsite)' : (a.error ?? 'no reason recorded')) : null;
    const copy = x.newestCopyAt
      ? `newest copy ${x.newestCopyAt.toISOString()} (${formatAge(seconds!)} ago${old ? `; warn above ${formatAge(limit)}` : ''})`
      : `no copy yet (warn: copy one with finhub backup push --to ${x.name})`;
    const attempt = !a
      ? 'no attempt recorded'
      : `last attempt ${a.at.toISOString()} ${failed ? 'FAILED' : 'succeeded'}${a.backupId ? ` (backup ${a.backupId})` : ''}${failed ? `: ${error}` : ''}`;
    list.push({
      componentId: x.name,
      componentType: 'component',
      observedValue: seconds === null ? 'none' : round(seconds),
      ...(seconds === null ? {} : { observedUnit: 's' }),
      status: old || failed ? 'warn' : 'pass',
      time,
      output: `${x.name} (${x.kind === 'directory' ? `directory ${x.where}` : x.where}): ${copy}; ${attempt}`,
      details: {
        target: x.name,
        kind: x.kind,
        where: x.where,
        newestCopyAt: x.newestCopyAt?.toISOString() ?? null,
        ageSeconds: seconds === null ? null : round(seconds),
        warnAboveSeconds: limit,
        lastAttemptAt: a?.at.toISOString() ?? null,
        lastAttemptOutcome: a?.outcome ?? null,
        lastAttemptBackup: a?.backupId ?? null,
        lastAttemptError: error,
      },
    });
  }
  return { [OFFSITE_CHECK]: list };
}

export async function offsiteChecks(c: Container, t: HealthThresholds = healthThresholds(), now: Date = new Date()): Promise<Checks> {
  try {
    return offsiteCheckList(await withTimeout(c.offsite.status(), detailTimeout(c), 'offsite copy status'), c.config.env, t, now);
  } catch (e) {
    return { [OFFSITE_CHECK]: [{ componentType: 'component', status: 'warn', time: iso(), output: reason(c, e, 'offsite copy status') }] };
  }
}

export function processChecks(c: Container, t: HealthThresholds = healthThresholds()): Checks {
  const time = iso();
  const rss = memoryUsage.rss();
  const limit = memoryLimitBytes();
  const ratio = rss / limit;
  const high = ratio > t.memoryWarn;
  return {
    'process:uptime': [{ componentType: 'system', observedValue: Math.floor(process.uptime()), observedUnit: 's', status: 'pass', time, output: `started ${c.state.startedAt.toISOString()}` }],
    'process:memory': [{ componentType: 'system', observedValue: Number((ratio * 100).toFixed(1)), observedUnit: 'percent', status: high ? 'warn' : 'pass', time, output: `${formatBytes(rss)} resident of ${formatBytes(limit)}${high ? ` (warn above ${pct(t.memoryWarn)})` : ''}` }],
  };
}

export async function maintenanceChecks(c: Container): Promise<Checks> {
  const time = iso();
  try {
    const m = await withTimeout(maintenanceState(c), detailTimeout(c), 'maintenance state');
    if (!m.on) return { 'maintenance:state': [{ componentType: 'component', observedValue: 'off', status: 'pass', time }] };
    const until = m.until ? `until ${m.until.toISOString()}` : 'until switched off';
    return { 'maintenance:state': [{ componentType: 'component', observedValue: 'on', status: 'warn', time, output: `maintenance mode is on ${until}${m.by ? ` (by ${m.by})` : ''}: ${m.message ?? ''}`.trim() }] };
  } catch (e) {
    return { 'maintenance:state': [{ componentType: 'component', status: 'warn', time, output: reason(c, e, 'maintenance state') }] };
  }
}

/** Everything an operator wants to see at once (the body of /api/health/detailed and of finhub doctor). */
export async function detailedHealth(c: Container): Promise<HealthDoc & { commit: string | null; engine: string }> {
  const t = healthThresholds();
  const parts = await Promise.all([
    databaseChecks(c, t),
    cacheChecks(c),
    queueChecks(c, t).then((q) => q.checks),
    diskChecks(c, t),
    databaseDetailChecks(c),
    backupChecks(c, t),
    offsiteChecks(c, t),
    maintenanceChecks(c),
  ]);
  const checks: Checks = Object.assign({}, ...parts, processChecks(c, t));
  if (c.state.draining) checks['process:draining'] = [{ componentType: 'system', observedValue: 'draining', status: 'fail', time: iso(), output: 'shutting down' }];
  const commit = commitOf(c.config) ?? null;
  const status = overall(checks);
  return {
    status,
    ...docBase('finhub detailed health (operators)'),
    notes: [`engine: ${c.db.engine}`, `commit: ${commit ?? 'unknown'}`, `thresholds: ${t.source}`],
    ...(status === 'pass' ? {} : { output: Object.entries(checks).filter(([, l]) => l.some((x) => x.status !== 'pass')).map(([k]) => k).join(', ') }),
    commit,
    engine: c.db.engine,
    checks,
  };
}
