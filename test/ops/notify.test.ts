// Notification channels against real receivers on 127.0.0.1 (HTTP webhook
// checking the HMAC signature, a Slack-shaped webhook, an SMTP server), and
// delivery through the job queue: retried after failures, bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import {
  sendEmail, sendSlack, sendWebhook, signBody, verifySignature, type AlertNotification,
} from '../../src/ops/notify/channels.ts';
import { enqueueNotifications, MAX_ATTEMPTS, NOTIFY_JOB, NOTIFY_QUEUE, notifyHandler } from '../../src/ops/notify/notify.jobs.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { httpReceiver, smtpReceiver, waitFor, type HttpReceiver } from './notify-receivers.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const n: AlertNotification = {
  event: 'firing',
  service: 'finhub',
  at: '2031-05-01T10:02:00.000Z',
  alert: {
    name: 'HighErrorRate', severity: 'critical', incident_severity: 'P1', summary: 'More than 5% of finhub requests fail with a server error',
    description: '7.5% of HTTP requests over the last 5 minutes returned 5xx (critical above 5%).', runbook_url: 'docs/runbook.md#higherrorrate', value: 0.075,
    labels: { alertname: 'HighErrorRate', severity: 'critical' },
  },
  incident: { id: '7c1f8a36-1111-4222-8333-944445555666', ref: 'INC-7', status: 'triggered' },
};

describe('signature', () => {
  it('is HMAC-SHA256 over "<t>.<body>" and verifies only the same body, secret and a fresh time', () => {
    const h = signBody(SECRET, '{"a":1}', 1_900_000_000);
    expect(h).toMatch(/^t=1900000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, '{"a":1}', h, 1_900_000_010)).toBe(true);
    expect(verifySignature(SECRET, '{"a":2}', h, 1_900_000_010)).toBe(false);
    expect(verifySignature('another-secret-0123456', '{"a":1}', h, 1_900_000_010)).toBe(false);
    expect(verifySignature(SECRET, '{"a":1}', h, 1_900_000_000 + 3600)).toBe(false);
    expect(verifySignature(SECRET, '{"a":1}', undefined, 1_900_000_000)).toBe(false);
  });
});

