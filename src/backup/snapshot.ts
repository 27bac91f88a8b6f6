// Reading tables in the canonical row encoding (see format.ts), page by page
// in primary-key order, inside the caller's transaction. The same code reads
// the snapshot for a backup and re-reads a restored database to compare
// fingerprints, so both sides encode rows identically by construction.
import { createHash } from 'node:crypto';
import { EXCLUDED_TABLES, REPLACED_COLUMNS, ROW_FILTERS } from './exclusions.ts';
import type { SnapshotInfo } from './format.ts';
import { ident, query, type AnyKysely, type ColumnInfo, type TableInfo } from './introspect.ts';

export const PAGE_ROWS = 5000;

/**
 * Session settings that fix every type's text output, so equal data encodes
 * to equal bytes on both engines. Local to the caller's transaction.
 */
export async function fixTextOutput(ex: AnyKysely): Promise<void> {
  for (const s of [
    `set local timezone to 'UTC'`,
    `set local datestyle to 'ISO, YMD'`,
    `set local intervalstyle to 'postgres'`,
    `set local extra_float_digits to 1`,
    `set local bytea_output to 'hex'`,
    `set local statement_timeout to 0`,
  ]) await query(ex, s);
}

export interface DumpTable {
  info: TableInfo;
  /** Stored (non-generated) columns, in table order. */
  columns: ColumnInfo[];
  replaced?: Record<string, string>;
  filter?: { keep: string; reason: string };
}

export function planDump(tables: TableInfo[]): { dump: DumpTable[]; excluded: Record<string, string> } {
  const excluded: Record<string, string> = {};
  const dump: DumpTable[] = [];
  for (const info of tables) {
    const reason = EXCLUDED_TABLES[info.name];
    if (reason) {
      excluded[info.name] = reason;
      continue;
    }
    const t: DumpTable = { info, columns: info.columns.filter((c) => !c.generated) };
    const repl = REPLACED_COLUMNS[info.name];
    if (repl) {
      const present = Object.entries(repl).filter(([col]) => t.columns.some((c) => c.name === col));
      if (present.length) t.replaced = Object.fromEntries(present.map(([col, r]) => [col, r.reason]));
    }
    const filter = ROW_FILTERS[info.name];
    if (filter) t.filter = filter;
    dump.push(t);
  }
  return { dump, excluded };
}

function rowExpr(t: DumpTable): string {
  const repl = REPLACED_COLUMNS[t.info.name] ?? {};
  const cols = t.columns.map((c) => {
    const r = t.replaced?.[c.name] ? repl[c.name] : undefined;
    return `(${r ? r.expr : ident(c.name)})::text`;
  });
  // array[] rather than json_build_array: no 100-argument limit.
  return `array_to_json(array[${cols.join(', ')}]::text[])::text`;
}

function keyExprs(t: DumpTable): string[] {
  return t.info.primaryKey.map((k) => {
    const col = t.info.columns.find((c) => c.name === k);
    return col?.collatable ? `${ident(k)} collate "C"` : ident(k);
  });
}

/** Row lines of one table, a page at a time: text is the page's lines, each ending in "\n". */
export async function* tablePages(ex: AnyKysely, t: DumpTable, pageRows: number = PAGE_ROWS): AsyncGenerator<{ text: string; rows: number }> {
  const from = ident(t.info.name);
  const where = t.filter ? [`(${t.filter.keep})`] : [];
  const r = rowExpr(t);
  if (t.info.primaryKey.length === 0) {
    // No key to page on: order by the encoded row itself (deterministic on both
    // engines), read through a cursor so the table is sorted once, not once per
    // page. Callers run inside a transaction (a cursor lives in one).
    const cursor = `finhub_dump_${Math.random().toString(36).slice(2, 10)}`;
    await query(ex, `declare ${cursor} no scroll cursor for select r from (select ${r} as r from ${from}${where.length ? ` where ${where.join(' and ')}` : ''}) s order by r collate "C"`);
    try {
      for (;;) {
        const rows = await query<{ r: string }>(ex, `fetch forward ${pageRows} from ${cursor}`);
        if (rows.length === 0) return;
        yield { text: rows.map((x) => x.r).join('\n') + '\n', rows: rows.length };
        if (rows.length < pageRows) return;
      }
    } finally {
      await query(ex, `close ${cursor}`);
    }
  }
  const keys = keyExprs(t);
  const keyCols = t.info.primaryKey.map((k, i) => `${ident(k)}::text as k${i}`);
  const keyTypes = t.info.primaryKey.map((k) => t.info.columns.find((c) => c.name === k)!);
  let after: string[] | undefined;
  for (;;) {
    const conds = [...where];
    if (after) {
      const params = keyTypes.map((c, i) => `$${i + 1}::${c.type}${c.collatable ? ' collate "C"' : ''}`);
      conds.push(`(${keys.join(', ')}) > (${params.join(', ')})`);
    }
    const rows = await query<Record<string, string>>(
      ex,
      `select ${keyCols.join(', ')}, ${r} as r from ${from}${conds.length ? ` where ${conds.join(' and ')}` : ''} order by ${keys.join(', ')} limit ${pageRows}`,
      after ?? [],
    );
    if (rows.length === 0) return;
    yield { text: rows.map((x) => x.r).join('\n') + '\n', rows: rows.length };
    if (rows.length < pageRows) return;
    const last = rows[rows.length - 1]!;
    after = t.info.primaryKey.map((_, i) => last[`k${i}`]!);
  }
}

/** Row count and fingerprint of a table as it is now (used after a restore). */
export async function fingerprint(ex: AnyKysely, t: DumpTable): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const page of tablePages(ex, t)) {
    hash.update(page.text);
    rows += page.rows;
  }
  return { rows, sha256: hash.digest('hex') };
}

export async function snapshotInfo(ex: AnyKysely): Promise<SnapshotInfo> {
  const [row] = await query<{ at: string; snap: string | null }>(
    ex,
    `select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, pg_current_snapshot()::text as snap`,
  );
  let lsn: string | null = null;
  // Not every role or engine may read the WAL position; the backup does not depend on it.
  await query(ex, 'savepoint finhub_lsn');
  try {
    const [l] = await query<{ lsn: string | null }>(ex, `select (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text as lsn`);
    lsn = l?.lsn ?? null;
    await query(ex, 'release savepoint finhub_lsn');
  } catch {
    await query(ex, 'rollback to savepoint finhub_lsn');
  }
  return { at: row!.at, snapshot: row!.snap, lsn };
}

/** Applied migrations, oldest first (empty for a database finhub never migrated). */
export async function appliedMigrations(ex: AnyKysely, tables: TableInfo[]): Promise<string[]> {
  if (!tables.some((t) => t.name === 'finhub_migrations')) return [];
  return (await query<{ name: string }>(ex, 'select name from finhub_migrations order by name')).map((r) => r.name);
}

export async function installationId(ex: AnyKysely, tables: TableInfo[]): Promise<string | null> {
  if (!tables.some((t) => t.name === 'system_settings')) return null;
  const [row] = await query<{ v: string | null }>(ex, `select value #>> '{}' as v from system_settings where key = 'installation_id'`);
  return row?.v ?? null;
}

export async function databaseName(ex: AnyKysely): Promise<string> {
  const [row] = await query<{ d: string }>(ex, 'select current_database() as d');
  return row!.d;
}
