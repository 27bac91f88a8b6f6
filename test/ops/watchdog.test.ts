// The watchdog end to end inside one process: finhub's own request counters ->
// the real ops/slo.yaml -> an incident (deduplicated like Alertmanager's) ->
// notifications through the job queue to real local receivers; then recovery
// resolves the incident and notifies again. Time is stepped by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWorker } from '../../src/jobs/worker.ts';
import { verifySignature, type AlertNotification } from '../../src/ops/notify/channels.ts';
import { enqueueNotifications, NOTIFY_JOB, NOTIFY_QUEUE, notifyHandler } from '../../src/ops/notify/notify.jobs.ts';
import { loadSloSpec } from '../../src/ops/slo/spec.ts';
import { startWatchdog } from '../../src/ops/watchdog/runtime.ts';
import { Watchdog, watchdogFingerprint } from '../../src/ops/watchdog/watchdog.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { httpReceiver, smtpReceiver, type HttpReceiver } from './notify-receivers.ts';

const SECRET = 'wd-secret-0123456789abcdef';
let t: TestApp;
let hook: HttpReceiver;
let slack: HttpReceiver;
let smtp: Awaited<ReturnType<typeof smtpReceiver>>;

const T0 = Date.UTC(2031, 6, 1, 12);
const S = 1000;

function requests(ok: number, failed: number) {
  const h = t.c.metrics.httpDuration;
  for (let i = 0; i < ok; i++) h.observe({ method: 'GET', route: '/api/v1/ledgers', status_code: '200' }, 0.02);
  for (let i = 0; i < failed; i++) h.observe({ method: 'GET', route: '/api/v1/ledgers', status_code: '500' }, 0.02);
}

