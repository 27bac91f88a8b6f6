// A table without a primary key is dumped in the order of its encoded rows,
// page by page through one cursor: every row once, sorted, whatever the page
// size (both engines).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTables } from '../../src/backup/introspect.ts';
import { planDump, tablePages } from '../../src/backup/snapshot.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

describe('keyless tables in a backup', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb({ migrate: false });
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('pages through a cursor: 250 rows in pages of 100 come out once each, in order', async () => {
    await db.db.kysely.transaction().execute(async (tx) => {
      await sql`create table keyless_probe (k text, n integer)`.execute(tx);
      // Duplicate rows are legal in a keyless table and must both be kept.
      await sql`insert into keyless_probe select 'row ' || (g % 240), g % 240 from generate_series(1, 250) g`.execute(tx);
      const t = planDump(await listTables(tx)).dump.find((d) => d.info.name === 'keyless_probe')!;
      expect(t.info.primaryKey).toEqual([]);
      const pages: number[] = [];
      const lines: string[] = [];
      for await (const p of tablePages(tx, t, 100)) {
        pages.push(p.rows);
        lines.push(...p.text.split('\n').filter(Boolean));
      }
      expect(pages).toEqual([100, 100, 50]);
      expect(lines).toHaveLength(250);
      const sorted = [...lines].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0));
      expect(lines).toEqual(sorted);
      expect(lines.filter((l) => l === '["row 5","5"]')).toHaveLength(2);
      // The cursor is closed: the transaction can go on.
      expect((await sql<{ n: number }>`select count(*)::int as n from keyless_probe`.execute(tx)).rows[0]!.n).toBe(250);
      await sql`drop table keyless_probe`.execute(tx);
    });
  });
});
