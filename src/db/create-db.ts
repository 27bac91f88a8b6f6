// Opens the database for either engine and returns one Kysely handle plus the
// engine-specific bits the rest of finhub needs (size, close). Both engines get
// the same type parsing: int8 -> bigint, date -> 'YYYY-MM-DD', numeric -> string.
import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql, type KyselyPlugin, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { PGliteDialect } from './pglite-dialect.ts';

export type Engine = 'pglite' | 'postgres';

export interface Db {
  readonly engine: Engine;
  readonly kysely: Kysely<Database>;
  /** Where an embedded database keeps its files; undefined on PostgreSQL and in memory. */
  readonly dataDir?: string | undefined;
  /** Connection pool statistics (PGlite reports its single connection). */
  poolStats(): { total: number; idle: number; waiting: number; max: number };
  /** PGlite only: the whole data directory as an uncompressed tarball (see DbOptions.loadDataDir). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface DbOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory; undefined = in memory (tests). */
  dataDir?: string | undefined;
  /** PGlite only: start from this dumped data directory (Db.dumpDataDir) instead of a new cluster. Tests clone a migrated database this way. */
  loadDataDir?: Blob | undefined;
  poolSize?: number;
  statementTimeoutMs?: number;
  plugins?: KyselyPlugin[];
  /** Called after every query (metrics). */
  onQuery?: (event: LogEvent) => void;
  applicationName?: string;
}

const OID = { INT8: 20, DATE: 1082, NUMERIC: 1700, TIMESTAMPTZ: 1184, TIMESTAMP: 1114 } as const;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === OID.INT8) return (v: string) => BigInt(v);
      if (oid === OID.DATE) return (v: string) => v;
      if (oid === OID.NUMERIC) return (v: string) => v;
      return pg.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export async function createDb(opts: DbOptions): Promise<Db> {
  const plugins = opts.plugins ?? [];
  if (opts.databaseUrl) {
    const max = opts.poolSize ?? 10;
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max,
      types: pgTypes(),
      application_name: opts.applicationName ?? 'finhub',
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
      // No JIT: finhub's queries are short, but a LIMIT over a filtered index walk can carry a
      // plan cost in the hundreds of thousands, and above 500,000 PostgreSQL then spends
      // 300+ ms compiling it with LLVM for a query that runs in a few milliseconds.
      options: '-c jit=off',
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its server must not crash the process; the pool drops it.
    pool.on('error', () => {});
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins, ...(opts.onQuery ? { log: opts.onQuery } : {}) });
    return {
      engine: 'postgres',
      kysely,
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
      close: () => kysely.destroy(),
    };
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create(opts.dataDir, {
    extensions: { pg_trgm },
    parsers: {
      [pgliteTypes.INT8]: (v: string) => BigInt(v),
      [pgliteTypes.DATE]: (v: string) => v,
      [pgliteTypes.NUMERIC]: (v: string) => v,
    },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  const kysely = new Kysely<Database>({ dialect: new PGliteDialect(pglite), plugins, ...(opts.onQuery ? { log: opts.onQuery } : {}) });
  return {
    engine: 'pglite',
    kysely,
    dataDir: opts.dataDir,
    poolStats: () => ({ total: 1, idle: 1, waiting: 0, max: 1 }),
    dumpDataDir: () => pglite.dumpDataDir('none'),
    close: async () => {
      await kysely.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** Quick connectivity probe with a timeout, for readiness checks. */
export async function pingDb(db: Db, timeoutMs: number): Promise<number> {
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db.kysely), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}
