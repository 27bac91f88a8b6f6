// Restoring an archive into a database, all in ONE transaction on one
// connection, on either engine:
//
//   drop what the target holds -> run migrations up to the backup's schema ->
//   load every table -> re-create indexes and foreign keys (validating them) ->
//   check row counts, optionally fingerprints, and the ledger invariants ->
//   run the migrations newer than the backup -> COMMIT
//
// Any failure (a damaged archive, a kill -9, a full disk, a check that does not
// match) rolls back, so the target is either fully restored or exactly as it
// was. PostgreSQL and PGlite both have transactional DDL, so no "restore
// beside, then swap" step is needed. Kysely's migrator runs inside the
// transaction (disableTransactions, on the same connection).
//
// For speed and fidelity the load is done the way pg_restore does it:
// secondary indexes and foreign keys are dropped and re-created after the data
// (re-adding a foreign key validates every row), and user triggers are
// disabled while loading, so derived columns (account sums, search text) are
// restored exactly as backed up; the invariant check afterwards proves they
// still agree with the transactions.
import { Migrator } from 'kysely';
import type { Db } from '../db/create-db.ts';
import { migrations as knownMigrations } from '../db/migrations/index.ts';
import { decodeArchive, ArchiveError } from './archive.ts';
import { EXCLUDED_TABLES, KEPT_FROM_TARGET, REFERENCE_TABLES } from './exclusions.ts';
import { canonicalJson, manifestCore, type LedgerInvariants, type Manifest, type TableEntry } from './format.ts';
import { ident, listTables, literal, query, type AnyKysely, type TableInfo } from './introspect.ts';
import { invariantDifferences, ledgerInvariants } from './invariants.ts';
import { fingerprint, fixTextOutput, planDump, tablePages } from './snapshot.ts';
import type { BackupStore } from './store.ts';

export interface RestoreSource {
  store: BackupStore;
  id: string;
  manifest: Manifest;
}

export interface RestoreOptions {
  identities: readonly string[];
  /** Replace whatever the target holds (the caller took a safety backup). Without it a target with data is refused. */
  replace?: boolean;
  /** Recompute every table's fingerprint before committing and compare with the manifest (verify level 3). */
  checkFingerprints?: boolean;
  /** Apply the migrations newer than the backup's schema (default true). */
  migrateToLatest?: boolean;
  /**
   * Leave out the non-unique secondary indexes (default false). Only for a
   * scratch database that is thrown away (verify level 3): such an index
   * cannot reject a row, so rebuilding it proves nothing about the backup,
   * while unique indexes, primary keys and foreign keys are still re-created
   * and validated. Level 4 and real restores rebuild everything.
   */
  skipNonUniqueIndexes?: boolean;
  onProgress?: (line: string) => void;
  /** JSON bytes per INSERT statement (default 2 MiB; with one statement in flight, about twice that is held). */
  batchBytes?: number;
  /** Runs inside the transaction just before COMMIT (tests use it to fail late). */
  beforeCommit?: (ex: AnyKysely) => Promise<void>;
}

export interface RestoreResult {
  id: string;
  tables: { name: string; rows: number }[];
  rows: number;
  backupMigration: string;
  migrationsApplied: string[];
  /** Invariants of the restored data (before newer migrations ran). */
  invariants: LedgerInvariants | null;
  /** Tables whose rows were kept from the target instead of taken from the backup (see KEPT_FROM_TARGET). */
  keptFromTarget: string[];
  fingerprintsChecked: boolean;
  seconds: {
    /** Everything, including the optional fingerprint check. */
    total: number;
    /** What a real restore costs (total minus the fingerprint check): the measured RTO. */
    restore: number;
    fingerprints: number;
    migrate: number;
  };
}

export class RestoreError extends Error {
  constructor(message: string, readonly reason: 'not-empty' | 'incompatible' | 'failed', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreError';
  }
}

/** Tables whose rows do not make a database "non-empty" (bookkeeping a fresh server writes by itself, reference data of migrations). */
const BOOKKEEPING = new Set([...Object.keys(EXCLUDED_TABLES), ...Object.keys(REFERENCE_TABLES), 'system_settings', 'jobs', 'job_schedules']);

