// Where backups live. A BackupStore keeps, per backup id, the encrypted
// archive, its manifest and (optionally) the latest verification record. The
// local directory store is the primary one: `backup create` writes there, and
// offsite targets receive copies through the same interface.
//
// Local writes are crash-safe: the archive goes to a `.partial` file named
// after the writing process, is fsynced, the manifest likewise, then both are
// renamed into place (archive first) and the directory is fsynced. A backup
// is visible only once its manifest exists, so a kill at any point leaves
// nothing that looks valid; `cleanup()` (run before every new backup and by
// prune) removes what an interrupted writer left behind.
import { constants as fsc, createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveFileName, isBackupId, manifestFileName, parseManifest, verificationFileName, type Manifest } from './format.ts';

/** Result of the newest verification of one backup, kept beside it. */
export interface VerificationRecord {
  backup_id: string;
  level_requested: number;
  /** Highest level passed in this run (0 = not even L1). */
  level_reached: number;
  ok: boolean;
  at: string;
  problems: string[];
  /** Highest level this backup ever passed (across runs). */
  best_level: number;
  best_at: string | null;
}

export interface StoredBackup {
  id: string;
  /** Parsed manifest, when readable and intact. */
  manifest?: Manifest;
  /** Why the manifest could not be used. */
  manifestError?: string;
  /** Bytes of the archive present, or undefined when the archive is missing. */
  archiveSize?: number;
  verification?: VerificationRecord;
}

export interface BackupStore {
  /** 'local', or the offsite target's name (the catalogue's backup_copies.location). */
  readonly location: string;
  readonly kind: 'local' | 'offsite';
  /** Path or URL, for messages. */
  describe(): string;
  /** Every backup that has a manifest (readable or not). Leftovers of interrupted writes are not listed. */
  list(): Promise<StoredBackup[]>;
  /** One backup by id (undefined when there is no manifest for it). */
  get(id: string): Promise<StoredBackup | undefined>;
  readManifestText(id: string): Promise<string | undefined>;
  /** The archive bytes, optionally a range (start inclusive, end exclusive). */
  openArchive(id: string, range?: { start: number; end?: number }): AsyncIterable<Buffer>;
  /**
   * Stores a backup. The archive stream is consumed completely first; then
   * `manifest()` is called (it may depend on what the stream computed) and the
   * backup becomes visible atomically. On failure nothing becomes visible.
   */
  put(id: string, archive: AsyncIterable<Uint8Array>, manifest: () => string | Promise<string>): Promise<{ size: number }>;
  delete(id: string): Promise<void>;
  writeVerification(id: string, record: VerificationRecord): Promise<void>;
  readVerification(id: string): Promise<VerificationRecord | undefined>;
  /** Removes leftovers of interrupted writes; returns what was removed. */
  cleanup(): Promise<string[]>;
}

export class StoreWriteError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly bytesWritten: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreWriteError';
  }
}

export interface LocalDirStoreOptions {
  /** Test hook: called before each archive write with the bytes written so far (throw to simulate ENOSPC). */
  beforeWrite?: (bytesSoFar: number, chunk: number) => void;
}

const PARTIAL = /^(finhub-.+)\.(\d+)\.partial$/;
const ORPHAN_GRACE_MS = 10 * 60 * 1000;
const STALE_PARTIAL_MS = 24 * 60 * 60 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

export class LocalDirStore implements BackupStore {
  readonly location = 'local';
  readonly kind = 'local' as const;
  constructor(readonly dir: string, private readonly opts: LocalDirStoreOptions = {}) {}

  describe(): string {
    return this.dir;
  }

  archivePath(id: string): string {
    return join(this.dir, archiveFileName(id));
  }

  manifestPath(id: string): string {
    return join(this.dir, manifestFileName(id));
  }

