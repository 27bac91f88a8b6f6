// Starts the watchdog and the notification worker inside `finhub serve`
// (FINHUB_WATCHDOG, FINHUB_WATCHDOG_INTERVAL_SECONDS). Returns a closer.
import type { Container } from '../../app/container.ts';
import { JobWorker } from '../../jobs/worker.ts';
import { configuredChannels } from '../notify/channels.ts';
import { enqueueNotifications, NOTIFY_JOB, NOTIFY_QUEUE, notifyHandler } from '../notify/notify.jobs.ts';
import { loadSloSpec, type SloSpec } from '../slo/spec.ts';
import { Watchdog } from './watchdog.ts';

export async function startWatchdog(c: Container, opts: { spec?: SloSpec } = {}): Promise<() => Promise<void>> {
  if (!c.config.watchdogEnabled) return async () => {};
  let spec: SloSpec;
  try {
    spec = opts.spec ?? loadSloSpec();
  } catch (err) {
    c.logger.error({ err }, 'watchdog not started: the SLO spec could not be loaded');
    return async () => {};
  }
  const log = c.logger.child({ component: 'watchdog' });
  const channels = configuredChannels(c.config);
  if (c.config.notifyWebhookUrl && !c.config.notifyWebhookSecret) log.warn({}, 'FINHUB_NOTIFY_WEBHOOK_SECRET is not set: webhook notifications are sent unsigned');
  if (c.config.notifySmtpUrl && !c.config.notifyEmailTo) log.warn({}, 'FINHUB_NOTIFY_SMTP_URL is set but FINHUB_NOTIFY_EMAIL_TO is not: no alert emails are sent');

  const watchdog = new Watchdog({
    spec,
    registry: c.metrics.registry,
    incidents: c.incidents,
    notify: (n) => enqueueNotifications(c.db, c.config, n),
    intervalMs: c.config.watchdogIntervalSeconds * 1000,
    logger: log,
  });
  try {
    await watchdog.resume();
  } catch (err) {
    log.warn({ err }, 'watchdog: could not read open incidents; alerts start from inactive');
  }
  watchdog.start();

  // Work the notification queue even without channels: jobs queued while one was configured still go out.
  const worker = new JobWorker({
    db: c.db,
    queues: [NOTIFY_QUEUE],
    handlers: { [NOTIFY_JOB]: notifyHandler(c.config, log) },
    concurrency: 2,
    pollMs: Math.max(c.config.jobsPollMs, 1000),
    visibilityMs: 120_000,
    logger: log,
    backoff: { baseMs: 5000, factor: 2, capMs: 300_000 },
  });
  worker.start();
  log.info({ alerts: watchdog.evaluator.alerts.length, intervalSeconds: c.config.watchdogIntervalSeconds, channels }, 'watchdog started');
  return async () => {
    await watchdog.stop();
    await worker.stop({ timeoutMs: c.config.shutdownTimeoutMs });
  };
}
