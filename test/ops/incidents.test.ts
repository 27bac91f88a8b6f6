// Incidents through the operator API and the service: lifecycle rules,
// timeline, audit, MTTA/MTTR, post-mortem, list filters and the open-incident gauge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentsService } from '../../src/ops/incidents/incidents.service.ts';
import { incidentStats } from '../../src/ops/incidents/incidents.stats.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let admin: Awaited<ReturnType<TestApp['user']>>;
let plain: Awaited<ReturnType<TestApp['user']>>;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, token = admin.token) =>
  t.req({ method, url: `/api/v1/ops${url}`, token, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.user('ops-admin@example.com', { admin: true });
  plain = await t.user();
});
afterAll(async () => {
  await t?.close();
});

describe('incident lifecycle over the API', () => {
  it('opens, acknowledges, investigates, identifies, monitors and resolves, with a timeline entry and an audit row per change', async () => {
    const open = await api('POST', '/incidents', { title: 'Imports fail for camt files', severity: 'P2', components: ['imports', 'api'], note: 'reported by two users' });
    expect(open.status).toBe(201);
    const id = open.body.id as string;
    expect(open.body).toMatchObject({ status: 'triggered', severity: 'P2', components: ['api', 'imports'], created_by: 'ops-admin@example.com', response_target_seconds: 4 * 3600, mtta_seconds: null, mttr_seconds: null });
    expect(open.body.ref).toBe(`INC-${open.body.number}`);
    expect(open.body.allowed_next).toEqual(['acknowledged', 'investigating', 'identified', 'monitoring', 'resolved']);

    expect((await api('POST', `/incidents/${open.body.ref}/ack`, { note: 'on it' })).body.status).toBe('acknowledged');
    expect((await api('PATCH', `/incidents/${id}`, { status: 'investigating' })).body.status).toBe('investigating');
    expect((await api('PATCH', `/incidents/${open.body.number}`, { status: 'identified', note: 'the parser rejects BOMs', root_cause: 'BOM handling' })).body.status).toBe('identified');
    expect((await api('PATCH', `/incidents/${id}`, { note: 'fix deployed to staging' })).body.status).toBe('identified');
    expect((await api('PATCH', `/incidents/${id}`, { status: 'monitoring' })).body.status).toBe('monitoring');
    const done = await api('POST', `/incidents/${id}/resolve`, { resolution: 'strip the BOM before parsing' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'resolved', resolution: 'strip the BOM before parsing', root_cause: 'BOM handling', allowed_next: [] });
    expect(done.body.mtta_seconds).toBeGreaterThanOrEqual(0);
    expect(done.body.mttr_seconds).toBeGreaterThanOrEqual(done.body.mtta_seconds);

    const shown = await api('GET', `/incidents/${id}`);
    const tl = shown.body.timeline as { kind: string; status: string | null; message: string; actor: string }[];
    expect(tl.map((e) => (e.kind === 'status' ? e.status : e.kind))).toEqual(['triggered', 'acknowledged', 'investigating', 'field', 'identified', 'note', 'monitoring', 'resolved']);
    expect(tl[0]!.message).toBe('reported by two users');
    expect(tl[3]!.message).toBe('Root cause: BOM handling');
    expect(tl.every((e) => e.actor === 'ops-admin@example.com')).toBe(true);

    const audit = await t.c.db.kysely.selectFrom('audit_events').select(['action', 'actor_user_id']).where('entity_id', '=', id).orderBy('at').orderBy('id').execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['incident.ack', 'incident.note', 'incident.open', 'incident.resolve', 'incident.status', 'incident.status', 'incident.status', 'incident.update'].sort());
    expect(audit.every((a) => a.actor_user_id === admin.id)).toBe(true);
  });

  it('refuses illegal transitions with 409 naming the allowed ones, and changes nothing', async () => {
    const { body: i } = await api('POST', '/incidents', { title: 'Slow ledger list', severity: 'P3' });
    const again = await api('PATCH', `/incidents/${i.id}`, { status: 'triggered' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toMatch(/problem\+json/);
    expect(again.body).toMatchObject({ code: 'CONFLICT', status: 409, current_status: 'triggered', requested_status: 'triggered' });
    await api('POST', `/incidents/${i.id}/ack`);
    const twice = await api('POST', `/incidents/${i.id}/ack`);
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toMatch(/is acknowledged; it cannot move to acknowledged \(allowed: investigating, identified, monitoring, resolved\)/);
    await api('POST', `/incidents/${i.id}/resolve`);
    const reopen = await api('PATCH', `/incidents/${i.id}`, { status: 'investigating' });
    expect(reopen.status).toBe(409);
    expect(reopen.body.detail).toMatch(/resolved incidents are final/);
    const after = await api('GET', `/incidents/${i.id}`);
    expect(after.body.status).toBe('resolved');
    expect(after.body.timeline).toHaveLength(3);
  });

  it('monitoring may fall back to investigating when the fix did not hold', async () => {
    const { body: i } = await api('POST', '/incidents', { title: 'Backups late', severity: 'P2', components: ['backups'] });
    await api('PATCH', `/incidents/${i.id}`, { status: 'monitoring' });
    expect((await api('PATCH', `/incidents/${i.id}`, { status: 'investigating', note: 'late again' })).body.status).toBe('investigating');
    expect((await api('PATCH', `/incidents/${i.id}`, { status: 'acknowledged' })).status).toBe(409);
    await api('POST', `/incidents/${i.id}/resolve`);
  });

  it('answers bad input with 400 naming the field, unknown ids with 404', async () => {
    const bad = await api('POST', '/incidents', { title: 'x', severity: 'P9' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('/body/severity');
    const comp = await api('POST', '/incidents', { title: 'x', severity: 'P1', components: ['mainframe'] });
    expect(comp.status).toBe(400);
    expect(comp.body.errors[0].field).toMatch(/^\/body\/components/);
    const nothing = await api('PATCH', '/incidents/INC-1', {});
    expect(nothing.status).toBe(400);
    for (const ref of ['INC-999999', '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const r = await api('GET', `/incidents/${ref}`);
      expect(r.status, ref).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
    }
  });

  it('is for administrators only', async () => {
    expect((await api('GET', '/incidents', undefined, plain.token)).status).toBe(403);
    expect((await api('POST', '/incidents', { title: 'x', severity: 'P1' }, plain.token)).status).toBe(403);
    expect((await t.req({ method: 'GET', url: '/api/v1/ops/incidents' })).status).toBe(401);
  });

  it('lists newest first with status filters and keyset pages', async () => {
    const made: string[] = [];
    for (let n = 0; n < 3; n++) made.push((await api('POST', '/incidents', { title: `list ${n}`, severity: 'P1' })).body.id);
    const open = await api('GET', '/incidents?status=open&limit=200');
    expect(open.status).toBe(200);
    expect((open.body.items as { status: string }[]).every((i) => i.status !== 'resolved')).toBe(true);
    expect((open.body.items as { id: string }[]).slice(0, 3).map((i) => i.id)).toEqual([...made].reverse());
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; next_cursor: string | null } } = await api('GET', `/incidents?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    const all = await api('GET', '/incidents?limit=200');
    expect(seen).toEqual((all.body.items as { id: string }[]).map((i) => i.id));
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of made) await api('POST', `/incidents/${id}/resolve`);
    expect((await api('GET', '/incidents?cursor=garbage')).status).toBe(400);
  });

  it('exposes open incidents by severity as finhub_incidents_open', async () => {
    const before = await t.c.incidents.countOpenBySeverity();
    const { body } = await api('POST', '/incidents', { title: 'gauge', severity: 'P0' });
    const text = (await t.req({ method: 'GET', url: '/metrics' })).body as string;
    expect(text).toContain(`finhub_incidents_open{severity="P0"} ${before.P0 + 1}`);
    await api('POST', `/incidents/${body.id}/resolve`);
  });
});

describe('MTTA, MTTR and the post-mortem', () => {
  it('computes per-incident and aggregated figures from the recorded times', async () => {
    let now = new Date('2031-03-01T10:00:00Z');
    const svc = createIncidentsService({ db: t.c.db, now: () => now });
    const who = { name: 'cli:ops', actor: null };
    const at = (iso: string) => (now = new Date(iso));

    at('2031-03-01T10:00:00Z');
    const a = await svc.open(who, { title: 'A', severity: 'P1', components: ['api'] });
    at('2031-03-01T10:10:00Z');
    await svc.ack(who, a.ref);
    at('2031-03-01T11:00:00Z');
    const ar = await svc.resolve(who, a.ref, { note: 'fixed' });
    expect(ar.mtta_seconds).toBe(600);
    expect(ar.mttr_seconds).toBe(3600);
    expect(ar.ack_target_missed).toBe(false);

    at('2031-03-02T00:00:00Z');
    const b = await svc.open(who, { title: 'B', severity: 'P0', components: ['database'] });
    at('2031-03-02T00:30:00Z'); // 30 min: the P0 target is 15 min
    await svc.update(who, b.ref, { status: 'investigating' });
    at('2031-03-02T03:00:00Z');
    await svc.resolve(who, b.ref);

    at('2031-03-03T00:00:00Z');
    await svc.open(who, { title: 'C still open', severity: 'P3' });
    at('2031-03-03T00:05:00Z');

    const s = await incidentStats(t.c.db, { from: new Date('2031-03-01T00:00:00Z'), to: new Date('2031-03-04T00:00:00Z') }, now);
    expect(s.total).toBe(3);
    expect(s.open).toBe(1);
    expect(s.resolved).toBe(2);
    expect(s.mtta).toEqual({ count: 2, meanSeconds: (600 + 1800) / 2, medianSeconds: 1200, maxSeconds: 1800 });
    expect(s.mttr).toEqual({ count: 2, meanSeconds: (3600 + 10800) / 2, medianSeconds: 7200, maxSeconds: 10800 });
    expect(s.bySeverity.P0).toMatchObject({ total: 1, mtta: { meanSeconds: 1800 } });
    expect(s.bySeverity.P2.total).toBe(0);
    expect(s.ackTargetMissed).toBe(1);
    // The same through the API, and an empty period.
    const r = await api('GET', '/incidents/stats?from=2031-03-01T00:00:00Z&to=2031-03-04T00:00:00Z');
    expect(r.body).toMatchObject({ total: 3, open: 1, mttr: { mean_seconds: 7200 }, mtta: { median_seconds: 1200 } });
    expect((await incidentStats(t.c.db.kysely, { from: new Date('2040-01-01'), to: new Date('2040-02-01') })).mttr.meanSeconds).toBeNull();

    const md = await svc.postmortem(b.ref);
    expect(md).toMatch(new RegExp(`^# Post-mortem: ${b.ref} B`));
    expect(md).toContain('| Time to acknowledge (MTTA) | 30 min — response target missed |');
    expect(md).toContain('| Time to resolve (MTTR) | 3 h |');
    for (const h of ['Summary', 'Impact', 'Root cause', 'Trigger', 'Resolution', 'Detection', 'Action items', 'Lessons learned', 'Timeline']) expect(md).toContain(`## ${h}\n`);
    expect(md).toContain(`TODO: fill in with \`finhub incident update ${b.ref} --root-cause "…"\``);
    expect(md).toContain('| 2031-03-02T00:30:00.000Z | cli:ops | **investigating** |');
    await svc.update(who, b.ref, { fields: { root_cause: 'a runaway | query', lessons_learned: 'line one\nline two' } });
    const filled = await svc.postmortem(b.ref);
    expect(filled).toContain('## Root cause\n\na runaway | query\n');
    expect(filled).toContain('## Lessons learned\n\nline one\nline two\n');
    expect(filled).not.toContain('--root-cause "…"');
    // Field changes after resolution are allowed (post-mortem work) and appear in the timeline, escaped for the table.
    expect(filled).toContain('Root cause: a runaway \\| query');

    const viaApi = await t.app.inject({ method: 'GET', url: `/api/v1/ops/incidents/${b.id}/postmortem`, headers: { authorization: `Bearer ${admin.token}` } });
    expect(viaApi.headers['content-type']).toMatch(/^text\/markdown/);
    expect(viaApi.body).toBe(filled);
  });
});
