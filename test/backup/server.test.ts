// With an embedded server running, backup commands are forwarded over the
// control socket and run inside it: create, list, verify and drill work while
// it serves; restoring into its own data directory is refused (another
// directory works); once it is stopped, the same restore runs in the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator } from 'kysely';
import { createDb } from '../../src/db/create-db.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { migrateUp } from '../../src/db/migrator.ts';
import { testEngine } from '../helpers/db.ts';
import { baseEnv, cli } from './cli-process.ts';
import { backupEnv, seedDemo, type BackupEnv } from './helpers.ts';

describe.runIf(testEngine === 'pglite')('backup commands next to a running embedded server', { timeout: 400_000 }, () => {
  let e: BackupEnv;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;
  let url = '';
  let id = '';
  let serverOut = '';

  beforeAll(async () => {
    e = await backupEnv();
    const data = join(e.root, 'data');
    const db = await createDb({ dataDir: data });
    await migrateUp(db);
    await seedDemo(db, { seed: 'server', scale: 0.2 });
    // Leave the newest migration pending: serve must back up before applying it.
    const m = new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations }, migrationTableName: 'finhub_migrations', migrationLockTableName: 'finhub_migrations_lock' });
    expect((await m.migrateDown()).error).toBeUndefined();
    await db.close();
    env = baseEnv({ ...e.env, FINHUB_DATA_DIR: data, PORT: '0', FINHUB_WATCHDOG: 'false' });
    // The server's environment has no identity file: verify/drill get --identity from the caller.
    const serverEnv = { ...env };
    delete serverEnv.FINHUB_BACKUP_IDENTITY_FILE;
    server = spawn(process.execPath, [fileURLToPath(new URL('../../bin/finhub.js', import.meta.url)), 'serve'], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${serverOut}`)), 180_000);
      const on = (d: Buffer) => {
        serverOut += d.toString();
        const m = /finhub listening on (http:\/\/\S+)/.exec(serverOut);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      server!.stdout!.on('data', on);
      server!.stderr!.on('data', on);
      server!.once('exit', () => reject(new Error(`server exited:\n${serverOut}`)));
    });
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((r) => server!.once('exit', r));
    }
    e?.cleanup();
  });

  const noIdentity = () => {
    const x = { ...env };
    delete x.FINHUB_BACKUP_IDENTITY_FILE;
    return x;
  };

  it('serve backed up the embedded database before applying the pending migration', async () => {
    expect(serverOut).toMatch(/backing up before applying 1 migration/);
    const listed = await cli(['backup', 'list'], env);
    expect(listed.out).toMatch(new RegExp(`pre-migrate\\s+before migrating to ${Object.keys(migrations).at(-1)}`));
  });

  it('create and list run inside the server', async () => {
    const made = await cli(['backup', 'create', '--note', 'while serving'], env);
    expect(made.code, made.out).toBe(0);
    id = /backup (\S+) created/.exec(made.out)![1]!;
    const listed = await cli(['backup', 'list'], env);
    expect(listed.out).toMatch(new RegExp(`${id}.*local\\s+manual\\s+while serving`));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^finhub_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('verify needs the key: without one it says how to pass it; with --identity it verifies at level 3', async () => {
    const without = await cli(['backup', 'verify', id, '--level', '2'], noIdentity());
    expect(without.code).toBe(78);
    expect(without.out).toContain('pass --identity FILE or set FINHUB_BACKUP_IDENTITY_FILE');
    const v = await cli(['backup', 'verify', '--latest', '--level', '3', '--identity', e.keyFile], noIdentity());
    expect(v.code, v.out).toBe(0);
    expect(v.out).toContain(`backup ${id} verified at level 3`);
  });

  it("refuses to restore into the server's own data directory, but restores into another one", async () => {
    const refused = await cli(['backup', 'restore', id, '--force', '--identity', e.keyFile], noIdentity());
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/refusing to restore into \S+ while this finhub server is using it.*--data-dir NEW_DIR/);
    const other = join(e.root, 'restored');
    const r = await cli(['backup', 'restore', id, '--data-dir', other, '--identity', e.keyFile], noIdentity());
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`into the embedded database in ${other}`);
  });

  it('drill runs inside the server and records RTO and RPO', async () => {
    const d = await cli(['backup', 'drill', '--identity', e.keyFile], noIdentity());
    expect(d.code, d.out).toBe(0);
    expect(d.out).toMatch(/drill passed: RTO \(restore duration\) [\d.]+ (s|min), RPO \(age of the newest verified backup\) [\d.]+ (s|min)/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^finhub_restore_drill_duration_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('after the server stops, the CLI restores into the data directory itself (safety backup first)', async () => {
    server!.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
    const r = await cli(['backup', 'restore', id, '--force'], env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/safety backup \S+ written to/);
    expect(r.out).toMatch(/restored backup \S+ into the embedded database in/);
    // The catalogue was rebuilt from the directory: the backups are listed with their levels.
    const listed = await cli(['backup', 'list'], env);
    expect(listed.out).toMatch(new RegExp(`${id}\\s+\\S+\\s+\\S+ KiB\\s+L4\\s+local`));
  });
});
