// Verification levels, each including the ones below:
//
//   L1  the manifest is intact (its own checksum) and the archive has the
//       recorded size and SHA-256; damage is localised to 1 MiB blocks and
//       named (age header, table …) from the manifest's section map. No key.
//   L2  decrypt and decompress everything; every table section's row count
//       and SHA-256 match its end line and the manifest; the manifest copy
//       inside the archive equals the one beside it.
//   L3  restore into a scratch database and compare every table's row count
//       and fingerprint, recomputed from the restored rows, with the manifest.
//   L4  also the ledger invariants hold (and equal the backup's), the newer
//       migrations apply, and the application starts on the restored
//       database and answers /health/ready and an authenticated API call.
import type { Db } from '../db/create-db.ts';
import { ArchiveError, BlockHasher, decodeArchive } from './archive.ts';
import { canonicalJson, describeSection, manifestCore, parseManifest, partsAt, type Manifest } from './format.ts';
import { invariantViolations } from './invariants.ts';
import { restoreInto, RestoreError, type RestoreResult } from './restore.ts';
import type { Scratch } from './scratch.ts';
import type { BackupStore } from './store.ts';

export type VerifyLevel = 1 | 2 | 3 | 4;

export interface VerifyOptions {
  level: VerifyLevel;
  /** age identities; needed from level 2. */
  identities?: readonly string[];
  /** Public keys of those identities, to tell a wrong key from damage. */
  identityRecipients?: readonly string[];
  /** Opens a scratch database; needed from level 3. */
  openScratch?: () => Promise<Scratch>;
  /** Level 4: throws unless the application starts and serves on `db`. */
  appCheck?: (db: Db) => Promise<string>;
  onProgress?: (line: string) => void;
}

export interface VerifyStep {
  level: VerifyLevel;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  id: string;
  levelRequested: VerifyLevel;
  /** Highest level fully passed (0 = not even level 1). */
  levelReached: number;
  ok: boolean;
  steps: VerifyStep[];
  /** What failed, each naming the table or part of the archive. */
  problems: string[];
  manifest?: Manifest;
  restore?: RestoreResult;
  scratch?: string;
  seconds: number;
}

