// Offsite copies in /api/health/detailed and `finhub doctor`, on both engines:
// one `backup:offsiteCopyAge` entry per configured target (a directory and a
// real S3-compatible server, s3rver), fed by the catalogue the
// finhub_backup_offsite_last_success_timestamp_seconds gauge reads plus the
// last push attempt per target. Fresh -> pass; stale (the catalogue's snapshot
// time moved back 27 h) -> warn; a failed attempt -> warn with its error;
// nothing configured -> pass, saying so.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OffsiteStatus } from '../../src/backup/offsite/offsite.service.ts';
import type { Manifest } from '../../src/backup/format.ts';
import { runCommand } from '../../src/cli/main.ts';
import { DOCTOR_EXIT } from '../../src/ops/doctor/doctor.ts';
import { OFFSITE_CHECK, offsiteCheckList } from '../../src/ops/health/checks.ts';
import { BUILT_IN_THRESHOLDS, healthThresholds, offsiteWarnSeconds } from '../../src/ops/health/thresholds.ts';
import { backupEnv, type BackupEnv } from '../backup/helpers.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testEngine } from '../helpers/db.ts';

const BUCKET = 'finhub-health';
const HOUR = 3600_000;

async function cli(t: TestApp, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Checks that depend on the test machine and pool (the test pool is small; health runs its queries at once), not on backups. */
const MACHINE = new Set(['disk:utilization', 'process:memory', 'database:connections']);
const problems = (doc: { checks: Record<string, { status: string }[]> }) =>
  Object.entries(doc.checks).filter(([k, l]) => !MACHINE.has(k) && l.some((x) => x.status !== 'pass')).map(([k]) => k).sort();

describe(`offsite copies in health and doctor on ${testEngine}`, () => {
  let e: BackupEnv;
  let t: TestApp;
  let s3: S3rver;
  let nas: string;
  let admin: string;
  let b: { id: string; manifest: Manifest };

  const detailed = async () => {
    const r = await t.req({ method: 'GET', url: '/api/health/detailed', token: admin });
    expect(r.status).toBe(200);
    return r.body;
  };
  const entry = (doc: { checks: Record<string, Array<Record<string, any>>> }, target: string) => {
    const list = doc.checks[OFFSITE_CHECK]!;
    expect(list.map((x) => x.componentId)).toEqual(['offsite-dir', 's3']);
    return list.find((x) => x.componentId === target)!;
  };
  const doctor = async () => {
    const text = await cli(t, ['doctor']);
    const json = await cli(t, ['doctor', '--json']);
    return { text, json: JSON.parse(json.out), code: json.code };
  };

  beforeAll(async () => {
    e = await backupEnv();
    nas = join(e.root, 'nas');
    const s3dir = join(e.root, 's3rver');
    mkdirSync(s3dir);
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
    const addr = await s3.run();
    t = await createTestApp({
      ...e.env,
      FINHUB_ENV: 'development',
      FINHUB_LOG_FILE: 'off',
      FINHUB_BACKUP_OFFSITE_DIR: nas,
      FINHUB_BACKUP_S3_URL: `http://127.0.0.1:${addr.port}`,
      FINHUB_BACKUP_S3_BUCKET: BUCKET,
      FINHUB_BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
      FINHUB_BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    admin = (await t.user(undefined, { admin: true })).token;
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close().catch(() => undefined);
    e?.cleanup();
  });

  it('a fresh copy in each target passes, with the copy time the metric reports and the successful attempt', async () => {
    const before = Date.now();
    b = await t.c.backups.create({ note: 'health offsite' });
    // Count it as verified (the catalogue's level), so the offsite checks are the only backup checks left to move.
    await t.c.db.kysely.updateTable('backups').set({ verified_level: 3, verified_at: new Date() }).where('id', '=', b.id).execute();
    const createdAt = new Date(b.manifest.created_at).toISOString();

    const doc = await detailed();
    for (const target of ['offsite-dir', 's3']) {
      const x = entry(doc, target);
      expect(x.status, target).toBe('pass');
      expect(x.observedUnit).toBe('s');
      expect(x.observedValue).toBe(Math.floor((Date.parse(x.time) - Date.parse(createdAt)) / 1000 + 0.5));
      expect(x.observedValue).toBeLessThan(600);
      expect(x.details).toMatchObject({
        target, kind: target === 's3' ? 's3' : 'directory', newestCopyAt: createdAt, warnAboveSeconds: 26 * 3600,
        lastAttemptOutcome: 'success', lastAttemptBackup: b.id, lastAttemptError: null,
      });
      expect(Date.parse(x.details.lastAttemptAt)).toBeGreaterThanOrEqual(before);
      expect(x.output).toMatch(new RegExp(`^${target} \\(.*\\): newest copy ${createdAt.replace(/\./g, '\\.')} \\(\\d+ (s|min) ago\\); last attempt \\S+ succeeded \\(backup ${b.id}\\)$`));
    }
    expect(entry(doc, 'offsite-dir').details.where).toBe(nas);
    expect(entry(doc, 's3').details.where).toMatch(new RegExp(`^s3://${BUCKET}/finhub/ at http://127\\.0\\.0\\.1:\\d+$`));
    // The same number the alerts see.
    const metrics = await t.c.metrics.registry.metrics();
    for (const target of ['offsite-dir', 's3']) {
      expect(metrics).toContain(`finhub_backup_offsite_last_success_timestamp_seconds{target="${target}"} ${Date.parse(createdAt) / 1000}`);
    }

    const d = await doctor();
    expect(problems(d.json)).toEqual([]);
    expect(d.code).toBe(DOCTOR_EXIT[d.json.status as 'pass' | 'warn']);
    expect(d.text.out).toMatch(new RegExp(`^ok {4}backup:offsiteCopyAge\\[offsite-dir\\] +\\d+ s +offsite-dir \\(directory ${nas.replace(/[.\\/]/g, '\\$&')}\\): newest copy ${createdAt.replace(/\./g, '\\.')}`, 'm'));
    expect(d.text.out).toMatch(/^ok {4}backup:offsiteCopyAge\[s3\] +\d+ s +s3 \(s3:\/\/finhub-health\/finhub\/ at http:\/\/127\.0\.0\.1:\d+\): newest copy /m);
  });

  it('a failed attempt warns even while the newest copy is fresh, with the reason; the next success clears it', async () => {
    // The share is gone: a plain file where the directory was.
    renameSync(nas, `${nas}.away`);
    writeFileSync(nas, 'not a directory');
    try {
      const p = await cli(t, ['backup', 'push', '--to', 'offsite-dir']);
      expect(p.code).toBe(1);
      const doc = await detailed();
      const x = entry(doc, 'offsite-dir');
      expect(x.status).toBe('warn');
      expect(x.observedValue).toBeLessThan(600); // the copy itself is still fresh
      expect(x.details).toMatchObject({ lastAttemptOutcome: 'failure', lastAttemptBackup: b.id, newestCopyAt: new Date(b.manifest.created_at).toISOString() });
      expect(x.details.lastAttemptError).toMatch(/ENOTDIR|EEXIST|not a directory/);
      expect(x.output).toContain(`FAILED (backup ${b.id}): ${x.details.lastAttemptError}`);
      expect(entry(doc, 's3').status).toBe('pass');
      expect(doc.status).toBe('warn');
      expect(doc.output.split(', ')).toContain(OFFSITE_CHECK);

      const d = await doctor();
      expect(problems(d.json)).toEqual([OFFSITE_CHECK]);
      expect(d.code).toBe(1);
      expect(d.text.code).toBe(1);
      expect(d.text.out).toMatch(/^WARN {2}backup:offsiteCopyAge\[offsite-dir\] +\d+ s +offsite-dir \(directory .*\): newest copy .*; last attempt \S+ FAILED \(backup /m);
      expect(d.text.out).toMatch(/^ok {4}backup:offsiteCopyAge\[s3\] /m);
      expect(d.text.out.split('\n').at(-1)).toBe('overall: WARN (exit 1)');
    } finally {
      rmSync(nas);
      renameSync(`${nas}.away`, nas);
    }
    expect((await cli(t, ['backup', 'push', '--to', 'offsite-dir'])).code).toBe(0); // "present": intact, checked
    const x = entry(await detailed(), 'offsite-dir');
    expect(x).toMatchObject({ status: 'pass' });
    expect(x.details).toMatchObject({ lastAttemptOutcome: 'success', lastAttemptError: null });
  });

  it('a copy older than 26 h warns (the alerts\' threshold), per target', async () => {
    // The catalogue is what the gauge reads: move the backup's snapshot time back 27 h.
    const old = new Date(Date.now() - 27 * HOUR);
    await t.c.db.kysely.updateTable('backups').set({ snapshot_at: old }).where('id', '=', b.id).execute();
    const doc = await detailed();
    for (const target of ['offsite-dir', 's3']) {
      const x = entry(doc, target);
      expect(x.status, target).toBe('warn');
      expect(x.observedValue).toBeGreaterThanOrEqual(27 * 3600);
      expect(x.observedValue).toBeLessThan(27 * 3600 + 600);
      expect(x.details).toMatchObject({ newestCopyAt: old.toISOString(), lastAttemptOutcome: 'success' });
      expect(x.output).toContain(`newest copy ${old.toISOString()} (27.0 h ago; warn above 26.0 h); last attempt`);
    }
    const d = await doctor();
    // The local backup has the same snapshot time, so it is old too.
    expect(problems(d.json)).toEqual(['backup:lastSuccessAge', 'backup:lastVerifiedAge', OFFSITE_CHECK]);
    expect(d.code).toBe(1);
    expect(d.text.out).toMatch(/^WARN {2}backup:offsiteCopyAge\[offsite-dir\] +9\d{4} s +.*\(27\.0 h ago; warn above 26\.0 h\)/m);
    expect(d.text.out).toMatch(/^WARN {2}backup:offsiteCopyAge\[s3\] +9\d{4} s +.*\(27\.0 h ago; warn above 26\.0 h\)/m);
    await t.c.db.kysely.updateTable('backups').set({ snapshot_at: new Date(b.manifest.created_at) }).where('id', '=', b.id).execute();
  });

  it('an unreachable S3 service is a failed attempt naming the target', async () => {
    await s3.close();
    const p = await cli(t, ['backup', 'push', '--to', 's3', '--force']);
    expect(p.code).toBe(1);
    const x = entry(await detailed(), 's3');
    expect(x.status).toBe('warn');
    expect(x.details).toMatchObject({ lastAttemptOutcome: 'failure', lastAttemptBackup: b.id });
    expect(x.details.lastAttemptError).toMatch(/^offsite target s3 \(s3:\/\/finhub-health\/finhub\/ at http:\/\/127\.0\.0\.1:\d+\): .* failed: .*ECONNREFUSED/);
    expect(entry(await detailed(), 'offsite-dir').status).toBe('pass');
  });
});

describe(`no offsite target on ${testEngine}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ FINHUB_ENV: 'development', FINHUB_LOG_FILE: 'off' });
  });
  afterAll(async () => t?.close());

  it('health and doctor say "not configured" and pass that check', async () => {
    const admin = (await t.user(undefined, { admin: true })).token;
    const r = await t.req({ method: 'GET', url: '/api/health/detailed', token: admin });
    expect(r.body.checks[OFFSITE_CHECK]).toEqual([{
      componentType: 'component', observedValue: 'not configured', status: 'pass', time: expect.any(String),
      output: 'no offsite target configured (optional: FINHUB_BACKUP_OFFSITE_DIR, FINHUB_BACKUP_S3_BUCKET; see docs/backup.md#offsite-copies)',
    }]);
    const d = await cli(t, ['doctor']);
    expect(d.out).toMatch(/^ok {4}backup:offsiteCopyAge +not configured +no offsite target configured \(optional: /m);
  });

  it('a half-configured S3 target warns with the setting to fix', async () => {
    const half = await createTestApp({ FINHUB_ENV: 'development', FINHUB_LOG_FILE: 'off', FINHUB_BACKUP_S3_BUCKET: BUCKET, FINHUB_BACKUP_S3_ACCESS_KEY_ID: 'only-one' });
    try {
      const d = JSON.parse((await cli(half, ['doctor', '--json'])).out);
      expect(d.checks[OFFSITE_CHECK]).toEqual([expect.objectContaining({ componentId: 'configuration', status: 'warn' })]);
      expect(d.checks[OFFSITE_CHECK][0].output).toMatch(/^offsite copies are not made: set both FINHUB_BACKUP_S3_ACCESS_KEY_ID and FINHUB_BACKUP_S3_SECRET_ACCESS_KEY/);
    } finally {
      await half.close();
    }
  });
});

describe('offsite check rules', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const t = healthThresholds();
  const status = (over: Partial<OffsiteStatus['targets'][number]>): OffsiteStatus => ({
    targets: [{ name: 's3', kind: 's3', where: 's3://b/finhub/', newestCopyAt: new Date(now.getTime() - HOUR), lastAttempt: null, ...over }],
  });

  it('take the age threshold of each target from its alert in ops/slo.yaml', () => {
    expect(t.backupOffsiteWarnSeconds).toEqual({ 'offsite-dir': 26 * 3600, s3: 26 * 3600 });
    expect(offsiteWarnSeconds(t, 'elsewhere')).toBe(26 * 3600);
    expect(offsiteWarnSeconds(BUILT_IN_THRESHOLDS, 's3')).toBe(26 * 3600);
  });

  it('warn just past 26 h, not at it; no copy at all warns', () => {
    const at = (h: number) => offsiteCheckList(status({ newestCopyAt: new Date(now.getTime() - h * HOUR) }), 'production', t, now)[OFFSITE_CHECK]![0]!;
    expect(at(26)).toMatchObject({ status: 'pass', observedValue: 26 * 3600 });
    expect(at(26.01)).toMatchObject({ status: 'warn', observedValue: 93636 });
    const none = offsiteCheckList(status({ newestCopyAt: null }), 'production', t, now)[OFFSITE_CHECK]![0]!;
    expect(none).toMatchObject({ componentId: 's3', status: 'warn', observedValue: 'none' });
    expect(none.output).toBe('s3 (s3://b/finhub/): no copy yet (warn: copy one with finhub backup push --to s3); no attempt recorded');
  });

  it('keep the raw error text out of production, as the other checks do', () => {
    const failed = status({ lastAttempt: { at: now, outcome: 'failure', backupId: '20261207T110000Z-abcdef', error: 'offsite target s3 (s3://b/finhub/ at http://minio.internal:9000): listing the bucket failed: AccessDenied' } });
    const prod = offsiteCheckList(failed, 'production', t, now)[OFFSITE_CHECK]![0]!;
    expect(prod.status).toBe('warn');
    expect(prod.output).not.toContain('minio.internal');
    expect(prod.output).toContain('FAILED (backup 20261207T110000Z-abcdef): details in the server log (finhub logs search --since 48h --grep offsite)');
    expect(prod.details!.lastAttemptError).toBe('details in the server log (finhub logs search --since 48h --grep offsite)');
    const dev = offsiteCheckList(failed, 'development', t, now)[OFFSITE_CHECK]![0]!;
    expect(dev.output).toContain('AccessDenied');
  });
});
