// The public status page: Statuspage-shaped JSON, components derived from
// open incidents and maintenance, no internal details, error budget, caching.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSloSpec } from '../../src/ops/slo/spec.ts';
import { buildStatusSummary, errorBudget } from '../../src/ops/status/status.service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
const ops = { name: 'cli:ops', actor: null };
const summary = () =>
  buildStatusSummary({ db: t.c.db, maintenance: t.c.maintenance, registry: t.c.metrics.registry, pageName: 'Acme finance', startedAt: t.c.state.startedAt, spec: loadSloSpec() });

beforeAll(async () => {
  t = await createTestApp({ FINHUB_STATUS_PAGE_NAME: 'Acme finance' });
});
afterAll(async () => {
  await t?.close();
});

describe('status summary', () => {
  it('is all operational with nothing open', async () => {
    const s = await summary();
    expect(s.page).toMatchObject({ id: 'finhub', name: 'Acme finance', time_zone: 'Etc/UTC' });
    expect(s.status).toEqual({ indicator: 'none', description: 'All Systems Operational' });
    expect(s.components.map((c) => [c.id, c.status])).toEqual(['api', 'database', 'jobs', 'imports', 'backups', 'auth'].map((id) => [id, 'operational']));
    expect(s.incidents).toEqual([]);
    expect(s.scheduled_maintenances).toEqual([]);
  });

  it('derives component status and the indicator from open incidents, worst first, and hides internal details', async () => {
    const minor = await t.c.incidents.open(ops, { title: 'imports slow on db-replica-3.internal', severity: 'P3', components: ['imports'] });
    const major = await t.c.incidents.open(ops, { title: 'ECONNREFUSED 10.0.0.7:5432 from pg pool v8.11', severity: 'P1', components: ['database', 'api'], note: 'stack trace: Error at pool.js:42' });
    await t.c.incidents.update(ops, major.ref, { status: 'identified', note: 'primary on host db-1 is out of disk' });
    let s = await summary();
    expect(s.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    const st = Object.fromEntries(s.components.map((c) => [c.id, c.status]));
    expect(st).toMatchObject({ api: 'partial_outage', database: 'partial_outage', imports: 'degraded_performance', jobs: 'operational' });
    const inc = s.incidents.find((i) => i.id === major.id)!;
    expect(inc).toMatchObject({ name: 'Partial outage: API, Database', status: 'identified', impact: 'major', resolved_at: null });
    expect(inc.incident_updates.map((u) => u.status)).toEqual(['identified', 'investigating']);
    expect(s.incidents.find((i) => i.id === minor.id)).toMatchObject({ name: 'Degraded performance: Imports', status: 'investigating', impact: 'minor' });
    const text = JSON.stringify(s);
    for (const secret of ['db-replica-3', 'ECONNREFUSED', '10.0.0.7', 'stack trace', 'db-1', 'pool.js', 'cli:ops', minor.ref]) expect(text, secret).not.toContain(secret);

    // The operator's public title is used as given; a P0 makes it critical.
    const p0 = await t.c.incidents.open(ops, { title: 'internal', publicTitle: 'Sign-in unavailable', severity: 'P0', components: ['auth'] });
    s = await summary();
    expect(s.status.indicator).toBe('critical');
    expect(s.incidents.find((i) => i.id === p0.id)!.name).toBe('Sign-in unavailable');
    expect(s.components.find((c) => c.id === 'auth')!.status).toBe('major_outage');

    for (const i of [minor, major, p0]) await t.c.incidents.resolve(ops, i.ref);
    s = await summary();
    expect(s.incidents).toEqual([]);
    expect(s.status.indicator).toBe('none');
    expect(new Date(s.components.find((c) => c.id === 'auth')!.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(inc.updated_at).getTime());
  });

  it('shows maintenance as under_maintenance and a scheduled maintenance in progress, outages still winning', async () => {
    const m = await t.c.maintenance.set(ops, { message: 'Upgrading the database', until: new Date(Date.now() + 3600_000), reason: 'internal: pg 17 on db-1' });
    let s = await summary();
    expect(s.status).toEqual({ indicator: 'minor', description: 'Service Under Maintenance' });
    expect(s.components.every((c) => c.status === 'under_maintenance')).toBe(true);
    expect(s.scheduled_maintenances).toHaveLength(1);
    expect(s.scheduled_maintenances[0]).toMatchObject({ name: 'Upgrading the database', status: 'in_progress', impact: 'maintenance', scheduled_until: m.until!.toISOString() });
    expect(JSON.stringify(s)).not.toContain('pg 17');
    const out = await t.c.incidents.open(ops, { title: 'x', severity: 'P1', components: ['jobs'] });
    const low = await t.c.incidents.open(ops, { title: 'y', severity: 'P3', components: ['api'] });
    s = await summary();
    expect(s.components.find((c) => c.id === 'jobs')!.status).toBe('partial_outage');
    expect(s.components.find((c) => c.id === 'api')!.status).toBe('under_maintenance');
    await t.c.incidents.resolve(ops, out.ref);
    await t.c.incidents.resolve(ops, low.ref);
    await t.c.maintenance.clear(ops);
  });

  it('reports the availability error budget honestly as measured since the server started', async () => {
    const spec = loadSloSpec();
    const before = (await errorBudget(t.c.metrics.registry, spec, t.c.state.startedAt))!;
    expect(before).toMatchObject({ slo: 'availability', objective: 0.999, slo_window: '30d', measured_over: 'since_server_start', measured_since: t.c.state.startedAt.toISOString() });
    const h = t.c.metrics.httpDuration;
    for (let n = 0; n < 998; n++) h.observe({ method: 'GET', route: '/budget-test', status_code: '200' }, 0.01);
    h.observe({ method: 'GET', route: '/budget-test', status_code: '503' }, 0.01);
    h.observe({ method: 'GET', route: '/budget-test', status_code: '404' }, 0.01);
    const after = (await errorBudget(t.c.metrics.registry, spec, t.c.state.startedAt))!;
    expect(after.total_requests - before.total_requests).toBe(1000);
    expect(after.failed_requests - before.failed_requests).toBe(1);
    const ratio = after.failed_requests / after.total_requests;
    expect(after.error_ratio).toBeCloseTo(ratio, 6);
    expect(after.remaining_ratio).toBeCloseTo(1 - ratio / 0.001, 4);
    expect(await errorBudget(t.c.metrics.registry, null, t.c.state.startedAt)).toBeNull();
  });
});

describe('GET /status and /status.json', () => {
  it('serve the summary publicly, cached for a few seconds, and the HTML escapes what it shows', async () => {
    const first = await t.req({ method: 'GET', url: '/status.json' });
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=5');
    expect(first.body.page.name).toBe('Acme finance');
    expect(first.body.error_budget.measured_over).toBe('since_server_start');
    const inc = await t.c.incidents.open(ops, { title: 't', publicTitle: '<script>alert(1)</script> & co', severity: 'P2', components: ['api'] });
    // Still the cached summary: the new incident shows after the cache time.
    const cached = await t.req({ method: 'GET', url: '/status.json' });
    expect(cached.body.page.updated_at).toBe(first.body.page.updated_at);
    expect(cached.body.incidents).toEqual([]);
    const fresh = await summary();
    const html = (await import('../../src/ops/status/status.html.ts')).renderStatusHtml(fresh);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Degraded performance');
    const page = await t.req({ method: 'GET', url: '/status' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<h1>Acme finance</h1>');
    expect(page.body).not.toMatch(/\d+\.\d+\.\d+/); // no version numbers
    await t.c.incidents.resolve(ops, inc.ref);
  });
});