async function level1(store: BackupStore, id: string, m: Manifest): Promise<string[]> {
  const problems: string[] = [];
  const hasher = new BlockHasher(m.archive.block_size);
  try {
    for await (const chunk of store.openArchive(id)) hasher.update(chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [`the archive file ${m.archive.file} is missing`];
    throw e;
  }
  const got = hasher.finish();
  if (got.size !== m.archive.size) {
    if (got.size < m.archive.size) {
      const lost = partsAt(m.archive, got.size, m.archive.size);
      problems.push(`the archive is truncated: ${got.size} of ${m.archive.size} bytes present; the missing bytes ${got.size}-${m.archive.size - 1} held ${lost.join(', ') || 'the end of the archive'}`);
    } else {
      problems.push(`the archive is ${got.size} bytes, ${got.size - m.archive.size} more than the manifest records (data was appended)`);
    }
  }
  if (got.sha256 !== m.archive.sha256) {
    const bad: string[] = [];
    const limit = Math.min(got.blocks.length, m.archive.block_sha256.length);
    for (let i = 0; i < limit; i++) {
      if (got.blocks[i] === m.archive.block_sha256[i]) continue;
      const start = i * m.archive.block_size;
      const end = Math.min(start + m.archive.block_size, got.size, m.archive.size);
      // A partial last block of a truncated file is reported by the size check already.
      if (got.size < m.archive.size && end >= got.size && i === got.blocks.length - 1) continue;
      const parts = partsAt(m.archive, start, end);
      bad.push(`bytes ${start}-${end - 1} (${parts.join(', ') || 'unmapped'})`);
    }
    if (bad.length) problems.push(`the archive's SHA-256 does not match the manifest; damaged block(s): ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`);
    else if (problems.length === 0) problems.push("the archive's SHA-256 does not match the manifest");
  }
  return problems;
}

async function level2(store: BackupStore, id: string, m: Manifest, opts: VerifyOptions): Promise<{ problems: string[]; detail: string }> {
  const problems: string[] = [];
  const expected = new Map(m.tables.map((t) => [t.name, t]));
  const seen: string[] = [];
  let rows = 0;
  let trailerOk = false;
  try {
    for await (const item of decodeArchive(store.openArchive(id), { identities: opts.identities ?? [], manifest: m })) {
      if (item.type === 'header') {
        if (item.header.id !== m.id || item.header.created_at !== m.created_at) problems.push(`the archive header belongs to backup ${String(item.header.id)}, not ${m.id}`);
      } else if (item.type === 'end') {
        seen.push(item.table);
        rows += item.rows;
        const e = expected.get(item.table);
        if (!e) problems.push(`table ${item.table} is in the archive but not in the manifest`);
        else if (e.rows !== item.rows || e.sha256 !== item.sha256) problems.push(`table ${item.table}: the archive holds ${item.rows} rows (fingerprint ${item.sha256.slice(0, 12)}…) but the manifest records ${e.rows} (${e.sha256.slice(0, 12)}…)`);
      } else if (item.type === 'trailer') {
        if (canonicalJson(item.manifest) !== canonicalJson(manifestCore(m))) problems.push('the manifest beside the archive differs from the copy inside it (the manifest file was replaced or edited)');
        else trailerOk = true;
      }
    }
  } catch (e) {
    if (e instanceof ArchiveError) {
      if (e.kind === 'wrong-key') {
        const have = opts.identityRecipients?.length ? ` (the identity is for ${opts.identityRecipients.join(', ')})` : '';
        const matches = opts.identityRecipients?.some((r) => m.recipients.includes(r));
        problems.push(matches
          ? `the age header does not open with the given identity even though it is one of the backup's recipients: the header is damaged`
          : `wrong key: backup ${m.id} is encrypted to ${m.recipients.join(', ')}, and the given identity${have} is not one of them`);
      } else problems.push(e.message);
      return { problems, detail: '' };
    }
    throw e;
  }
  const missing = m.tables.map((t) => t.name).filter((n) => !seen.includes(n));
  if (missing.length) problems.push(`the archive lacks ${missing.map((n) => describeSection(`table:${n}`)).join(', ')}`);
  if (!trailerOk && problems.length === 0) problems.push('the archive has no trailer');
  return { problems, detail: `decrypted and read ${seen.length} tables, ${rows} rows; every section checksum matches` };
}

/** Verifies one stored backup up to `opts.level`; never throws for a bad backup (the report says why). */
export async function verifyBackup(store: BackupStore, id: string, opts: VerifyOptions): Promise<VerifyReport> {
  const started = process.hrtime.bigint();
  const report: VerifyReport = { id, levelRequested: opts.level, levelReached: 0, ok: false, steps: [], problems: [], seconds: 0 };
  const progress = opts.onProgress ?? (() => {});
  const finish = () => {
    report.ok = report.problems.length === 0 && report.levelReached >= opts.level;
    report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return report;
  };
  const fail = (level: VerifyLevel, problems: string[]) => {
    report.problems.push(...problems);
    report.steps.push({ level, ok: false, detail: problems.join('; ') });
    return finish();
  };

  // ---- L1 ----
  const text = await store.readManifestText(id);
  if (text === undefined) return fail(1, [`backup ${id} has no manifest in ${store.describe()}`]);
  let m: Manifest;
  try {
    m = parseManifest(text);
  } catch (e) {
    return fail(1, [`manifest: ${(e as Error).message}`]);
  }
  if (m.id !== id) return fail(1, [`manifest: it belongs to backup ${m.id}, not ${id}`]);
  report.manifest = m;
  progress(`level 1: checking the manifest and the archive checksums (${m.archive.size} bytes)`);
  const p1 = await level1(store, id, m);
  if (p1.length) return fail(1, p1);
  report.steps.push({ level: 1, ok: true, detail: `manifest intact; archive ${m.archive.size} bytes, SHA-256 ${m.archive.sha256.slice(0, 16)}… matches` });
  report.levelReached = 1;
  if (opts.level < 2) return finish();

  // ---- L2 ----
  progress('level 2: decrypting and reading the whole archive');
  const l2 = await level2(store, id, m, opts);
  if (l2.problems.length) return fail(2, l2.problems);
  report.steps.push({ level: 2, ok: true, detail: l2.detail });
  report.levelReached = 2;
  if (opts.level < 3) return finish();

  // ---- L3 / L4 ----
  if (!opts.openScratch) return fail(3, ['no scratch database available for a level 3 check']);
  const scratch = await opts.openScratch();
  report.scratch = scratch.describe;
  try {
    progress(`level 3: restoring into a ${scratch.describe}`);
    let restored: RestoreResult;
    try {
      restored = await restoreInto(scratch.db, { store, id, manifest: m }, {
        identities: opts.identities ?? [],
        checkFingerprints: true,
        migrateToLatest: opts.level >= 4,
        // L3 compares data; L4 (app start on the restored copy) needs the full schema.
        skipNonUniqueIndexes: opts.level < 4,
        onProgress: (l) => progress(`  ${l}`),
      });
    } catch (e) {
      if (e instanceof RestoreError || e instanceof ArchiveError) return fail(3, [`restore into scratch failed: ${e.message}`]);
      throw e;
    }
    report.restore = restored;
    report.steps.push({ level: 3, ok: true, detail: `restored ${restored.tables.length} tables, ${restored.rows} rows in ${restored.seconds.restore.toFixed(1)} s into a ${scratch.describe}; every row count and fingerprint matches${opts.level < 4 ? '; unique indexes and foreign keys re-created and validated (non-unique indexes are rebuilt at level 4)' : ''}` });
    report.levelReached = 3;
    if (opts.level < 4) return finish();

    progress('level 4: ledger invariants and application start');
    const violations = restored.invariants ? invariantViolations(restored.invariants) : [];
    if (violations.length) return fail(4, violations.map((v) => `ledger invariant: ${v}`));
    if (!opts.appCheck) return fail(4, ['no application check available for a level 4 check']);
    let appDetail: string;
    try {
      appDetail = await opts.appCheck(scratch.db);
    } catch (e) {
      return fail(4, [`the application does not start on the restored database: ${(e as Error).message}`]);
    }
    const inv = restored.invariants;
    report.steps.push({
      level: 4,
      ok: true,
      detail: `${inv ? `ledger invariants hold (${inv.split_parents} splits, ${inv.transfer_rows / 2} transfers, ${inv.accounts} account balances); ` : ''}${restored.migrationsApplied.length ? `applied ${restored.migrationsApplied.length} newer migration(s); ` : ''}${appDetail}`,
    });
    report.levelReached = 4;
    return finish();
  } finally {
    await scratch.close().catch(() => {});
  }
}
