// Offsite copies against real targets: a directory (the "NAS") and a real
// S3-compatible server (s3rver on 127.0.0.1, random port, temp directory),
// reached through a small HTTP proxy that can damage an upload in transit.
// create -> copies, list, push, pull, restore from remote after the local
// copy is gone, damage in transit and at rest, remote retention.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFileName, manifestFileName, type Manifest } from '../../src/backup/format.ts';
import { BackupConfigError } from '../../src/backup/keys.ts';
import { S3Store } from '../../src/backup/offsite/s3.store.ts';
import { buildTargets } from '../../src/backup/offsite/targets.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { runCommand } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createDb, type Db } from '../../src/db/create-db.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createScratchPgDatabase, testEngine } from '../helpers/db.ts';
import { backupEnv, seedDemo, tableFingerprints, type BackupEnv } from './helpers.ts';

const BUCKET = 'finhub-test';

interface Proxy {
  url: string;
  /** Flip one byte of the next archive upload(s) on the way to the server. */
  corrupt: boolean;
  corrupted: number;
  close(): Promise<void>;
}

/** Forwards every request to s3rver; with `corrupt` set, damages PUT bodies of archive objects. */
async function startProxy(upstreamPort: number): Promise<Proxy> {
  const state = { corrupt: false, corrupted: 0 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    if (state.corrupt && req.method === 'PUT' && /\.backup\.age/.test(req.url ?? '') && body.length > 64) {
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)]! ^= 0x40;
      state.corrupted++;
    }
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    up.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as Proxy;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err, text: () => [...out, ...err].join('\n') };
}

