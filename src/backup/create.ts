// Taking a backup: one REPEATABLE READ, READ ONLY transaction on one
// connection supplies every row, so the archive is a single consistent
// snapshot even while the server keeps writing. Rows stream page by page
// (keyset pagination) through gzip and age into the store.
//
// PostgreSQL: other connections keep reading and writing during the backup.
// PGlite: the engine has a single connection, so the snapshot transaction
// holds it and other requests wait until the backup has been read (about a
// second for the demo ledger). A single connection cannot serve writers
// beside an open snapshot.
import type { Db } from '../db/create-db.ts';
import { encodeArchive, type ArchivePart, type EncodeStats } from './archive.ts';
import { EXCLUSION_NOTES } from './exclusions.ts';
import {
  archiveFileName, FORMAT, FORMAT_VERSION, manifestText, newBackupId, sealManifest, type BackupKind, type Manifest, type ManifestCore, type TableEntry,
} from './format.ts';
import { listTables, query } from './introspect.ts';
import { ledgerInvariants } from './invariants.ts';
import { appliedMigrations, databaseName, fixTextOutput, installationId, PAGE_ROWS, planDump, snapshotInfo, tablePages, type DumpTable } from './snapshot.ts';
import type { BackupStore } from './store.ts';
import { createHash } from 'node:crypto';

export interface CreateBackupOptions {
  db: Db;
  store: BackupStore;
  recipients: readonly string[];
  finhubVersion: string;
  kind?: BackupKind;
  note?: string | null;
  /** Chosen by the caller (e.g. to catalogue the run first); default: a new id. */
  id?: string;
  /** Describes the source in the manifest, e.g. the data directory (never a URL with credentials). */
  sourceLabel?: string;
  onProgress?: (line: string) => void;
  gzipLevel?: number;
  /** Archive hash block size (default format.BLOCK_SIZE); tests use small blocks. */
  blockSize?: number;
  pageRows?: number;
}

export interface CreatedBackup {
  id: string;
  manifest: Manifest;
  size: number;
  seconds: number;
}

const line = (o: unknown): Buffer => Buffer.from(JSON.stringify(o) + '\n');

async function* oneLine(make: () => unknown): AsyncGenerator<Buffer> {
  yield line(make());
}

async function* tableSection(ex: Parameters<typeof tablePages>[0], t: DumpTable, entry: TableEntry, pageRows: number, onProgress?: (l: string) => void): AsyncGenerator<Buffer> {
  yield line({ kind: 'table', name: t.info.name, columns: entry.columns });
  const hash = createHash('sha256');
  for await (const page of tablePages(ex, t, pageRows)) {
    const bytes = Buffer.from(page.text); // encoded once: hashed and written as the same bytes
    hash.update(bytes);
    entry.rows += page.rows;
    yield bytes;
  }
  entry.sha256 = hash.digest('hex');
  if (entry.rows > 0) onProgress?.(`  ${t.info.name}: ${entry.rows} rows`);
  yield line({ kind: 'end', name: t.info.name, rows: entry.rows, sha256: entry.sha256 });
}

export async function createBackup(opts: CreateBackupOptions): Promise<CreatedBackup> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const id = opts.id ?? newBackupId();
  const pageRows = opts.pageRows ?? PAGE_ROWS;
  let manifest: Manifest | undefined;
  let size = 0;

  await opts.db.kysely.connection().execute(async (conn) => {
    await query(conn, 'begin isolation level repeatable read read only');
    try {
      await fixTextOutput(conn);
      // The first statement fixes the snapshot; now() is the transaction's start.
      const snapshot = await snapshotInfo(conn);
      const tables = await listTables(conn);
      const { dump, excluded } = planDump(tables);
      const migrations = await appliedMigrations(conn, tables);
      const core: ManifestCore = {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        id,
        kind: opts.kind ?? 'manual',
        note: opts.note ?? null,
        finhub_version: opts.finhubVersion,
        engine: opts.db.engine,
        source: { installation_id: await installationId(conn, tables), database: opts.sourceLabel ?? (opts.db.engine === 'postgres' ? await databaseName(conn) : 'embedded') },
        migration: migrations.at(-1) ?? null,
        migrations,
        created_at: snapshot.at,
        snapshot,
        tables: [],
        excluded: { tables: excluded, notes: [...EXCLUSION_NOTES] },
        invariants: await ledgerInvariants(conn, tables),
        recipients: [...opts.recipients],
        compression: 'gzip, one member per section',
      };
      opts.onProgress?.(`snapshot at ${snapshot.at} (${opts.db.engine}, schema ${core.migration ?? 'none'})`);

      async function* parts(): AsyncGenerator<ArchivePart> {
        const head = { format: core.format, format_version: core.format_version, id, created_at: core.created_at, engine: core.engine, migration: core.migration };
        yield { name: 'header', chunks: oneLine(() => ({ kind: 'header', ...head })) };
        for (const t of dump) {
          const entry: TableEntry = {
            name: t.info.name,
            columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
            primary_key: t.info.primaryKey,
            rows: 0,
            sha256: '',
            ...(t.replaced ? { replaced_columns: t.replaced } : {}),
            ...(t.filter ? { row_filter: t.filter.reason } : {}),
          };
          core.tables.push(entry);
          yield { name: `table:${t.info.name}`, chunks: tableSection(conn, t, entry, pageRows, opts.onProgress) };
        }
        // Built lazily: every table section has been consumed by now.
        yield { name: 'trailer', chunks: oneLine(() => ({ kind: 'trailer', manifest: core })) };
      }

      const stats = {} as EncodeStats;
      const stored = await opts.store.put(id, encodeArchive(parts(), opts.recipients, stats, { gzipLevel: opts.gzipLevel, blockSize: opts.blockSize }), () => {
        manifest = sealManifest({ ...core, archive: { file: archiveFileName(id), ...stats }, duration_seconds: Number(elapsed().toFixed(3)) });
        return manifestText(manifest);
      });
      size = stored.size;
      await query(conn, 'commit');
    } catch (e) {
      await query(conn, 'rollback').catch(() => {});
      throw e;
    }
  });
  return { id, manifest: manifest!, size, seconds: elapsed() };
}
