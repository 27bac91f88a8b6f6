// The backup archive format, version 1. One backup is two files:
//
//   finhub-<id>.backup.age      age-encrypted (X25519 recipients)
//   finhub-<id>.manifest.json   plain JSON, readable without the key
//
// Decrypted, the archive is a concatenation of gzip members, one per section:
// a header, one section per table in foreign-key order, and a trailer. Each
// decompressed section is UTF-8 text, one item per line:
//
//   {"kind":"header",...}                           the header section's only line
//   {"kind":"table","name":"users","columns":[...]} opens a table section
//   ["<text of col 1>", null, ...]                  one line per row (a JSON array)
//   {"kind":"end","name":"users","rows":N,"sha256":"…"}
//   {"kind":"trailer","manifest":{…}}               the manifest (without the
//                                                   archive-level fields)
//
// A row holds every column's PostgreSQL text output (the `::text` cast, as
// COPY would print it) under fixed settings (TimeZone UTC, DateStyle ISO,
// IntervalStyle postgres, extra_float_digits 1, bytea_output hex), or null.
// The same data therefore encodes to the same bytes on PGlite and PostgreSQL,
// and a table's fingerprint is simply the SHA-256 of its row lines (each with
// its "\n") in primary-key order (text keys compared with COLLATE "C").
// Restore casts each text back with the column's type, server-side.
//
// Separate gzip members give exact compressed offsets for every section, so
// the manifest can map each section to its byte range in the encrypted file
// and a damaged byte can be attributed to a table without the key.
import { createHash, randomBytes } from 'node:crypto';

export const FORMAT = 'finhub-backup';
export const FORMAT_VERSION = 1;
/** Granularity of the per-block archive hashes (L1 damage localisation without the key). */
export const BLOCK_SIZE = 256 * 1024;

export type BackupKind = 'manual' | 'scheduled' | 'pre-migrate' | 'safety';

export interface ColumnSpec {
  name: string;
  /** format_type() of the column, used to cast the text back on restore. */
  type: string;
}

export interface TableEntry {
  name: string;
  columns: ColumnSpec[];
  primary_key: string[];
  rows: number;
  /** SHA-256 (hex) of the table's row lines: its content fingerprint. */
  sha256: string;
  /** Columns whose value was replaced on the way out (secrets), with why. */
  replaced_columns?: Record<string, string>;
  /** Rows left out (secrets), with why. */
  row_filter?: string;
}

export interface LedgerInvariants {
  transactions: number;
  split_parents: number;
  split_parts: number;
  /** Split parents whose parts are missing, do not sum to the amount, or differ in account/date. */
  split_mismatches: number;
  transfer_rows: number;
  /** Transfer rows whose peer is missing, does not point back, or does not cancel out (same currency). */
  transfer_broken: number;
  accounts: number;
  /** Accounts whose stored tx_sum_minor / cleared_sum_minor differ from the sum of their top-level rows. */
  account_sum_mismatches: number;
  /** SHA-256 over "<account id> <currency> <opening + tx_sum>\n" in id order. */
  balances_sha256: string;
  /** Sum of account balances per currency, as decimal text of minor units. */
  balance_totals: Record<string, string>;
}

export interface SnapshotInfo {
  /** Transaction start time of the snapshot (the point in time the data reflects). */
  at: string;
  /** pg_current_snapshot() text, e.g. "748:748:". */
  snapshot: string | null;
  /** WAL position when the snapshot was taken, where the engine reports one. */
  lsn: string | null;
}

/** Everything known before the archive bytes exist; also stored inside the archive (trailer). */
export interface ManifestCore {
  format: typeof FORMAT;
  format_version: number;
  id: string;
  kind: BackupKind;
  note: string | null;
  finhub_version: string;
  engine: 'pglite' | 'postgres';
  source: { installation_id: string | null; database: string };
  /** Latest applied migration at snapshot time. */
  migration: string | null;
  migrations: string[];
  created_at: string;
  snapshot: SnapshotInfo;
  tables: TableEntry[];
  excluded: { tables: Record<string, string>; notes: string[] };
  invariants: LedgerInvariants | null;
  recipients: string[];
  compression: 'gzip, one member per section';
}

