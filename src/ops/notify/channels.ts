// Where the watchdog's alert notifications go: a generic JSON webhook signed
// with HMAC-SHA256, a Slack-compatible incoming webhook, and email over SMTP.
// Each sender throws on failure; the job queue retries (notify.jobs.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Config } from '../../config/config.ts';

export interface AlertNotification {
  event: 'firing' | 'resolved';
  service: string;
  /** When the watchdog saw the change (ISO 8601). */
  at: string;
  alert: {
    name: string;
    severity: string;
    incident_severity: string;
    summary: string;
    description: string;
    runbook_url: string;
    value: number | null;
    labels: Record<string, string>;
  };
  incident: { id: string; ref: string; status: string } | null;
}

export type ChannelName = 'webhook' | 'slack' | 'email';

type NotifyConfig = Pick<Config, 'notifyWebhookUrl' | 'notifyWebhookSecret' | 'notifySlackUrl' | 'notifySmtpUrl' | 'notifyEmailTo' | 'notifyEmailFrom'>;

export function configuredChannels(config: NotifyConfig): ChannelName[] {
  const out: ChannelName[] = [];
  if (config.notifyWebhookUrl) out.push('webhook');
  if (config.notifySlackUrl) out.push('slack');
  if (config.notifySmtpUrl && config.notifyEmailTo) out.push('email');
  return out;
}

export const SIGNATURE_HEADER = 'x-finhub-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp lets receivers refuse replays. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Receiver side of signBody: true when the header matches and is at most `toleranceSeconds` old. */
export function verifySignature(secret: string, body: string, header: string | undefined, nowSeconds: number, toleranceSeconds = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signBody(secret, body, t).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

const TIMEOUT_MS = 10_000;

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'finhub-watchdog', ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  // Drain the body so the connection is released.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`${new URL(url).host} answered HTTP ${res.status}`);
}

export function headline(n: AlertNotification): string {
  const state = n.event === 'firing' ? 'FIRING' : 'RESOLVED';
  return `[${state}] ${n.alert.incident_severity} ${n.alert.name}: ${n.alert.summary}${n.incident ? ` (${n.incident.ref})` : ''}`;
}

export function plainText(n: AlertNotification): string {
  const facts = [
    `Severity: ${n.alert.severity} (incident ${n.alert.incident_severity})`,
    ...(n.alert.value === null ? [] : [`Value: ${n.alert.value}`]),
    `Runbook: ${n.alert.runbook_url}`,
    ...(n.incident ? [`Incident: ${n.incident.ref} (${n.incident.status}); see: finhub incident show ${n.incident.ref}`] : []),
    `At: ${n.at}`,
  ];
  return [headline(n), '', n.alert.description, '', ...facts].join('\n');
}

export async function sendWebhook(url: string, secret: string | undefined, n: AlertNotification, nowSeconds = Math.floor(Date.now() / 1000)): Promise<void> {
  const body = JSON.stringify(n);
  await post(url, body, secret ? { [SIGNATURE_HEADER]: signBody(secret, body, nowSeconds) } : {});
}

/** Slack's incoming-webhook JSON (also understood by Mattermost and Rocket.Chat). */
export function slackPayload(n: AlertNotification): { text: string; attachments: { color: string; title: string; text: string; footer: string }[] } {
  return {
    text: headline(n),
    attachments: [{ color: n.event === 'firing' ? (n.alert.severity === 'critical' ? '#c62828' : '#f9a825') : '#2e7d32', title: n.alert.summary, text: `${n.alert.description}\nRunbook: ${n.alert.runbook_url}`, footer: `${n.service} watchdog · ${n.at}` }],
  };
}

export async function sendSlack(url: string, n: AlertNotification): Promise<void> {
  await post(url, JSON.stringify(slackPayload(n)), {});
}

export async function sendEmail(smtpUrl: string, from: string, to: string, n: AlertNotification): Promise<void> {
  const transport = createTransport({ url: smtpUrl, connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS });
  try {
    await transport.sendMail({ from, to: to.split(',').map((a) => a.trim()), subject: `[${n.service}] ${headline(n)}`, text: plainText(n) });
  } finally {
    transport.close();
  }
}

export async function sendTo(channel: ChannelName, config: NotifyConfig, n: AlertNotification): Promise<void> {
  switch (channel) {
    case 'webhook':
      if (!config.notifyWebhookUrl) throw new Error('FINHUB_NOTIFY_WEBHOOK_URL is not set');
      return sendWebhook(config.notifyWebhookUrl, config.notifyWebhookSecret, n);
    case 'slack':
      if (!config.notifySlackUrl) throw new Error('FINHUB_NOTIFY_SLACK_URL is not set');
      return sendSlack(config.notifySlackUrl, n);
    case 'email':
      if (!config.notifySmtpUrl || !config.notifyEmailTo) throw new Error('FINHUB_NOTIFY_SMTP_URL and FINHUB_NOTIFY_EMAIL_TO must be set');
      return sendEmail(config.notifySmtpUrl, config.notifyEmailFrom ?? 'finhub@localhost', config.notifyEmailTo, n);
  }
}
