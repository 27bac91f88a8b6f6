// Maintenance mode: which requests it blocks, Retry-After, expiry, persistence,
// other processes seeing a change, audit, gauge, and the CLI commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../../src/app/container.ts';
import { runCommand } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createMaintenanceService, parseUntil } from '../../src/ops/maintenance/maintenance.service.ts';
import { isBlockedDuringMaintenance } from '../../src/ops/maintenance/maintenance.guard.ts';
import { createLogger } from '../../src/ops/logs/logger.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let admin: Awaited<ReturnType<TestApp['user']>>;
let user: Awaited<ReturnType<TestApp['user']>>;
let ledgerId: string;

const setMaintenance = (body: object) => t.req({ method: 'PUT', url: '/api/v1/ops/maintenance', token: admin.token, payload: body });
const off = () => t.req({ method: 'DELETE', url: '/api/v1/ops/maintenance?reason=done', token: admin.token });

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out, err };
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.user('maint-admin@example.com', { admin: true });
  user = await t.user('maint-user@example.com');
  ledgerId = (await t.req({ method: 'POST', url: '/api/v1/ledgers', token: user.token, payload: { name: 'Home', base_currency: 'EUR' } })).body.id;
});
afterAll(async () => {
  await t?.close();
});

describe('maintenance mode over HTTP', () => {
  it('refuses writes with 503 problem+json and Retry-After; reads, login, logout, ops, health, metrics and status keep working', async () => {
    const on = await setMaintenance({ message: 'Database upgrade, back soon', until: '2h', reason: 'PostgreSQL 17 upgrade' });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ on: true, message: 'Database upgrade, back soon', reason: 'PostgreSQL 17 upgrade', by: 'maint-admin@example.com' });
    expect(on.body.retry_after_seconds).toBeGreaterThan(7100);
    expect(on.body.retry_after_seconds).toBeLessThanOrEqual(7200);

    const write = await t.req({ method: 'POST', url: `/api/v1/ledgers/${ledgerId}/accounts`, token: user.token, payload: { name: 'Cash', type: 'cash', currency: 'EUR' } });
    expect(write.status).toBe(503);
    expect(write.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(write.headers['retry-after'])).toBeGreaterThan(7100);
    expect(write.body).toMatchObject({ code: 'MAINTENANCE_MODE', status: 503, maintenance: { message: 'Database upgrade, back soon' } });
    expect(write.body.detail).toContain('Database upgrade, back soon');
    expect(write.body.request_id).toBe(write.headers['x-request-id']);
    for (const [method, url] of [['PATCH', `/api/v1/ledgers/${ledgerId}`], ['DELETE', `/api/v1/ledgers/${ledgerId}`], ['PUT', `/api/v1/ledgers/${ledgerId}/members`], ['POST', '/api/v1/tokens']] as const) {
      const r = await t.req({ method, url, token: user.token, payload: {} });
      expect(r.status, `${method} ${url}`).toBe(503);
    }
    // Nothing was written.
    expect(await t.c.db.kysely.selectFrom('accounts').select('id').where('ledger_id', '=', ledgerId).execute()).toEqual([]);
    // An unauthenticated write is still a 401, not a 503.
    expect((await t.req({ method: 'POST', url: '/api/v1/ledgers', payload: { name: 'x', base_currency: 'EUR' } })).status).toBe(401);

    expect((await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}`, token: user.token })).status).toBe(200);
    const login = await t.req({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'maint-user@example.com', password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect((await t.req({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })).status).toBe(204);
    expect((await t.req({ method: 'POST', url: '/api/v1/ops/incidents', token: admin.token, payload: { title: 'during maintenance', severity: 'P3' } })).status).toBe(201);
    for (const url of ['/health/live', '/health/ready', '/status', '/status.json']) expect((await t.req({ method: 'GET', url })).status, url).toBe(200);
    const metrics = await t.req({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^finhub_maintenance_mode 1$/m);
    // The five refused writes are counted as planned refusals, not as 5xx in the
    // histogram that the error-rate SLO and alerts read.
    expect(metrics.body).toMatch(/^finhub_http_maintenance_refusals_total\{method="POST"\} 2$/m);
    expect(metrics.body).not.toMatch(/^finhub_http_request_duration_seconds_count\{[^}]*status_code="503"[^}]*\}/m);

    const got = await t.req({ method: 'GET', url: '/api/v1/ops/maintenance', token: admin.token });
    expect(got.body.on).toBe(true);
    const done = await off();
    expect(done.body).toMatchObject({ was_on: true, state: { on: false } });
    expect((await t.req({ method: 'POST', url: `/api/v1/ledgers/${ledgerId}/accounts`, token: user.token, payload: { name: 'Cash', type: 'cash', currency: 'EUR' } })).status).toBe(201);
    expect((await t.req({ method: 'GET', url: '/metrics' })).body).toMatch(/^finhub_maintenance_mode 0$/m);
    // Switching off twice is harmless and records nothing new.
    expect((await off()).body.was_on).toBe(false);

    const audit = await t.c.db.kysely.selectFrom('audit_events').select(['action', 'actor_user_id', 'details']).where('entity_type', '=', 'maintenance').orderBy('at').execute();
    expect(audit.map((a) => a.action)).toEqual(['maintenance.on', 'maintenance.off']);
    expect(audit[0]!.actor_user_id).toBe(admin.id);
    expect(audit[0]!.details).toMatchObject({ by: 'maint-admin@example.com', reason: 'PostgreSQL 17 upgrade', message: 'Database upgrade, back soon' });
    expect(audit[1]!.details).toMatchObject({ reason: 'done' });
  });

  it('without an end time answers Retry-After 300', async () => {
    await setMaintenance({ message: 'short break' });
    const r = await t.req({ method: 'POST', url: '/api/v1/ledgers', token: user.token, payload: { name: 'x', base_currency: 'EUR' } });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('300');
    await off();
  });

  it('is for administrators only and validates its input', async () => {
    expect((await t.req({ method: 'PUT', url: '/api/v1/ops/maintenance', token: user.token, payload: { message: 'x' } })).status).toBe(403);
    expect((await t.req({ method: 'GET', url: '/api/v1/ops/maintenance' })).status).toBe(401);
    const bad = await setMaintenance({ message: 'x', until: 'tomorrow-ish' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('/body/until');
    const past = await setMaintenance({ message: 'x', until: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.detail).toMatch(/future/);
    expect((await setMaintenance({ message: '' })).status).toBe(400);
    expect((await t.req({ method: 'GET', url: '/api/v1/ops/maintenance', token: admin.token })).body.on).toBe(false);
  });
});

describe('maintenance state', () => {
  it('switches itself off at its end time and is persisted for a restarted or another process', async () => {
    let now = new Date('2031-06-01T12:00:00Z');
    const svc = createMaintenanceService({ db: t.c.db, now: () => now, cacheMs: 0 });
    const who = { name: 'cli:ops', actor: null };
    await svc.set(who, { message: 'upgrade', until: parseUntil('30m', now), reason: 'r' });
    expect(await svc.status()).toMatchObject({ on: true, message: 'upgrade', until: new Date('2031-06-01T12:30:00Z') });
    // A fresh service (a restarted server) reads the same state from the database.
    const restarted = createMaintenanceService({ db: t.c.db, now: () => now });
    expect((await restarted.status()).on).toBe(true);
    now = new Date('2031-06-01T12:30:00Z');
    expect((await svc.status()).on).toBe(false);
    expect((await restarted.status()).on).toBe(false);
    // Switching on again closes the expired window at its end time.
    now = new Date('2031-06-01T13:00:00Z');
    await svc.set(who, { message: 'again' });
    const rows = await t.c.db.kysely.selectFrom('maintenance_windows').select(['message', 'ended_at', 'ended_by']).where('message', 'in', ['upgrade', 'again']).orderBy('starts_at').execute();
    expect(rows).toEqual([
      { message: 'upgrade', ended_at: new Date('2031-06-01T12:30:00Z'), ended_by: 'expired' },
      { message: 'again', ended_at: null, ended_by: null },
    ]);
    await svc.clear(who);
  });

  it('a change made by another process is seen within the cache time', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', FINHUB_ENV: 'test' });
    // A second container on the same database stands for another server or a CLI process on PostgreSQL.
    const other = await createContainer(config, { db: t.c.db, logger: createLogger(config) });
    expect((await t.c.maintenance.status()).on).toBe(false);
    await other.maintenance.set({ name: 'cli:elsewhere', actor: null }, { message: 'from another process' });
    const started = Date.now();
    let seen = false;
    while (!seen && Date.now() - started < 5000) {
      seen = (await t.c.maintenance.status()).on;
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
    await other.maintenance.clear({ name: 'cli:elsewhere', actor: null });
  });

  it('parses --until durations and ISO times', () => {
    const now = new Date('2031-01-01T00:00:00Z');
    expect(parseUntil('2h', now).toISOString()).toBe('2031-01-01T02:00:00.000Z');
    expect(parseUntil('1d12h', now).toISOString()).toBe('2031-01-02T12:00:00.000Z');
    expect(parseUntil('90s', now).toISOString()).toBe('2031-01-01T00:01:30.000Z');
    expect(parseUntil('2031-01-01T18:00:00+02:00', now).toISOString()).toBe('2031-01-01T16:00:00.000Z');
    for (const bad of ['', '0m', '2 hours', '2031-01-01T18:00:00', 'soon']) expect(() => parseUntil(bad, now), bad).toThrow(/until/);
  });

  it('blocks exactly the API writes outside the exempt paths', () => {
    expect(isBlockedDuringMaintenance('POST', '/api/v1/ledgers')).toBe(true);
    expect(isBlockedDuringMaintenance('DELETE', '/api/v1/tokens/abc?x=1')).toBe(true);
    expect(isBlockedDuringMaintenance('GET', '/api/v1/ledgers')).toBe(false);
    expect(isBlockedDuringMaintenance('POST', '/api/v1/auth/login')).toBe(false);
    expect(isBlockedDuringMaintenance('POST', '/api/v1/auth/login/')).toBe(false);
    expect(isBlockedDuringMaintenance('POST', '/api/v1/auth/loginx')).toBe(true);
    expect(isBlockedDuringMaintenance('POST', '/api/v1/setup')).toBe(false);
    expect(isBlockedDuringMaintenance('PUT', '/api/v1/ops/maintenance')).toBe(false);
    expect(isBlockedDuringMaintenance('POST', '/api/v1/opsx')).toBe(true);
    expect(isBlockedDuringMaintenance('POST', '/health/ready')).toBe(false);
  });
});

describe('maintenance CLI', () => {
  it('on, status and off, recorded with the CLI actor and reason', async () => {
    const on = await cli(['maintenance', 'on', '--message', 'Moving to new disks', '--until', '45m', '--reason', 'disk swap', '--by', 'cli:alice']);
    expect(on.code).toBe(0);
    expect(on.out[0]).toMatch(/^maintenance mode is ON since .* \(by cli:alice\): Moving to new disks$/);
    expect(on.out[1]).toMatch(/switches itself off at .*Retry-After 2[0-9]{3} s/);
    const st = await cli(['maintenance', 'status', '--json']);
    expect(JSON.parse(st.out[0]!)).toMatchObject({ on: true, message: 'Moving to new disks', reason: 'disk swap', by: 'cli:alice' });
    expect((await t.req({ method: 'DELETE', url: `/api/v1/ledgers/${ledgerId}`, token: user.token })).status).toBe(503);
    const offRes = await cli(['maintenance', 'off', '--reason', 'disks swapped']);
    expect(offRes.code).toBe(0);
    expect(offRes.out).toEqual(['maintenance mode is off']);
    const again = await cli(['maintenance', 'off']);
    expect(again.err).toEqual(['maintenance mode was already off']);
    const bad = await cli(['maintenance', 'on', '--message', 'x', '--until', 'later']);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/until/);
    expect((await cli(['maintenance', 'on'])).code).toBe(2);
    const audit = await t.c.db.kysely.selectFrom('audit_events').select(['action', 'details']).where('entity_type', '=', 'maintenance').where('action', 'in', ['maintenance.on', 'maintenance.off']).orderBy('at', 'desc').limit(2).execute();
    expect(audit.map((a) => a.action)).toEqual(['maintenance.off', 'maintenance.on']);
    expect(audit[0]!.details).toMatchObject({ reason: 'disks swapped' });
    expect(audit[1]!.details).toMatchObject({ by: 'cli:alice', reason: 'disk swap' });
  });
});