/** Tables of the current schema holding data (bookkeeping tables aside). */
export async function tablesWithData(ex: AnyKysely, tables?: TableInfo[]): Promise<string[]> {
  const list = tables ?? (await listTables(ex));
  const out: string[] = [];
  for (const t of list) {
    if (BOOKKEEPING.has(t.name)) continue;
    const [r] = await query<{ any: boolean }>(ex, `select exists (select 1 from ${ident(t.name)}) as any`);
    if (r?.any) out.push(t.name);
  }
  return out;
}

/** Drops every table, view, sequence, routine and type of the current schema that no extension owns. */
async function dropEverything(ex: AnyKysely): Promise<number> {
  const notExtension = (cls: string, col: string) => `not exists (select 1 from pg_depend d where d.classid = '${cls}'::regclass and d.objid = ${col} and d.deptype = 'e')`;
  const rels = await query<{ name: string; kind: string }>(
    ex,
    `select c.relname as name, c.relkind::text as kind from pg_class c
      where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and ${notExtension('pg_class', 'c.oid')}
      order by case c.relkind when 'v' then 0 when 'm' then 1 when 'r' then 2 when 'p' then 2 else 3 end, c.relname`,
  );
  let n = 0;
  for (const r of rels) {
    const what = { v: 'view', m: 'materialized view', S: 'sequence', f: 'foreign table' }[r.kind] ?? 'table';
    await query(ex, `drop ${what} if exists ${ident(r.name)} cascade`);
    n++;
  }
  const routines = await query<{ sig: string }>(
    ex,
    `select p.oid::regprocedure::text as sig from pg_proc p where p.pronamespace = current_schema()::regnamespace and ${notExtension('pg_proc', 'p.oid')}`,
  );
  for (const r of routines) {
    await query(ex, `drop routine if exists ${r.sig} cascade`);
    n++;
  }
  const types = await query<{ name: string }>(
    ex,
    `select t.typname as name from pg_type t
      where t.typnamespace = current_schema()::regnamespace and t.typtype in ('e', 'd', 'r', 'c')
        and (t.typtype <> 'c' or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
        and ${notExtension('pg_type', 't.oid')}`,
  );
  for (const t of types) {
    await query(ex, `drop type if exists ${ident(t.name)} cascade`);
    n++;
  }
  return n;
}

async function migrate(ex: AnyKysely, to: string | undefined): Promise<string[]> {
  const m = new Migrator({
    db: ex,
    provider: { getMigrations: async () => knownMigrations },
    migrationTableName: 'finhub_migrations',
    migrationLockTableName: 'finhub_migrations_lock',
    // We are already inside the restore transaction, on its connection.
    disableTransactions: true,
  });
  const r = to ? await m.migrateTo(to) : await m.migrateToLatest();
  if (r.error) {
    const failed = r.results?.find((x) => x.status === 'Error');
    throw new Error(`migration${failed ? ` ${failed.migrationName}` : ''} failed: ${r.error instanceof Error ? r.error.message : String(r.error)}`);
  }
  return (r.results ?? []).filter((x) => x.status === 'Success').map((x) => x.migrationName);
}

interface Detached {
  indexes: string[];
  /** Non-unique index definitions (a subset of indexes). */
  nonUnique: Set<string>;
  foreignKeys: { table: string; name: string; def: string }[];
  tables: string[];
}

async function detachForLoad(ex: AnyKysely, tables: string[]): Promise<Detached> {
  const list = tables.map(literal).join(', ');
  const indexes = await query<{ name: string; def: string }>(
    ex,
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i join pg_class t on t.oid = i.indrelid
      where t.relnamespace = current_schema()::regnamespace and t.relname in (${list})
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
  );
  const fks = await query<{ table: string; name: string; def: string }>(
    ex,
    `select t.relname as table, c.conname as name, pg_get_constraintdef(c.oid) as def
       from pg_constraint c join pg_class t on t.oid = c.conrelid
      where c.contype = 'f' and t.relnamespace = current_schema()::regnamespace and t.relname in (${list})`,
  );
  for (const fk of fks) await query(ex, `alter table ${ident(fk.table)} drop constraint ${ident(fk.name)}`);
  for (const ix of indexes) await query(ex, `drop index ${ix.name}`);
  for (const t of tables) await query(ex, `alter table ${ident(t)} disable trigger user`);
  const defs = indexes.map((i) => i.def);
  return { indexes: defs, nonUnique: new Set(defs.filter((d) => !/^CREATE UNIQUE INDEX /i.test(d))), foreignKeys: fks, tables };
}