export interface ArchiveSection {
  /** "header", "table:<name>" or "trailer". */
  name: string;
  /** Byte range in the decrypted (compressed) payload, end exclusive. */
  compressed: [number, number];
  /** Byte range of the encrypted chunks holding it, end exclusive. */
  archive: [number, number];
}

export interface ArchiveInfo {
  file: string;
  size: number;
  sha256: string;
  block_size: number;
  /** SHA-256 of each block_size slice of the archive, to localise damage without the key. */
  block_sha256: string[];
  /** Length of the age header; the payload nonce follows, then the chunks. */
  header_bytes: number;
  sections: ArchiveSection[];
}

export interface Manifest extends ManifestCore {
  archive: ArchiveInfo;
  duration_seconds: number;
  /** SHA-256 of the canonical JSON of every other field: catches damage to this file. */
  manifest_sha256: string;
}

const ID = /^(\d{8}T\d{6}Z)-([0-9a-f]{6})$/;

export const isBackupId = (s: string): boolean => ID.test(s);

export function newBackupId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export const archiveFileName = (id: string): string => `finhub-${id}.backup.age`;
export const manifestFileName = (id: string): string => `finhub-${id}.manifest.json`;
export const verificationFileName = (id: string): string => `finhub-${id}.verify.json`;

/** JSON with object keys sorted at every level: the input of manifest_sha256. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function sealManifest(m: Omit<Manifest, 'manifest_sha256'>): Manifest {
  return { ...m, manifest_sha256: sha256Hex(canonicalJson(m)) };
}

export function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Parses and checks a manifest file's text: JSON, format, version and its own checksum. */
export function parseManifest(text: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new ManifestError(`the manifest is not valid JSON (${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object' || m.format !== FORMAT) throw new ManifestError('the file is not a finhub backup manifest');
  if (m.format_version !== FORMAT_VERSION) throw new ManifestError(`manifest format version ${String(m.format_version)} is not supported by this finhub (it reads version ${FORMAT_VERSION})`);
  const { manifest_sha256: stated, ...rest } = m;
  if (typeof stated !== 'string' || sha256Hex(canonicalJson(rest)) !== stated) throw new ManifestError('the manifest checksum does not match its content (the manifest file was altered or damaged)');
  if (!isBackupId(m.id)) throw new ManifestError(`the manifest names an invalid backup id ${JSON.stringify(m.id)}`);
  return m;
}

/** The manifest fields that are also stored inside the archive (see ManifestCore). */
export function manifestCore(m: Manifest | ManifestCore): ManifestCore {
  const { archive: _a, duration_seconds: _d, manifest_sha256: _s, ...core } = m as Manifest;
  return core;
}

/** Which named parts of the archive overlap a byte range (for damage reports). */
export function partsAt(archive: Pick<ArchiveInfo, 'header_bytes' | 'sections'>, start: number, end: number): string[] {
  const out: string[] = [];
  const nonceEnd = archive.header_bytes + 16;
  const overlaps = (a: number, b: number) => start < b && end > a;
  if (overlaps(0, archive.header_bytes)) out.push('the age header (recipients and MAC)');
  if (overlaps(archive.header_bytes, nonceEnd)) out.push('the payload nonce');
  for (const s of archive.sections) {
    if (overlaps(s.archive[0], s.archive[1]) || (start === end && start >= s.archive[0] && start < s.archive[1])) out.push(describeSection(s.name));
  }
  return out;
}

export function describeSection(name: string): string {
  if (name.startsWith('table:')) return `table ${name.slice(6)}`;
  return `the archive ${name}`;
}
