// Damage anywhere is detected, and the report names where: bit flips and
// truncations at random offsets (many seeds) in the archive and the manifest,
// checked at L1 (checksums, no key) and at L2 (decryption) — the latter also
// with a manifest an attacker re-sealed to match the damaged archive — and a
// wrong key.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/backup/age.ts';
import { ArchiveError, BlockHasher, decodeArchive } from '../../src/backup/archive.ts';
import { createBackup } from '../../src/backup/create.ts';
import { archiveFileName, manifestFileName, manifestText, partsAt, sealManifest, type Manifest } from '../../src/backup/format.ts';
import { LocalDirStore } from '../../src/backup/store.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { createTestDb, testEngine, type TestDb } from '../helpers/db.ts';
import { backupEnv, seedDemo, type BackupEnv } from './helpers.ts';

/** Small deterministic PRNG (mulberry32): the same seed damages the same byte. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`damaged backups are always detected (${testEngine})`, { timeout: 300_000 }, () => {
  let e: BackupEnv;
  let tdb: TestDb;
  let id: string;
  let manifest: Manifest;
  let original: Buffer;
  let victim: LocalDirStore;
  const BLOCK = 8 * 1024;

  beforeAll(async () => {
    e = await backupEnv();
    tdb = await createTestDb();
    await seedDemo(tdb.db, { scale: 1 });
    const made = await createBackup({ db: tdb.db, store: new LocalDirStore(e.dir), recipients: [e.recipient], finhubVersion: 'test', blockSize: BLOCK, gzipLevel: 1 });
    id = made.id;
    manifest = made.manifest;
    original = readFileSync(join(e.dir, archiveFileName(id)));
    // Several STREAM chunks and many hash blocks, so damage can be placed.
    expect(original.length).toBeGreaterThan(3 * 65_552);
    victim = new LocalDirStore(join(e.root, 'victim'));
    mkdirSync(victim.dir, { recursive: true });
    copyFileSync(join(e.dir, manifestFileName(id)), victim.manifestPath(id));
  });
  afterAll(async () => {
    await tdb?.cleanup();
    e?.cleanup();
  });

  const writeArchive = (bytes: Buffer) => writeFileSync(victim.archivePath(id), bytes);
  const writeManifest = (m: Manifest | string) => writeFileSync(victim.manifestPath(id), typeof m === 'string' ? m : manifestText(m));
  /** What an attacker (or a buggy copy tool) with write access to both files could do: re-seal the manifest for the damaged bytes. */
  const resealFor = (bytes: Buffer): Manifest => {
    const h = new BlockHasher(manifest.archive.block_size);
    h.update(bytes);
    const done = h.finish();
    const { manifest_sha256: _drop, ...rest } = manifest;
    return sealManifest({ ...rest, archive: { ...manifest.archive, size: done.size, sha256: done.sha256, block_sha256: done.blocks } });
  };
  const l2Error = async (bytes: Buffer): Promise<ArchiveError> => {
    try {
      for await (const _ of decodeArchive((async function* () { yield bytes; })(), { identities: [e.identity], manifest })) {
        // read everything
      }
    } catch (err) {
      if (err instanceof ArchiveError) return err;
      throw err;
    }
    throw new Error('damage was not detected');
  };

  it('the undamaged copy passes L2', async () => {
    writeArchive(original);
    writeManifest(manifest);
    const r = await verifyBackup(victim, id, { level: 2, identities: [e.identity] });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('a bit flip at any of 200 random offsets fails L1, naming the damaged bytes and what they hold', async () => {
    writeManifest(manifest);
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const offset = Math.floor(r() * original.length);
      const bytes = Buffer.from(original);
      bytes[offset]! ^= 1 << Math.floor(r() * 8);
      writeArchive(bytes);
      const rep = await verifyBackup(victim, id, { level: 1 });
      expect(rep.ok, `seed ${seed} offset ${offset}`).toBe(false);
      expect(rep.levelReached).toBe(0);
      const block = Math.floor(offset / BLOCK);
      expect(rep.problems[0], `seed ${seed}`).toContain(`damaged block(s): bytes ${block * BLOCK}-`);
      for (const part of partsAt(manifest.archive, offset, offset + 1)) expect(rep.problems[0], `seed ${seed}`).toContain(part);
    }
  });

  it('a bit flip at any of 60 random offsets fails decryption (L2), naming the table, even with a re-sealed manifest', async () => {
    for (let seed = 1001; seed <= 1060; seed++) {
      const r = rng(seed);
      const offset = Math.floor(r() * original.length);
      const bytes = Buffer.from(original);
      bytes[offset]! ^= 1 << Math.floor(r() * 8);
      const err = await l2Error(bytes);
      const expected = partsAt(manifest.archive, offset, offset + 1);
      if (offset < manifest.archive.header_bytes) expect(err.message, `seed ${seed}`).toMatch(/header|identit/);
      else {
        expect(expected.length).toBeGreaterThan(0);
        for (const part of expected) expect(err.where, `seed ${seed} offset ${offset}: ${err.message}`).toContain(part);
      }
      if (seed % 10 === 0) {
        // End to end: the checksums were forged to match, L1 passes, L2 still fails.
        writeArchive(bytes);
        writeManifest(resealFor(bytes));
        const rep = await verifyBackup(victim, id, { level: 2, identities: [e.identity], identityRecipients: [e.recipient] });
        expect(rep.levelReached, `seed ${seed}`).toBe(1);
        expect(rep.ok).toBe(false);
        expect(rep.problems.join(' ')).toMatch(/damaged|authentication|header/);
      }
    }
  });

  it('truncation at any of 60 random lengths is detected at L1 and L2 and says what is missing', async () => {
    for (let seed = 2001; seed <= 2060; seed++) {
      const cut = Math.floor(rng(seed)() * original.length);
      const bytes = original.subarray(0, cut);
      writeArchive(bytes);
      writeManifest(manifest);
      const rep = await verifyBackup(victim, id, { level: 1 });
      expect(rep.ok).toBe(false);
      expect(rep.problems[0], `seed ${seed}`).toContain(`the archive is truncated: ${cut} of ${original.length} bytes present`);
      expect(rep.problems[0]).toContain('the archive trailer');
      const err = await l2Error(Buffer.from(bytes));
      expect(['truncated', 'damaged'], `seed ${seed}: ${err.message}`).toContain(err.kind);
    }
    // Cut exactly at a chunk boundary: the last chunk that remains opens, but it is not flagged as the last.
    const boundary = manifest.archive.header_bytes + 16 + 2 * 65_552;
    const err = await l2Error(original.subarray(0, boundary));
    expect(err.kind).toBe('truncated');
    expect(err.message).toContain('not the last one (truncated)');
  });

  it('appended bytes are detected', async () => {
    writeArchive(Buffer.concat([original, Buffer.from('x')]));
    writeManifest(manifest);
    const rep = await verifyBackup(victim, id, { level: 1 });
    expect(rep.problems[0]).toContain('1 more than the manifest records');
    expect((await l2Error(Buffer.concat([original, Buffer.alloc(20)]))).kind).toMatch(/damaged|truncated/);
  });

  it('a bit flip anywhere in the manifest (50 seeds) is detected', async () => {
    writeArchive(original);
    const text = manifestText(manifest);
    for (let seed = 3001; seed <= 3050; seed++) {
      const r = rng(seed);
      const bytes = Buffer.from(text);
      const offset = Math.floor(r() * bytes.length);
      bytes[offset]! ^= 1 << Math.floor(r() * 8);
      writeManifest(bytes.toString('latin1'));
      const rep = await verifyBackup(victim, id, { level: 1 });
      expect(rep.ok, `seed ${seed}`).toBe(false);
      expect(rep.problems[0]).toMatch(/^manifest: /);
    }
  });

  it('a manifest swapped for another backup\'s is caught against the copy inside the archive', async () => {
    writeArchive(original);
    const { manifest_sha256: _d, ...rest } = manifest;
    writeManifest(sealManifest({ ...rest, note: 'edited afterwards' }));
    const rep = await verifyBackup(victim, id, { level: 2, identities: [e.identity] });
    expect(rep.levelReached).toBe(1);
    expect(rep.problems.join(' ')).toContain('differs from the copy inside it');
  });

  it('a wrong key gives a clear error naming both keys', async () => {
    writeArchive(original);
    writeManifest(manifest);
    const other = await generateKeyPair();
    const rep = await verifyBackup(victim, id, { level: 2, identities: [other.identity], identityRecipients: [other.recipient] });
    expect(rep.ok).toBe(false);
    expect(rep.levelReached).toBe(1);
    expect(rep.problems[0]).toBe(`wrong key: backup ${id} is encrypted to ${e.recipient}, and the given identity (the identity is for ${other.recipient}) is not one of them`);
  });

  afterAll(() => rmSync(join(e.root, 'victim'), { recursive: true, force: true }));
});
