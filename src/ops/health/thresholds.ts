// Health-check thresholds come from the same SLO spec as the alert rules
// (ops/slo.yaml), so a health warning and an alert never disagree. The
// built-in values are used only when the spec cannot be read, and say so.
import { loadSloSpec, type SloSpec } from '../slo/spec.ts';

export interface HealthThresholds {
  /** Share of the data directory's file system in use (0-1). */
  diskWarn: number;
  diskFail: number;
  /** Share of the database pool in use (0-1). */
  poolWarn: number;
  /** Oldest due queued job, seconds. */
  queueLagWarnSeconds: number;
  /** Dead letters above this count warn. */
  deadJobsWarn: number;
  /** Resident memory over the memory limit (0-1). */
  memoryWarn: number;
  backupSuccessWarnSeconds: number;
  backupVerifiedWarnSeconds: number;
  /** Age of the newest offsite copy, per target name (the BackupOffsite*Stale alerts); `backupOffsiteDefaultWarnSeconds` for a target no alert names. */
  backupOffsiteWarnSeconds: Readonly<Record<string, number>>;
  backupOffsiteDefaultWarnSeconds: number;
  /** 5xx share of requests (0-1). */
  errorRateWarn: number;
  /** Where the numbers came from. */
  source: string;
}

export const BUILT_IN_THRESHOLDS: HealthThresholds = {
  diskWarn: 0.8,
  diskFail: 0.95,
  poolWarn: 0.8,
  queueLagWarnSeconds: 600,
  deadJobsWarn: 0,
  memoryWarn: 0.9,
  backupSuccessWarnSeconds: 26 * 3600,
  backupVerifiedWarnSeconds: 26 * 3600,
  backupOffsiteWarnSeconds: {},
  backupOffsiteDefaultWarnSeconds: 26 * 3600,
  errorRateWarn: 0.01,
  source: 'built-in',
};

/** Reads each threshold from the spec's alert `name:severity`, keeping the built-in value where the alert is absent. */
export function thresholdsFromSpec(spec: SloSpec): HealthThresholds {
  const t = { ...BUILT_IN_THRESHOLDS, source: 'ops/slo.yaml' };
  const pick = (key: string): number | undefined => spec.alerts.find((a) => a.key === key)?.condition.threshold;
  t.diskWarn = pick('DiskSpaceLow:warning') ?? t.diskWarn;
  t.diskFail = pick('DiskSpaceLow:critical') ?? t.diskFail;
  t.poolWarn = pick('DatabaseConnectionsHigh:warning') ?? t.poolWarn;
  t.queueLagWarnSeconds = pick('JobQueueLag:warning') ?? t.queueLagWarnSeconds;
  t.deadJobsWarn = pick('JobsDeadLettered:warning') ?? t.deadJobsWarn;
  t.memoryWarn = pick('MemoryHigh:warning') ?? t.memoryWarn;
  t.backupSuccessWarnSeconds = pick('BackupTooOld:warning') ?? t.backupSuccessWarnSeconds;
  t.backupVerifiedWarnSeconds = pick('BackupNotVerified:warning') ?? t.backupVerifiedWarnSeconds;
  t.errorRateWarn = pick('HighErrorRate:warning') ?? t.errorRateWarn;
  // BackupOffsiteDirStale, BackupOffsiteS3Stale, …: one warning per target, told apart by the target label.
  const offsite: Record<string, number> = {};
  for (const a of spec.alerts) {
    if (a.severity !== 'warning' || a.condition.kind !== 'age' || a.condition.selector.metric !== OFFSITE_METRIC) continue;
    const target = a.condition.selector.labels.find((l) => l.name === 'target' && l.op === '=')?.value;
    if (target) offsite[target] = a.condition.threshold;
  }
  t.backupOffsiteWarnSeconds = offsite;
  // The alerts agree on one age today; a target without an alert of its own gets the largest.
  const ages = Object.values(offsite);
  if (ages.length) t.backupOffsiteDefaultWarnSeconds = Math.max(...ages);
  return t;
}

const OFFSITE_METRIC = 'finhub_backup_offsite_last_success_timestamp_seconds';

/** The age above which a target's newest offsite copy warns. */
export function offsiteWarnSeconds(t: HealthThresholds, target: string): number {
  return t.backupOffsiteWarnSeconds[target] ?? t.backupOffsiteDefaultWarnSeconds;
}

let loaded: HealthThresholds | undefined;

export function healthThresholds(): HealthThresholds {
  if (!loaded) {
    try {
      loaded = thresholdsFromSpec(loadSloSpec());
    } catch (e) {
      loaded = { ...BUILT_IN_THRESHOLDS, source: `built-in (ops/slo.yaml unreadable: ${(e as Error).message.split('\n')[0]})` };
    }
  }
  return loaded;
}