describe('channels against local receivers', () => {
  let hook: HttpReceiver;
  let slack: HttpReceiver;
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
  beforeAll(async () => {
    [hook, slack, smtp] = await Promise.all([httpReceiver(), httpReceiver(), smtpReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([hook?.close(), slack?.close(), smtp?.close()]);
  });

  it('webhook: JSON body with a signature the receiver can verify', async () => {
    await sendWebhook(hook.url, SECRET, n);
    const req = hook.requests.at(-1)!;
    expect(req.headers['content-type']).toBe('application/json');
    expect(verifySignature(SECRET, req.body, req.headers['x-finhub-signature'] as string, Math.floor(Date.now() / 1000))).toBe(true);
    expect(JSON.parse(req.body)).toEqual(n);
    // Without a secret the body is the same and unsigned.
    await sendWebhook(hook.url, undefined, n);
    expect(hook.requests.at(-1)!.headers['x-finhub-signature']).toBeUndefined();
    hook.failWith.push(502);
    await expect(sendWebhook(hook.url, SECRET, n)).rejects.toThrow(/answered HTTP 502/);
  });

  it('Slack: an incoming-webhook payload with text and an attachment', async () => {
    await sendSlack(slack.url, n);
    const body = JSON.parse(slack.requests.at(-1)!.body);
    expect(body.text).toBe('[FIRING] P1 HighErrorRate: More than 5% of finhub requests fail with a server error (INC-7)');
    expect(body.attachments[0]).toMatchObject({ color: '#c62828', title: n.alert.summary });
    expect(body.attachments[0].text).toContain('Runbook: docs/runbook.md#higherrorrate');
  });

  it('email: delivered over SMTP with subject, recipients and the runbook', async () => {
    await sendEmail(smtp.url, 'finhub@example.org', 'ops@example.org, oncall@example.org', { ...n, event: 'resolved' });
    await waitFor('the mail', () => smtp.mails.length === 1);
    const m = smtp.mails[0]!;
    expect(m.from).toBe('finhub@example.org');
    expect(m.to).toEqual(['ops@example.org', 'oncall@example.org']);
    expect(m.text).toContain('Subject: [finhub] [RESOLVED] P1 HighErrorRate: More than 5% of finhub requests fail with a server error (INC-7)');
    expect(m.text).toContain('Runbook: docs/runbook.md#higherrorrate');
    expect(m.text).toContain('finhub incident show INC-7');
  });
});

describe('delivery through the job queue', () => {
  let tdb: TestDb;
  let hook: HttpReceiver;
  let slack: HttpReceiver;
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
  let config: Config;
  beforeAll(async () => {
    tdb = await createTestDb();
    [hook, slack, smtp] = await Promise.all([httpReceiver(), httpReceiver(), smtpReceiver()]);
    config = loadConfig({
      FINHUB_NOTIFY_WEBHOOK_URL: hook.url, FINHUB_NOTIFY_WEBHOOK_SECRET: SECRET, FINHUB_NOTIFY_SLACK_URL: slack.url,
      FINHUB_NOTIFY_SMTP_URL: smtp.url, FINHUB_NOTIFY_EMAIL_TO: 'ops@example.org', FINHUB_NOTIFY_EMAIL_FROM: 'watchdog@example.org',
    });
  });
  afterAll(async () => {
    await Promise.all([hook?.close(), slack?.close(), smtp?.close()]);
    await tdb?.cleanup();
  });

  const worker = () => new JobWorker({ db: tdb.db, queues: [NOTIFY_QUEUE], handlers: { [NOTIFY_JOB]: notifyHandler(config) }, pollMs: 20, backoff: { baseMs: 20, factor: 1, capMs: 20 } });
  const jobs = () => tdb.db.kysely.selectFrom('jobs').select(['payload', 'state', 'attempts', 'last_error']).where('queue', '=', NOTIFY_QUEUE).execute();
  /** Polls the queue until every notification job has finished (succeeded or dead). */
  async function settled() {
    const start = Date.now();
    for (;;) {
      const rows = await jobs();
      if (rows.length > 0 && rows.every((r) => r.state === 'succeeded' || r.state === 'dead')) return rows;
      if (Date.now() - start > 20_000) throw new Error(`jobs did not finish: ${JSON.stringify(rows.map((r) => r.state))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('sends one job per configured channel and retries a failing channel alone until it succeeds', async () => {
    hook.failWith.push(500, 503);
    expect(await enqueueNotifications(tdb.db, config, n)).toEqual(['webhook', 'slack', 'email']);
    const w = worker();
    w.start();
    let rows;
    try {
      rows = await settled();
    } finally {
      await w.stop();
    }
    expect([hook.requests.length, slack.requests.length, smtp.mails.length]).toEqual([3, 1, 1]);
    const byChannel = Object.fromEntries(rows.map((r) => [(r.payload as { channel: string }).channel, r]));
    expect(byChannel.webhook).toMatchObject({ state: 'succeeded', attempts: 3 });
    expect(byChannel.webhook!.last_error).toMatch(/HTTP 503/);
    expect(byChannel.slack).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(byChannel.email).toMatchObject({ state: 'succeeded', attempts: 1 });
    // Every attempt of the webhook was signed over its exact body.
    for (const r of hook.requests) expect(verifySignature(SECRET, r.body, r.headers['x-finhub-signature'] as string, Math.floor(Date.now() / 1000))).toBe(true);
  });

  it('gives up after a bounded number of attempts (the job is dead, with the error kept)', async () => {
    await tdb.db.kysely.deleteFrom('jobs').execute();
    hook.requests.length = 0;
    hook.failWith.push(...Array(MAX_ATTEMPTS + 5).fill(500));
    await enqueueNotifications(tdb.db, { ...config, notifySlackUrl: undefined, notifySmtpUrl: undefined }, n);
    const w = worker();
    w.start();
    let rows;
    try {
      rows = await settled();
    } finally {
      await w.stop();
    }
    const [row] = rows;
    expect(row).toMatchObject({ state: 'dead', attempts: MAX_ATTEMPTS });
    expect(row!.last_error).toMatch(/HTTP 500/);
    expect(hook.requests).toHaveLength(MAX_ATTEMPTS);
    hook.failWith.length = 0;
  });
});
