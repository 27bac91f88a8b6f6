// VACUUM (ANALYZE) of one table or the whole database, on both engines. It runs
// on one dedicated connection without statement_timeout: vacuuming a large
// table legitimately takes longer than any request may.
import { sql } from 'kysely';
import type { Db } from '../../db/create-db.ts';
import { AppError } from '../../shared/app-error.ts';

export async function userTables(db: Db): Promise<string[]> {
  const r = await sql<{ t: string }>`select tablename as t from pg_tables where schemaname = current_schema() order by 1`.execute(db.kysely);
  return r.rows.map((x) => x.t);
}

export async function vacuumAnalyze(db: Db, table?: string): Promise<{ target: string; seconds: number }> {
  if (table !== undefined) {
    const tables = await userTables(db);
    if (!tables.includes(table)) throw new AppError('NOT_FOUND', `no table "${table}" in this database (tables: ${tables.filter((t) => !t.startsWith('finhub_migration')).join(', ')})`);
  }
  const started = process.hrtime.bigint();
  await db.kysely.connection().execute(async (conn) => {
    if (db.engine === 'postgres') await sql`set statement_timeout = 0`.execute(conn);
    try {
      if (table !== undefined) await sql`vacuum (analyze) ${sql.id(table)}`.execute(conn);
      else await sql`vacuum (analyze)`.execute(conn);
    } finally {
      if (db.engine === 'postgres') await sql`reset statement_timeout`.execute(conn);
    }
  });
  return { target: table ?? 'all tables', seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
