// The Alertmanager webhook: its own bearer token, one incident per alert
// fingerprint, repeats on the timeline, resolution through monitoring, and
// redeliveries changing nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../../src/app/container.ts';
import { loadConfig } from '../../src/config/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/ops/logs/logger.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const TOKEN = 'am-test-token-0123456789abcdef';
let t: TestApp;
let admin: Awaited<ReturnType<TestApp['user']>>;

function alert(over: Partial<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; fingerprint: string }> = {}) {
  return {
    status: 'firing',
    labels: { alertname: 'HighErrorRate', severity: 'critical', incident_severity: 'P1', service: 'finhub', component: 'api', instance: 'app-1:8080', ...(over.labels ?? {}) },
    annotations: { summary: 'More than 5% of requests fail', description: '7.5% of requests returned 5xx', runbook_url: 'docs/runbook.md#higherrorrate', ...(over.annotations ?? {}) },
    startsAt: over.startsAt ?? '2031-05-01T10:00:00Z',
    endsAt: over.endsAt ?? '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.internal:9090/graph?g0.expr=x',
    fingerprint: over.fingerprint ?? 'a1b2c3d4e5f60718',
    ...(over.status ? { status: over.status } : {}),
  };
}

const payload = (alerts: object[], status = 'firing') => ({
  version: '4', groupKey: '{}:{alertname="HighErrorRate"}', truncatedAlerts: 0, status, receiver: 'finhub',
  groupLabels: { alertname: 'HighErrorRate' }, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager.internal:9093', alerts,
});

const post = (body: object, token: string | null = TOKEN) =>
  t.req({ method: 'POST', url: '/api/v1/ops/alertmanager', payload: body, headers: token ? { authorization: `Bearer ${token}` } : {} });

const incidentOf = async (fingerprint: string) => {
  const rows = await t.c.db.kysely.selectFrom('incidents').select(['id', 'number', 'status']).where('fingerprint', '=', fingerprint).orderBy('triggered_at').execute();
  return rows;
};
const detail = async (id: string) => (await t.req({ method: 'GET', url: `/api/v1/ops/incidents/${id}`, token: admin.token })).body;

beforeAll(async () => {
  t = await createTestApp({ FINHUB_ALERTMANAGER_TOKEN: TOKEN });
  admin = await t.user(undefined, { admin: true });
});
afterAll(async () => {
  await t?.close();
});