async function deliverAll() {
  const w = new JobWorker({ db: t.c.db, queues: [NOTIFY_QUEUE], handlers: { [NOTIFY_JOB]: notifyHandler(t.c.config) }, pollMs: 20 });
  for (let round = 0; round < 50; round++) {
    await w.runOnce();
    const left = await t.c.db.kysely.selectFrom('jobs').select('id').where('queue', '=', NOTIFY_QUEUE).where('state', 'in', ['queued', 'running']).execute();
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('notifications were not delivered');
}

beforeAll(async () => {
  [hook, slack, smtp] = await Promise.all([httpReceiver(), httpReceiver(), smtpReceiver()]);
  t = await createTestApp({
    FINHUB_NOTIFY_WEBHOOK_URL: hook.url, FINHUB_NOTIFY_WEBHOOK_SECRET: SECRET, FINHUB_NOTIFY_SLACK_URL: slack.url,
    FINHUB_NOTIFY_SMTP_URL: smtp.url, FINHUB_NOTIFY_EMAIL_TO: 'oncall@example.org',
  });
});
afterAll(async () => {
  await t?.close();
  await Promise.all([hook?.close(), slack?.close(), smtp?.close()]);
});

describe('watchdog', () => {
  it('raises HighErrorRate into one incident with notifications, keeps it through a flicker, and resolves it after recovery', async () => {
    let now = T0;
    const sent: AlertNotification[] = [];
    const wd = new Watchdog({
      spec: loadSloSpec(),
      registry: t.c.metrics.registry,
      incidents: t.c.incidents,
      notify: async (n) => {
        sent.push(n);
        return enqueueNotifications(t.c.db, t.c.config, n);
      },
      intervalMs: 30_000,
      instance: 'test-host',
      now: () => now,
    });
    const step = async (ok: number, failed: number) => {
      now += 30 * S;
      requests(ok, failed);
      await wd.tick();
    };
    await wd.tick(); // baseline
    // 10% server errors for 7 minutes: HighErrorRate critical (> 5% for 2m)
    // fires; the warning (> 1% for 5m) fires later but is inhibited by it.
    for (let i = 0; i < 14; i++) await step(90, 10);
    expect(wd.evaluator.state('HighErrorRate:warning')!.phase).toBe('firing');
    const warningFp = watchdogFingerprint(wd.evaluator.alerts.find((a) => a.key === 'HighErrorRate:warning')!);
    expect(await t.c.db.kysely.selectFrom('incidents').select('id').where('fingerprint', '=', warningFp).execute()).toEqual([]);
    expect(sent.filter((n) => n.alert.name === 'HighErrorRate' && n.alert.severity === 'warning')).toEqual([]);
    const fp = watchdogFingerprint(wd.evaluator.alerts.find((a) => a.key === 'HighErrorRate:critical')!);
    expect(fp).toBe('watchdog:HighErrorRate{severity="critical"}');
    const [inc] = await t.c.db.kysely.selectFrom('incidents').selectAll().where('fingerprint', '=', fp).execute();
    expect(inc).toMatchObject({ source: 'watchdog', severity: 'P1', status: 'triggered', components: ['api'], created_by: 'watchdog' });
    expect(inc!.title).toBe('HighErrorRate: More than 5% of finhub requests fail with a server error');
    const firing = sent.filter((n) => n.event === 'firing' && n.alert.name === 'HighErrorRate' && n.alert.severity === 'critical');
    expect(firing).toHaveLength(1);
    expect(firing[0]!.alert.description).toMatch(/^10% of HTTP requests over the last 5 minutes returned 5xx/);
    expect(firing[0]!.incident?.ref).toBe(`INC-${inc!.number}`);
    expect((await t.req({ method: 'GET', url: '/metrics' })).body).toMatch(/^finhub_watchdog_alerts_firing\{alert="HighErrorRate"\} [12]$/m);

    await deliverAll();
    const hooks = hook.requests.map((r) => JSON.parse(r.body) as AlertNotification);
    expect(hooks.some((h) => h.event === 'firing' && h.alert.name === 'HighErrorRate' && h.incident?.ref === `INC-${inc!.number}`)).toBe(true);
    for (const r of hook.requests) expect(verifySignature(SECRET, r.body, r.headers['x-finhub-signature'] as string, Math.floor(Date.now() / 1000))).toBe(true);
    expect(slack.requests.some((r) => JSON.parse(r.body).text.startsWith('[FIRING] P1 HighErrorRate'))).toBe(true);
    expect(smtp.mails.some((m) => m.to.includes('oncall@example.org') && m.text.includes('[FIRING] P1 HighErrorRate'))).toBe(true);

    // Healthy traffic with one relapse while the alert is clearing: it must neither resolve nor fire again in between.
    const phase = () => wd.evaluator.state('HighErrorRate:critical')!.phase;
    await step(1000, 0);
    await step(1000, 0);
    expect(phase()).toBe('clearing');
    await step(50, 600);
    expect(phase()).toBe('firing');
    for (let i = 0; i < 30; i++) await step(1000, 0);
    expect(phase()).toBe('inactive');
    const after = await t.c.incidents.get(`INC-${inc!.number}`);
    expect(after.status).toBe('resolved');
    const statuses = after.timeline.filter((e) => e.kind === 'status').map((e) => `${e.status}:${e.actor}`);
    expect(statuses).toEqual(['triggered:watchdog', 'monitoring:watchdog', 'resolved:watchdog']);
    expect(after.timeline.at(-1)!.message).toBe('resolved by watchdog');
    expect(after.acknowledged_at).toBeNull();
    const critical = sent.filter((n) => n.alert.name === 'HighErrorRate' && n.alert.severity === 'critical');
    expect(critical.map((n) => n.event)).toEqual(['firing', 'resolved']);
    await deliverAll();
    expect(slack.requests.some((r) => JSON.parse(r.body).text.startsWith('[RESOLVED] P1 HighErrorRate'))).toBe(true);
    // One incident for the alert, however often it was evaluated.
    expect(await t.c.db.kysely.selectFrom('incidents').select('id').where('fingerprint', '=', fp).execute()).toHaveLength(1);
  });

  it('after a restart, an alert whose incident is still open resolves once the condition stays clear', async () => {
    const spec = loadSloSpec();
    const alert = spec.alerts.find((a) => a.key === 'JobsDeadLettered:warning')!;
    const fp = watchdogFingerprint(alert);
    await t.c.incidents.openFromAlert({ name: 'watchdog', actor: null }, {
      fingerprint: fp, startsAt: new Date(T0), title: 'JobsDeadLettered: left open', severity: 'P3', components: ['jobs'], labels: {}, message: 'm', digest: 'd', source: 'watchdog',
    });
    let now = T0 + 3600 * S;
    const wd = new Watchdog({ spec, registry: new (await import('prom-client')).Registry(), incidents: t.c.incidents, notify: async () => undefined, intervalMs: 30_000, now: () => now, read: async () => [] });
    await wd.resume();
    expect(wd.evaluator.state(alert.key)!.phase).toBe('firing');
    for (let i = 0; i < 12; i++) {
      now += 30 * S;
      await wd.tick();
    }
    const open = await t.c.incidents.list({ open: true, limit: 200 });
    expect(open.items.some((i) => i.fingerprint === fp)).toBe(false);
  });

  it('starts inside serve only when FINHUB_WATCHDOG is on', async () => {
    const { Registry } = await import('prom-client');
    const offRegistry = new Registry();
    const off = await startWatchdog({ ...t.c, config: { ...t.c.config, watchdogEnabled: false }, metrics: { ...t.c.metrics, registry: offRegistry } });
    expect(offRegistry.getSingleMetric('finhub_watchdog_alerts_firing')).toBeUndefined();
    await off();
    // Enabled: it loads the real spec, evaluates at once, and stops cleanly.
    const onRegistry = new Registry();
    const stop = await startWatchdog({ ...t.c, metrics: { ...t.c.metrics, registry: onRegistry } });
    const text = await onRegistry.metrics();
    expect(text).toMatch(/^finhub_watchdog_alerts_firing\{alert="HighErrorRate"\} 0$/m);
    expect(text).not.toContain('alert="FinhubDown"');
    await stop();
  });
});