async function reattach(ex: AnyKysely, d: Detached, skipNonUnique = false): Promise<void> {
  for (const def of d.indexes) if (!(skipNonUnique && d.nonUnique.has(def))) await query(ex, def);
  for (const fk of d.foreignKeys) await query(ex, `alter table ${ident(fk.table)} add constraint ${ident(fk.name)} ${fk.def}`);
  for (const t of d.tables) await query(ex, `alter table ${ident(t)} enable trigger user`);
  await resetSequences(ex, d.tables);
}

/** Sequences behind serial / identity columns continue after the restored values. */
async function resetSequences(ex: AnyKysely, tables: string[]): Promise<void> {
  if (tables.length === 0) return;
  const seqs = await query<{ seq: string; tbl: string; col: string }>(
    ex,
    `select s.oid::regclass::text as seq, t.relname as tbl, a.attname as col
       from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
       join pg_class t on t.oid = d.refobjid join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
      where d.deptype in ('a', 'i') and t.relnamespace = current_schema()::regnamespace and t.relname in (${tables.map(literal).join(', ')})`,
  );
  for (const s of seqs) {
    await query(ex, `select setval(${literal(s.seq)}::regclass, coalesce(max(${ident(s.col)}), 1), max(${ident(s.col)}) is not null) from ${ident(s.tbl)}`);
  }
}

function insertSql(table: string, cols: { name: string; type: string }[]): string {
  // jsonb, not json: json's ->> re-parses the row's text for every column (4x slower on transactions; bench/backup.ts).
  return `insert into ${ident(table)} (${cols.map((c) => ident(c.name)).join(', ')}) overriding system value
          select ${cols.map((c, i) => `(r->>${i})::${c.type}`).join(', ')} from jsonb_array_elements($1::jsonb) as r`;
}

/** Inserts row lines (JSON arrays of column texts) in statements of about batchBytes. */
async function insertLines(ex: AnyKysely, text: string, lines: Buffer[], batchBytes: number): Promise<void> {
  for (let i = 0; i < lines.length; ) {
    const parts: Buffer[] = [Buffer.from('[')];
    let bytes = 0;
    for (; i < lines.length && (bytes === 0 || bytes < batchBytes); i++) {
      if (bytes > 0) parts.push(Buffer.from(','));
      parts.push(lines[i]!);
      bytes += lines[i]!.length + 1;
    }
    parts.push(Buffer.from(']'));
    await query(ex, text, [Buffer.concat(parts).toString('utf8')]);
  }
}

interface KeptTable {
  columns: { name: string; type: string }[];
  lines: Buffer[];
}

/** The target's rows of KEPT_FROM_TARGET tables, read before anything is dropped. */
async function readKept(ex: AnyKysely, tables: TableInfo[]): Promise<Map<string, KeptTable>> {
  const out = new Map<string, KeptTable>();
  const { dump } = planDump(tables.filter((t) => KEPT_FROM_TARGET[t.name]));
  for (const t of dump) {
    delete t.replaced;
    const lines: Buffer[] = [];
    for await (const page of tablePages(ex, t)) for (const l of page.text.split('\n')) if (l) lines.push(Buffer.from(l));
    out.set(t.info.name, { columns: t.columns.map((c) => ({ name: c.name, type: c.type })), lines });
  }
  return out;
}

async function putBackKept(ex: AnyKysely, kept: Map<string, KeptTable>, progress: (l: string) => void, batchBytes: number): Promise<string[]> {
  const done: string[] = [];
  if (kept.size === 0) return done;
  const now = await listTables(ex);
  for (const [name, k] of kept) {
    const t = now.find((x) => x.name === name);
    const cols = t?.columns.filter((c) => !c.generated).map((c) => `${c.name} ${c.type}`).join(',');
    if (!t || cols !== k.columns.map((c) => `${c.name} ${c.type}`).join(',')) {
      progress(`note: the target's ${name} could not be kept (its columns differ after the restore); the backup's rows stay`);
      continue;
    }
    await query(ex, `delete from ${ident(name)}`);
    await insertLines(ex, insertSql(name, k.columns), k.lines, batchBytes);
    done.push(name);
    progress(`kept the target's ${name} (${k.lines.length} rows) instead of the backup's`);
  }
  await resetSequences(ex, done);
  return done;
}