describe('POST /api/v1/ops/alertmanager', () => {
  it('answers 401 problem+json to a missing, wrong or user token, and creates nothing', async () => {
    const user = await t.user(undefined, { admin: true });
    for (const [label, token] of [['none', null], ['wrong', 'am-test-token-0123456789abcdeX'], ['prefix', TOKEN.slice(0, -1)], ["an admin's personal token", user.token]] as const) {
      const r = await post(payload([alert({ fingerprint: 'unauth' })]), token);
      expect(r.status, label).toBe(401);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('UNAUTHENTICATED');
    }
    const basic = await t.req({ method: 'POST', url: '/api/v1/ops/alertmanager', payload: payload([alert({ fingerprint: 'unauth' })]), headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    expect(await incidentOf('unauth')).toEqual([]);
  });

  it('is refused while no token is configured', async () => {
    // A second app on the same database, configured without the token.
    const config = loadConfig({ LOG_LEVEL: 'silent', FINHUB_ENV: 'test' });
    const app = await buildApp(await createContainer(config, { db: t.tdb.db, logger: createLogger(config) }));
    try {
      const r = await app.inject({ method: 'POST', url: '/api/v1/ops/alertmanager', payload: payload([alert({ fingerprint: 'no-token' })]), headers: { authorization: 'Bearer anything-at-all-here' } });
      expect(r.statusCode).toBe(401);
      expect(r.json().detail).toMatch(/FINHUB_ALERTMANAGER_TOKEN is not set/);
      expect(await incidentOf('no-token')).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('opens one incident per fingerprint, ignores an identical redelivery, notes a changed repeat, resolves through monitoring', async () => {
    const fp = 'f00dfeed00000001';
    const first = await post(payload([alert({ fingerprint: fp })]));
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([{ fingerprint: fp, status: 'firing', outcome: 'opened', incident: expect.stringMatching(/^INC-\d+$/) }]);
    const [row] = await incidentOf(fp);
    const opened = await detail(row!.id);
    expect(opened).toMatchObject({ severity: 'P1', status: 'triggered', source: 'alertmanager', created_by: 'alertmanager', title: 'HighErrorRate: More than 5% of requests fail', components: ['api'] });
    expect(opened.labels.instance).toBe('app-1:8080');
    expect(opened.timeline[0].message).toContain('7.5% of requests returned 5xx');
    expect(opened.timeline[0].message).toContain('runbook: docs/runbook.md#higherrorrate');

    // Alertmanager retries a delivery it thinks failed: nothing changes.
    const again = await post(payload([alert({ fingerprint: fp })]));
    expect(again.body.results[0].outcome).toBe('unchanged');
    expect(await incidentOf(fp)).toHaveLength(1);
    expect((await detail(row!.id)).timeline).toHaveLength(1);

    // A repeat notification with new content adds a timeline entry to the same incident.
    const repeat = await post(payload([alert({ fingerprint: fp, annotations: { description: '9.1% of requests returned 5xx' } })]));
    expect(repeat.body.results[0].outcome).toBe('updated');
    const afterRepeat = await detail(row!.id);
    expect(afterRepeat.timeline.map((e: { kind: string }) => e.kind)).toEqual(['status', 'alert']);
    expect(afterRepeat.timeline[1].message).toContain('9.1%');

    // An operator acknowledges; the alert then resolves.
    await t.req({ method: 'POST', url: `/api/v1/ops/incidents/${row!.id}/ack`, token: admin.token });
    const resolved = await post(payload([alert({ fingerprint: fp, status: 'resolved', endsAt: '2031-05-01T10:20:00Z' })], 'resolved'));
    expect(resolved.body.results[0]).toMatchObject({ outcome: 'resolved', incident: `INC-${row!.number}` });
    const closed = await detail(row!.id);
    expect(closed.status).toBe('resolved');
    const statuses = closed.timeline.filter((e: { kind: string }) => e.kind === 'status');
    expect(statuses.map((e: { status: string }) => e.status)).toEqual(['triggered', 'acknowledged', 'monitoring', 'resolved']);
    expect(statuses[2].message).toContain('2031-05-01T10:20:00.000Z');
    expect(statuses[3]).toMatchObject({ actor: 'alertmanager', message: 'resolved by Alertmanager' });
    expect(closed.mtta_seconds).not.toBeNull();

    // Redelivered resolved and firing notices of that same occurrence change nothing.
    expect((await post(payload([alert({ fingerprint: fp, status: 'resolved', endsAt: '2031-05-01T10:20:00Z' })], 'resolved'))).body.results[0].outcome).toBe('ignored');
    expect((await post(payload([alert({ fingerprint: fp })]))).body.results[0].outcome).toBe('ignored');
    expect(await incidentOf(fp)).toHaveLength(1);
    // A new occurrence of the alert (a later startsAt) is a new incident.
    expect((await post(payload([alert({ fingerprint: fp, startsAt: '2031-05-02T08:00:00Z' })]))).body.results[0].outcome).toBe('opened');
    const both = await incidentOf(fp);
    expect(both.map((r) => r.status)).toEqual(['resolved', 'triggered']);
  });

  it('an unacknowledged alert that clears is resolved without counting as acknowledged', async () => {
    const fp = 'f00dfeed00000002';
    await post(payload([alert({ fingerprint: fp, labels: { severity: 'warning', incident_severity: 'P3' } })]));
    await post(payload([alert({ fingerprint: fp, status: 'resolved', endsAt: '2031-05-01T10:05:00Z' })], 'resolved'));
    const [row] = await incidentOf(fp);
    const d = await detail(row!.id);
    expect(d).toMatchObject({ severity: 'P3', status: 'resolved', acknowledged_at: null, mtta_seconds: null });
    expect(d.mttr_seconds).not.toBeNull();
  });

  it('maps severity from incident_severity, else critical to P1 and warning to P3, and reads the component label', async () => {
    const cases: [Record<string, string>, string, string[]][] = [
      [{ alertname: 'Custom', severity: 'warning', incident_severity: 'P0', component: 'database, jobs, mainframe' }, 'P0', ['database', 'jobs']],
      [{ alertname: 'Custom', severity: 'critical', incident_severity: 'P7' }, 'P1', []],
      [{ alertname: 'BackupTooOld', severity: 'warning', component: 'backups' }, 'P3', ['backups']],
      [{ alertname: 'Custom', severity: 'info' }, 'P3', []],
    ];
    const body = payload(cases.map(([labels], n) => ({ ...alert({ fingerprint: `sev-${n}` }), labels })));
    const r = await post(body);
    expect(r.body.received).toBe(4);
    for (const [n, [, severity, components]] of cases.entries()) {
      const [row] = await incidentOf(`sev-${n}`);
      expect(await detail(row!.id), `case ${n}`).toMatchObject({ severity, components });
    }
  });

  it('opens a single incident when the same alert arrives twice at once', async () => {
    const fp = 'f00dfeed00000003';
    const rs = await Promise.all([post(payload([alert({ fingerprint: fp })])), post(payload([alert({ fingerprint: fp })]))]);
    expect(rs.map((r) => r.status)).toEqual([200, 200]);
    expect(rs.map((r) => r.body.results[0].outcome).sort()).toEqual(['opened', 'unchanged']);
    expect(await incidentOf(fp)).toHaveLength(1);
  });

  it('rejects malformed payloads with 400 naming the field', async () => {
    const v3 = await post({ ...payload([alert()]), version: '3' });
    expect(v3.status).toBe(400);
    expect(v3.body.errors[0].field).toBe('/body/version');
    const noFp = await post(payload([{ ...alert(), fingerprint: undefined }]));
    expect(noFp.status).toBe(400);
    expect(noFp.body.errors[0].field).toBe('/body/alerts/0/fingerprint');
    const badTime = await post(payload([alert({ startsAt: 'yesterday' })]));
    expect(badTime.status).toBe(400);
    expect(badTime.body.errors[0].field).toBe('/body/alerts/0/startsAt');
  });
});
