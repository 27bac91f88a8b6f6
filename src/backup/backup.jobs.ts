// The in-server backup schedule on the durable job queue: backup every 6 h,
// verify the newest backup daily (level 3), a restore drill monthly, pruning
// daily, each cron configurable (FINHUB_BACKUP_*_SCHEDULE, "off" disables).
// The handlers go through the backup service, so every run lands in the
// catalogue (and from there in metrics and health) like a CLI run would.
// A failed run throws: the job is retried with backoff and shows up in the
// job metrics, and after its last attempt as a dead job.
import type { Config } from '../config/config.ts';
import type { Executor } from '../jobs/jobs.repository.ts';
import { upsertSchedule, type ScheduleInput } from '../jobs/scheduler.ts';
import type { JobHandler } from '../jobs/worker.ts';
import type { BackupService } from './backup.service.ts';
import { loadRecipients } from './keys.ts';
import type { VerifyLevel } from './verify.ts';

export const BACKUP_JOBS = {
  create: 'backup.create',
  verify: 'backup.verify',
  drill: 'backup.drill',
  prune: 'backup.prune',
} as const;

const DEFAULT_CRON = { create: '0 */6 * * *', verify: '30 4 * * *', drill: '0 5 1 * *', prune: '15 5 * * *' } as const;

/** The four schedules; a schedule whose cron is "off", or that lacks the keys it needs, is stored disabled. */
export function backupSchedules(config: Config, has: { recipients: boolean; identity: boolean }): ScheduleInput[] {
  const s = (key: keyof typeof BACKUP_JOBS, cron: string, needs: boolean): ScheduleInput => ({
    name: BACKUP_JOBS[key],
    jobName: BACKUP_JOBS[key],
    cron: cron === 'off' ? DEFAULT_CRON[key] : cron,
    enabled: cron !== 'off' && needs,
  });
  return [
    s('create', config.backupSchedule, has.recipients),
    // Without the private key only level 1 is possible; the handler says so.
    s('verify', config.backupVerifySchedule, has.recipients),
    s('drill', config.backupDrillSchedule, has.recipients && has.identity),
    s('prune', config.backupPruneSchedule, true),
  ];
}

export async function registerBackupSchedules(ex: Executor, config: Config, log?: { warn(obj: object, msg: string): void }): Promise<ScheduleInput[]> {
  const recipients = (await loadRecipients(config).catch(() => [])).length > 0;
  const schedules = backupSchedules(config, { recipients, identity: !!config.backupIdentityFile });
  for (const s of schedules) await upsertSchedule(ex, s);
  if (!recipients) log?.warn({ schedules: schedules.map((s) => s.name) }, 'backups are not configured (FINHUB_BACKUP_RECIPIENTS): scheduled backups are disabled');
  return schedules;
}

export function backupJobHandlers(c: { config: Config; backups: BackupService }): Record<string, JobHandler> {
  return {
    [BACKUP_JOBS.create]: async () => {
      const b = await c.backups.create({ kind: 'scheduled' });
      return { id: b.id, bytes: b.size, seconds: b.seconds };
    },
    [BACKUP_JOBS.verify]: async () => {
      const id = await c.backups.latestId();
      if (!id) throw new Error(`no backup to verify in ${c.backups.dir}`);
      const level = (c.config.backupIdentityFile ? c.config.backupVerifyLevel : 1) as VerifyLevel;
      const r = await c.backups.verify(id, level);
      if (!r.ok) throw new Error(`backup ${id} failed verification at level ${r.levelReached + 1}: ${r.problems.join('; ')}`);
      return { id, level: r.levelReached, note: c.config.backupIdentityFile ? undefined : 'level 1 only: FINHUB_BACKUP_IDENTITY_FILE is not set' };
    },
    [BACKUP_JOBS.drill]: async () => {
      const d = await c.backups.drill();
      if (!d.report.ok) throw new Error(`restore drill of ${d.backupId} failed: ${d.report.problems.join('; ')}`);
      return { id: d.backupId, rto_seconds: d.restoreSeconds, rpo_seconds: d.rpoSeconds };
    },
    [BACKUP_JOBS.prune]: async () => {
      const r = await c.backups.prune();
      return { removed: r.removed, kept: r.plan.keep.length };
    },
  };
}