function checkSchema(entry: TableEntry, have: TableInfo | undefined): void {
  if (!have) throw new RestoreError(`the schema at migration level of the backup has no table ${entry.name}`, 'incompatible');
  const stored = have.columns.filter((c) => !c.generated).map((c) => `${c.name} ${c.type}`);
  const wanted = entry.columns.map((c) => `${c.name} ${c.type}`);
  if (canonicalJson(stored) !== canonicalJson(wanted)) {
    throw new RestoreError(`table ${entry.name} differs from the backup: backup columns (${wanted.join(', ')}), schema columns (${stored.join(', ')})`, 'incompatible');
  }
}

/** Refuses archives this finhub cannot restore (newer schema, or no finhub schema at all). */
export function assertRestorable(m: Manifest): string {
  if (!m.migration) throw new RestoreError(`backup ${m.id} holds no finhub schema version (a copy of a database finhub never migrated); it can be decrypted and read, but not restored`, 'incompatible');
  const known = new Set(Object.keys(knownMigrations));
  const unknown = m.migrations.filter((x) => !known.has(x));
  if (unknown.length) {
    throw new RestoreError(`backup ${m.id} was made by a newer finhub (${m.finhub_version}): its schema includes migration(s) ${unknown.join(', ')} that this version does not have. Upgrade finhub, then restore.`, 'incompatible');
  }
  return m.migration;
}

/**
 * Restores a backup into `target`. Either everything is committed or nothing
 * changed: on any error the transaction is rolled back and RestoreError says so.
 */
