// Notifications travel through the durable job queue: one job per channel, so
// a failing channel is retried on its own (exponential backoff, at most
// MAX_ATTEMPTS tries) without repeating the others, and a notification queued
// just before a restart is still delivered. They use their own queue, worked
// by the watchdog's runtime, so they flow even when FINHUB_JOBS_WORKER=false.
import type { Config } from '../../config/config.ts';
import type { Db } from '../../db/create-db.ts';
import { enqueue } from '../../jobs/jobs.repository.ts';
import type { JobHandler } from '../../jobs/worker.ts';
import { configuredChannels, sendTo, type AlertNotification, type ChannelName } from './channels.ts';

export const NOTIFY_QUEUE = 'ops-notify';
export const NOTIFY_JOB = 'ops.notify';
export const MAX_ATTEMPTS = 6;

export async function enqueueNotifications(db: Db, config: Config, n: AlertNotification): Promise<ChannelName[]> {
  const channels = configuredChannels(config);
  for (const channel of channels) {
    await enqueue(db.kysely, { name: NOTIFY_JOB, queue: NOTIFY_QUEUE, payload: { channel, notification: n }, maxAttempts: MAX_ATTEMPTS });
  }
  return channels;
}

export interface NotifyLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
}

export function notifyHandler(config: Config, logger?: NotifyLogger): JobHandler {
  return async (payload, ctx) => {
    const channel = payload.channel as ChannelName;
    const n = payload.notification as AlertNotification;
    try {
      await sendTo(channel, config, n);
      logger?.info({ channel, alert: n.alert.name, event: n.event, attempt: ctx.attempt }, 'notification sent');
    } catch (err) {
      logger?.warn({ channel, alert: n.alert.name, event: n.event, attempt: ctx.attempt, of: MAX_ATTEMPTS, error: (err as Error).message }, 'notification failed; it is retried');
      throw err;
    }
  };
}