async function emptyTarget(): Promise<{ args: string[]; open(): Promise<Db>; cleanup(): Promise<void> }> {
  if (testEngine === 'postgres') {
    const s = await createScratchPgDatabase('finhub_offs');
    return { args: ['--to', s.url], open: () => createDb({ databaseUrl: s.url, poolSize: 2 }), cleanup: () => s.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'finhub-offsite-target-'));
  return { args: ['--data-dir', dir], open: () => createDb({ dataDir: dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

describe(`offsite copies on ${testEngine}`, () => {
  let e: BackupEnv;
  let t: TestApp;
  let s3: S3rver;
  let s3dir: string;
  let proxy: Proxy;
  let nas: string;
  let first: { id: string; manifest: Manifest };
  let env: Record<string, string>;

  const s3Object = (id: string) => join(s3dir, BUCKET, 'finhub', `${archiveFileName(id)}._S3rver_object`);
  const cli = async (...argv: string[]) => {
    const c = capture();
    const code = await runCommand(argv, c.io, async () => t.c);
    return { code, ...c };
  };

  beforeAll(async () => {
    e = await backupEnv();
    s3dir = join(e.root, 's3rver');
    nas = join(e.root, 'nas');
    mkdirSync(s3dir);
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
    const addr = await s3.run();
    proxy = await startProxy(addr.port);
    env = {
      ...e.env,
      FINHUB_BACKUP_OFFSITE_DIR: nas,
      FINHUB_BACKUP_S3_URL: proxy.url,
      FINHUB_BACKUP_S3_BUCKET: BUCKET,
      FINHUB_BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
      FINHUB_BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
    };
    t = await createTestApp(env);
    await seedDemo(t.c.db);
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await s3?.close();
    e?.cleanup();
  });

  it('builds the targets from the configuration and refuses half-set S3 credentials', () => {
    expect(t.c.offsite.names).toEqual(['offsite-dir', 's3']);
    expect(buildTargets(loadConfig({})).length).toBe(0);
    expect(() => buildTargets(loadConfig({ FINHUB_BACKUP_S3_BUCKET: BUCKET, FINHUB_BACKUP_S3_ACCESS_KEY_ID: 'x' }))).toThrow(BackupConfigError);
    const s = buildTargets(loadConfig({ FINHUB_BACKUP_S3_BUCKET: BUCKET, FINHUB_BACKUP_S3_URL: 'http://127.0.0.1:9000', FINHUB_BACKUP_S3_PREFIX: 'x/y' }))[0] as S3Store;
    expect([s.location, s.prefix, s.describe()]).toEqual(['s3', 'x/y/', 's3://finhub-test/x/y/ at http://127.0.0.1:9000']);
  });

  it('backup create copies the new backup to every target, checked; list shows where it is stored', async () => {
    const lines: string[] = [];
    const b = await t.c.backups.create({ note: 'offsite one', onProgress: (l) => lines.push(l) });
    first = b;
    expect(lines.join('\n')).toMatch(new RegExp(`copied ${b.id} to offsite target offsite-dir .*\\(checked\\)`));
    expect(lines.join('\n')).toMatch(new RegExp(`copied ${b.id} to offsite target s3 .*\\(checked\\)`));
    const local = readFileSync(join(e.dir, archiveFileName(b.id)));
    // Byte for byte the same archive and manifest in the directory and in the bucket (as s3rver stores it).
    expect(readFileSync(join(nas, archiveFileName(b.id))).equals(local)).toBe(true);
    expect(readFileSync(s3Object(b.id)).equals(local)).toBe(true);
    expect(readFileSync(join(s3dir, BUCKET, 'finhub', `${manifestFileName(b.id)}._S3rver_object`), 'utf8')).toBe(readFileSync(join(e.dir, manifestFileName(b.id)), 'utf8'));

    const listed = (await t.c.backups.list()).find((x) => x.id === b.id)!;
    expect(listed.locations).toEqual(['local', 'offsite-dir', 's3']);
    const l = await cli('backup', 'list');
    expect(l.code).toBe(0);
    expect(l.text()).toMatch(new RegExp(`${b.id}\\s.*\\slocal,offsite-dir,s3\\s+manual\\s+offsite one`));
    const r = await cli('backup', 'list', '--remote', 's3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!)).toEqual([expect.objectContaining({ id: b.id, status: 'ok', locations: ['s3'], size_bytes: b.manifest.archive.size, this_database: true })]);
    expect((await cli('backup', 'list', '--remote', 'nope')).text()).toMatch(/no offsite target "nope"; configured: offsite-dir, s3/);

    // A second push finds intact copies and uploads nothing.
    const again = await cli('backup', 'push', b.id);
    expect(again.code).toBe(0);
    expect(again.out).toEqual([`present ${b.id} in offsite-dir (intact, same manifest)`, `present ${b.id} in s3 (intact, same manifest)`]);

    const text = await t.c.metrics.registry.metrics();
    expect(text).toMatch(/finhub_backup_offsite_copies_total\{target="s3",direction="push",outcome="success"\} 1/);
    expect(text).toMatch(new RegExp(`finhub_backup_offsite_last_success_timestamp_seconds\\{target="s3"\\} ${Date.parse(b.manifest.created_at) / 1000}\\b`));
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  });

  it('an upload damaged in transit is caught by the MD5 check, leaves nothing in the bucket, and push repairs it', async () => {
    proxy.corrupt = true;
    const lines: string[] = [];
    let b;
    try {
      b = await t.c.backups.create({ note: 'damaged in transit', onProgress: (l) => lines.push(l) });
    } finally {
      proxy.corrupt = false;
    }
    expect(proxy.corrupted).toBeGreaterThan(0);
    // The local backup and the directory copy are fine; the S3 copy failed loudly and was removed.
    expect(lines.join('\n')).toMatch(new RegExp(`WARNING: copying ${b.id} to offsite target s3 failed: .*MD5 of the bytes sent is [0-9a-f]{32} \\(damaged in transit.*finhub backup push ${b.id}`));
    expect(existsSync(s3Object(b.id))).toBe(false);
    expect(await t.c.offsite.target('s3').get(b.id)).toBeUndefined();
    expect((await t.c.backups.list()).find((x) => x.id === b.id)!.locations).toEqual(['local', 'offsite-dir']);
    expect(await t.c.metrics.registry.metrics()).toMatch(/finhub_backup_offsite_copies_total\{target="s3",direction="push",outcome="failure"\} 1/);

    const p = await cli('backup', 'push', '--to', 's3');
    expect(p.code).toBe(0);
    expect(p.out.at(-1)).toMatch(new RegExp(`^copied  ${b.id} to s3 \\(s3://finhub-test/finhub/ at http://127\\.0\\.0\\.1:\\d+\\): .* checked$`));
    expect(readFileSync(s3Object(b.id)).equals(readFileSync(join(e.dir, archiveFileName(b.id))))).toBe(true);
  });

  it('multipart uploads check every part and the assembled object', async () => {
    const store = new S3Store({ name: 's3', endpoint: proxy.url, bucket: BUCKET, prefix: 'multipart/', region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true, partSize: 16 * 1024 });
    expect(first.manifest.archive.size).toBeGreaterThan(3 * 16 * 1024);
    const local = t.c.backups.store;
    const text = (await local.readManifestText(first.id))!;
    expect((await store.put(first.id, local.openArchive(first.id), () => text)).size).toBe(first.manifest.archive.size);
    expect((await verifyBackup(store, first.id, { level: 1 })).ok).toBe(true);
    await store.delete(first.id);
    proxy.corrupt = true;
    try {
      await expect(store.put(first.id, local.openArchive(first.id), () => text)).rejects.toThrow(/part \d+ of finhub-.*\.backup\.age was stored with ETag [0-9a-f]+, but the MD5 of the bytes sent is/);
    } finally {
      proxy.corrupt = false;
    }
    expect(await store.get(first.id)).toBeUndefined();
    expect((await store.objects()).size).toBe(0);
  });

  it('restores straight from S3 after the local copy is gone; pull brings it back checked', async () => {
    const id = first.id;
    for (const f of readdirSync(e.dir).filter((n) => n.includes(id))) rmSync(join(e.dir, f));
    const gone = (await t.c.backups.list()).find((x) => x.id === id)!;
    expect(gone).toMatchObject({ status: 'missing', locations: ['offsite-dir', 's3'] });

    const target = await emptyTarget();
    try {
      const r = await cli('backup', 'restore', id, '--from', 's3', ...target.args);
      expect(r.code, r.text()).toBe(0);
      expect(r.text()).toMatch(new RegExp(`restored backup ${id} into .*: \\d+ tables, \\d+ rows`));
      const db = await target.open();
      try {
        const fps = await tableFingerprints(db);
        for (const tb of first.manifest.tables) expect(fps[tb.name], tb.name).toBe(`${tb.rows}:${tb.sha256}`);
      } finally {
        await db.close();
      }
    } finally {
      await target.cleanup();
    }

    const v = await cli('backup', 'verify', id, '--from', 'offsite-dir', '--level', '2');
    expect(v.code, v.text()).toBe(0);
    const p = await cli('backup', 'pull', id, '--from', 's3');
    expect(p.code, p.text()).toBe(0);
    expect(p.text()).toMatch(/size, SHA-256 and every block match its manifest/);
    expect(readFileSync(join(e.dir, archiveFileName(id))).equals(readFileSync(join(nas, archiveFileName(id))))).toBe(true);
    expect((await t.c.backups.verify(id, 1)).ok).toBe(true);
    expect((await t.c.backups.list()).find((x) => x.id === id)).toMatchObject({ status: 'ok', locations: ['local', 'offsite-dir', 's3'] });
  });

  it('damage at rest in the bucket is named by verify --from and refused by pull, which writes nothing locally', async () => {
    const id = first.id;
    const obj = s3Object(id);
    const bytes = readFileSync(obj);
    const tx = first.manifest.archive.sections.find((s) => s.name === 'table:transactions')!;
    const at = Math.floor((tx.archive[0] + tx.archive[1]) / 2);
    bytes[at]! ^= 0x01;
    writeFileSync(obj, bytes);

    const v = await cli('backup', 'verify', id, '--from', 's3', '--level', '1');
    expect(v.code).toBe(1);
    expect(v.text()).toMatch(/SHA-256 does not match the manifest; damaged block\(s\): bytes \d+-\d+ \(.*table transactions.*\)/);

    for (const f of readdirSync(e.dir).filter((n) => n.includes(id))) rmSync(join(e.dir, f));
    const p = await cli('backup', 'pull', id, '--from', 's3');
    expect(p.code).toBe(1);
    expect(p.text()).toMatch(new RegExp(`the copy of ${id} in offsite target s3 is damaged: the archive's SHA-256 does not match its manifest; damaged: bytes \\d+-\\d+ \\(.*table transactions.*\\)\\. Nothing was written`));
    expect(readdirSync(e.dir).filter((n) => n.includes(id))).toEqual([]);
    // The directory copy is intact: pull from there instead, and repair the bucket with a push.
    expect((await cli('backup', 'pull', id, '--from', 'offsite-dir')).code).toBe(0);
    const fix = await cli('backup', 'push', id, '--to', 's3', '--force');
    expect(fix.code, fix.text()).toBe(0);
    expect((await cli('backup', 'verify', id, '--from', 's3', '--level', '1')).code).toBe(0);
  });

  it('prune applies the same retention on every target and never deletes the newest verified backup', async () => {
    const middle = await t.c.backups.create({ note: 'middle' });
    const newest = await t.c.backups.create({ note: 'newest' });
    // Prove the oldest one restorable (level 3): it becomes "the newest verified" and must survive everywhere.
    expect((await t.c.backups.verify(first.id, 3)).ok).toBe(true);
    const later = new Date(Date.now() + 400 * 86_400_000);
    const ids = async (name: string) => (await t.c.offsite.target(name).list()).map((s) => s.id).sort();
    const before = { dir: await ids('offsite-dir'), s3: await ids('s3') };
    expect(before.s3).toEqual(expect.arrayContaining([first.id, middle.id, newest.id]));

    const dry = await t.c.backups.prune({ dryRun: true, now: later });
    expect(dry.offsite!.map((o) => o.target)).toEqual(['offsite-dir', 's3']);
    for (const o of dry.offsite!) {
      expect(o.keep).toEqual(expect.arrayContaining([first.id, newest.id]));
      expect(o.remove).toContain(middle.id);
      expect(o.removed).toEqual([]);
    }
    expect({ dir: await ids('offsite-dir'), s3: await ids('s3') }).toEqual(before);

    const c = await cli('backup', 'prune');
    expect(c.code, c.text()).toBe(0);
    // (The CLI prunes at the real time: everything is recent, so nothing goes.)
    expect(c.text()).toMatch(/offsite s3: 0 deleted \(none\), \d+ kept/);

    const real = await t.c.backups.prune({ now: later });
    for (const o of real.offsite!) expect(o.removed).toEqual(o.remove);
    for (const name of ['offsite-dir', 's3']) {
      const left = await ids(name);
      expect(left).toContain(first.id);
      expect(left).toContain(newest.id);
      expect(left).not.toContain(middle.id);
    }
    expect(existsSync(s3Object(middle.id))).toBe(false);
    expect((await t.c.backups.list()).map((b) => b.id)).not.toContain(middle.id);
  });
});