  async #names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw e;
    }
  }

  async list(): Promise<StoredBackup[]> {
    const ids = (await this.#names())
      .map((n) => /^finhub-(.+)\.manifest\.json$/.exec(n)?.[1])
      .filter((id): id is string => !!id && isBackupId(id))
      .sort();
    const out: StoredBackup[] = [];
    for (const id of ids) {
      const b = await this.get(id);
      if (b) out.push(b);
    }
    return out;
  }

  async get(id: string): Promise<StoredBackup | undefined> {
    if (!isBackupId(id)) return undefined;
    const text = await this.readManifestText(id);
    if (text === undefined) return undefined;
    const entry: StoredBackup = { id };
    try {
      entry.manifest = parseManifest(text);
      if (entry.manifest.id !== id) {
        entry.manifestError = `the manifest belongs to backup ${entry.manifest.id}, not ${id}`;
        delete entry.manifest;
      }
    } catch (e) {
      entry.manifestError = (e as Error).message;
    }
    try {
      entry.archiveSize = (await stat(this.archivePath(id))).size;
    } catch (e) {
      if (errCode(e) !== 'ENOENT') throw e;
    }
    const v = await this.readVerification(id);
    if (v) entry.verification = v;
    return entry;
  }

  async readManifestText(id: string): Promise<string | undefined> {
    try {
      return await readFile(this.manifestPath(id), 'utf8');
    } catch (e) {
      if (errCode(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  async *openArchive(id: string, range?: { start: number; end?: number }): AsyncIterable<Buffer> {
    const opts: { highWaterMark: number; start?: number; end?: number } = { highWaterMark: 256 * 1024 };
    if (range) {
      opts.start = range.start;
      if (range.end !== undefined) {
        if (range.end <= range.start) return;
        opts.end = range.end - 1;
      }
    }
    for await (const chunk of createReadStream(this.archivePath(id), opts)) yield chunk as Buffer;
  }

  async put(id: string, archive: AsyncIterable<Uint8Array>, manifest: () => string | Promise<string>): Promise<{ size: number }> {
    if (!isBackupId(id)) throw new Error(`invalid backup id ${JSON.stringify(id)}`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const finalArchive = this.archivePath(id);
    const finalManifest = this.manifestPath(id);
    const partialArchive = `${finalArchive}.${process.pid}.partial`;
    const partialManifest = `${finalManifest}.${process.pid}.partial`;
    let size = 0;
    let fh: FileHandle | undefined;
    try {
      fh = await open(partialArchive, 'wx', 0o600);
      let n = 0;
      for await (const chunk of archive) {
        this.opts.beforeWrite?.(size, n++);
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
          size += bytesWritten;
        }
      }
      await fh.sync();
      await fh.close();
      fh = undefined;
      const text = await manifest();
      fh = await open(partialManifest, 'wx', 0o600);
      await fh.writeFile(text, 'utf8');
      await fh.sync();
      await fh.close();
      fh = undefined;
      await rename(partialArchive, finalArchive);
      await rename(partialManifest, finalManifest);
      await fsyncDir(this.dir);
      return { size };
    } catch (e) {
      await fh?.close().catch(() => {});
      // Free the space at once (a full disk is a common reason to be here).
      await rm(partialArchive, { force: true }).catch(() => {});
      await rm(partialManifest, { force: true }).catch(() => {});
      const code = errCode(e);
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new StoreWriteError(`the backup directory ${this.dir} is full (${code}) after ${size} bytes of the archive were written; the partial file was removed and older backups were not touched`, code, size, { cause: e });
      }
      if (code && /^E[A-Z]+$/.test(code)) throw new StoreWriteError(`writing the backup to ${this.dir} failed (${code}: ${(e as Error).message}); the partial file was removed`, code, size, { cause: e });
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    if (!isBackupId(id)) throw new Error(`invalid backup id ${JSON.stringify(id)}`);
    // Manifest first: from then on the backup is no longer listed, even if the rest fails.
    await rm(this.manifestPath(id), { force: true });
    await rm(this.archivePath(id), { force: true });
    await rm(join(this.dir, verificationFileName(id)), { force: true });
    await fsyncDir(this.dir).catch(() => {});
  }

  async writeVerification(id: string, record: VerificationRecord): Promise<void> {
    const path = join(this.dir, verificationFileName(id));
    const partial = `${path}.${process.pid}.partial`;
    const fh = await open(partial, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(record, null, 2) + '\n', 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(partial, path);
  }

  async readVerification(id: string): Promise<VerificationRecord | undefined> {
    try {
      const v = JSON.parse(await readFile(join(this.dir, verificationFileName(id)), 'utf8')) as VerificationRecord;
      return v && v.backup_id === id && Number.isInteger(v.best_level) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  async cleanup(now: number = Date.now()): Promise<string[]> {
    const names = await this.#names();
    const removed: string[] = [];
    const manifests = new Set(names.filter((n) => n.endsWith('.manifest.json')));
    for (const name of names) {
      const path = join(this.dir, name);
      const partial = PARTIAL.exec(name);
      let remove = false;
      if (partial) {
        const pid = Number(partial[2]);
        const age = now - (await stat(path).catch(() => ({ mtimeMs: now }))).mtimeMs;
        // A live writer keeps its file; a dead one's file (kill -9, crash) goes. Very old ones go regardless (pid reuse).
        remove = (pid !== process.pid && !alive(pid)) || age > STALE_PARTIAL_MS;
      } else {
        const archive = /^finhub-(.+)\.backup\.age$/.exec(name);
        if (archive && !manifests.has(manifestFileName(archive[1]!))) {
          // Killed between the two renames: an archive without a manifest is never valid.
          const age = now - (await stat(path).catch(() => ({ mtimeMs: now }))).mtimeMs;
          remove = age > ORPHAN_GRACE_MS;
        }
      }
      if (remove) {
        await rm(path, { force: true });
        removed.push(name);
      }
    }
    return removed;
  }
}