export async function restoreInto(target: Db, source: RestoreSource, opts: RestoreOptions): Promise<RestoreResult> {
  const started = process.hrtime.bigint();
  const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
  const { manifest } = source;
  const progress = opts.onProgress ?? (() => {});
  const backupMigration = assertRestorable(manifest);
  const batchBytes = opts.batchBytes ?? 2 * 1024 * 1024;
  let result: RestoreResult | undefined;

  await target.kysely.connection().execute(async (conn) => {
    let inflight: Promise<void> | undefined;
    await query(conn, 'begin');
    try {
      await fixTextOutput(conn);
      await query(conn, `set local lock_timeout to '60s'`);
      const before = await listTables(conn);
      const withData = await tablesWithData(conn, before);
      if (withData.length > 0 && !opts.replace) {
        throw new RestoreError(`the target is not empty: ${withData.slice(0, 8).join(', ')}${withData.length > 8 ? ', …' : ''} hold data`, 'not-empty');
      }
      const kept = await readKept(conn, before);
      if (before.length > 0) progress(`dropping the target's ${before.length} tables (inside the restore transaction)`);
      await dropEverything(conn);
      progress(`creating the schema at ${backupMigration}`);
      await migrate(conn, backupMigration);

      const tables = await listTables(conn);
      for (const entry of manifest.tables) checkSchema(entry, tables.find((t) => t.name === entry.name));
      const names = manifest.tables.map((t) => t.name);
      if (names.length > 0) await query(conn, `truncate ${names.map(ident).join(', ')} cascade`);
      const detached = await detachForLoad(conn, names);

      // ---- load ----
      const loaded = new Map<string, number>();
      const entries = new Map(manifest.tables.map((t) => [t.name, t]));
      let insert: { table: string; text: string } | undefined;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      // One INSERT in flight while the next batch is decrypted and parsed (PostgreSQL works meanwhile).
      const flush = async () => {
        if (!insert || pending.length === 0) return;
        const lines = pending;
        const text = insert.text;
        pending = [];
        pendingBytes = 0;
        await inflight;
        inflight = insertLines(conn, text, lines, Number.POSITIVE_INFINITY);
        inflight.catch(() => {}); // awaited at the table's end (or before rollback); this only marks it handled
      };
      const settle = async () => {
        await flush();
        await inflight;
        inflight = undefined;
      };
      let trailer = false;
      for await (const item of decodeArchive(source.store.openArchive(source.id), { identities: opts.identities, manifest, wantRows: true })) {
        if (item.type === 'table') {
          const entry = entries.get(item.table.name);
          if (!entry) throw new ArchiveError(`the archive holds table ${item.table.name}, which its manifest does not list`, [`table ${item.table.name}`], 'inconsistent');
          insert = { table: entry.name, text: insertSql(entry.name, entry.columns) };
          if (entry.rows > 0) progress(`loading ${entry.name} (${entry.rows} rows)`);
        } else if (item.type === 'rows') {
          for (const l of item.lines) {
            pending.push(l);
            pendingBytes += l.length + 1;
            if (pendingBytes >= batchBytes) await flush();
          }
        } else if (item.type === 'end') {
          await settle();
          const entry = entries.get(item.table)!;
          if (item.rows !== entry.rows || item.sha256 !== entry.sha256) {
            throw new ArchiveError(`table ${item.table}: the archive holds ${item.rows} rows with fingerprint ${item.sha256.slice(0, 12)}…, the manifest records ${entry.rows} rows and ${entry.sha256.slice(0, 12)}…`, [`table ${item.table}`], 'inconsistent');
          }
          loaded.set(item.table, item.rows);
          insert = undefined;
        } else if (item.type === 'trailer') {
          if (canonicalJson(item.manifest) !== canonicalJson(manifestCore(manifest))) {
            throw new ArchiveError('the manifest beside the archive differs from the copy inside it (the manifest file was replaced or edited)', ['the manifest'], 'inconsistent');
          }
          trailer = true;
        }
      }
      const missing = names.filter((n) => !loaded.has(n));
      if (!trailer || missing.length) throw new ArchiveError(`the archive lacks table(s) ${missing.join(', ')}`, missing.map((m) => `table ${m}`), 'inconsistent');

      const skipIx = opts.skipNonUniqueIndexes === true;
      progress(skipIx ? `re-creating unique indexes and foreign keys (${detached.nonUnique.size} non-unique indexes left out in this scratch copy)` : 're-creating indexes and foreign keys');
      await reattach(conn, detached, skipIx);
      for (const entry of manifest.tables) {
        const [r] = await query<{ n: bigint }>(conn, `select count(*) as n from ${ident(entry.name)}`);
        if (Number(r!.n) !== entry.rows) throw new RestoreError(`table ${entry.name} has ${String(r!.n)} rows after loading, the backup has ${entry.rows}`, 'failed');
      }

      let fingerprintSeconds = 0;
      if (opts.checkFingerprints) {
        const t0 = process.hrtime.bigint();
        progress('comparing every table with the manifest fingerprints');
        const { dump } = planDump(await listTables(conn));
        for (const entry of manifest.tables) {
          const t = dump.find((d) => d.info.name === entry.name)!;
          const fp = await fingerprint(conn, t);
          if (fp.rows !== entry.rows || fp.sha256 !== entry.sha256) {
            throw new RestoreError(`table ${entry.name}: the restored rows do not match the backup (fingerprint ${fp.sha256.slice(0, 12)}…, manifest ${entry.sha256.slice(0, 12)}…)`, 'failed');
          }
        }
        fingerprintSeconds = since(t0);
      }

      const invariants = await ledgerInvariants(conn, await listTables(conn));
      if (manifest.invariants) {
        const diff = invariants ? invariantDifferences(manifest.invariants, invariants) : ['the restored schema has no ledger tables'];
        if (diff.length) throw new RestoreError(`the restored ledger differs from the backup's invariants: ${diff.join('; ')}`, 'failed');
      }

      let applied: string[] = [];
      const tm = process.hrtime.bigint();
      if (opts.migrateToLatest !== false) {
        applied = await migrate(conn, undefined);
        if (applied.length) progress(`applied newer migrations: ${applied.join(', ')}`);
      }
      const migrateSeconds = since(tm);
      const keptFromTarget = await putBackKept(conn, kept, progress, batchBytes);
      await opts.beforeCommit?.(conn);
      await query(conn, 'commit');
      const total = since(started);
      result = {
        id: source.id,
        tables: manifest.tables.map((t) => ({ name: t.name, rows: t.rows })),
        rows: manifest.tables.reduce((a, t) => a + t.rows, 0),
        backupMigration,
        migrationsApplied: applied,
        invariants,
        keptFromTarget,
        fingerprintsChecked: !!opts.checkFingerprints,
        seconds: { total, restore: total - fingerprintSeconds, fingerprints: fingerprintSeconds, migrate: migrateSeconds },
      };
    } catch (e) {
      await inflight?.catch(() => {});
      await query(conn, 'rollback').catch(() => {});
      throw e;
    }
  });
  return result!;
}
