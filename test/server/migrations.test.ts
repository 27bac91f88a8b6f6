import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDownAll, migrateUp, migrationStatus, pendingMigrations } from '../../src/db/migrator.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

describe('migrations', () => {
  let t: TestDb;
  beforeAll(async () => { t = await createTestDb({ migrate: false }); });
  afterAll(async () => t?.cleanup());

  const tables = async () => (await sql<{ t: string }>`select tablename as t from pg_tables where schemaname = 'public' and tablename not like 'finhub_migrations%' order by 1`.execute(t.db.kysely)).rows.map((r) => r.t);

  it('apply in order on an empty database, roll all the way down, and apply again', async () => {
    const names = Object.keys(migrations);
    expect(names).toEqual([...names].sort());
    for (const n of names) expect(n).toMatch(/^\d{14}_[a-z0-9_]+$/);
    expect(await pendingMigrations(t.db)).toEqual(names);
    await migrateUp(t.db);
    expect(await pendingMigrations(t.db)).toEqual([]);
    expect(await tables()).toContain('transactions');
    await migrateDownAll(t.db);
    expect(await tables()).toEqual([]);
    await migrateUp(t.db);
    expect((await migrationStatus(t.db)).every((m) => m.executedAt)).toBe(true);
  });

  it('two concurrent migrate-up calls apply each migration once (lock)', async () => {
    await migrateDownAll(t.db);
    const [a, b] = await Promise.all([migrateUp(t.db), migrateUp(t.db)]);
    expect(a.length + b.length).toBe(Object.keys(migrations).length);
  });
});
