// The directory offsite target: another directory, typically a mounted NAS
// share or a removable disk. Writes are the local store's (partial file,
// fsync, rename, directory fsync); after each copy the archive is read back
// from the target and its size and SHA-256 compared with the manifest, which
// catches a share that silently stores something else. A mismatch deletes the
// copy and fails it.
import { createHash } from 'node:crypto';
import { parseManifest } from '../format.ts';
import { LocalDirStore, type BackupStore, type StoredBackup, type VerificationRecord } from '../store.ts';
import { OffsiteCopyError } from './errors.ts';

export class DirTargetStore implements BackupStore {
  readonly kind = 'offsite' as const;
  readonly inner: LocalDirStore;

  constructor(readonly location: string, readonly dir: string) {
    this.inner = new LocalDirStore(dir);
  }

  describe(): string {
    return this.dir;
  }

  list(): Promise<StoredBackup[]> {
    return this.inner.list();
  }

  get(id: string): Promise<StoredBackup | undefined> {
    return this.inner.get(id);
  }

  readManifestText(id: string): Promise<string | undefined> {
    return this.inner.readManifestText(id);
  }

  openArchive(id: string, range?: { start: number; end?: number }): AsyncIterable<Buffer> {
    return this.inner.openArchive(id, range);
  }

  async put(id: string, archive: AsyncIterable<Uint8Array>, manifest: () => string | Promise<string>): Promise<{ size: number }> {
    let text = '';
    const r = await this.inner.put(id, archive, async () => (text = await manifest()));
    const m = parseManifest(text);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of this.inner.openArchive(id)) {
      hash.update(chunk);
      size += chunk.length;
    }
    const sha = hash.digest('hex');
    const back = await this.inner.readManifestText(id);
    if (size !== m.archive.size || sha !== m.archive.sha256 || back !== text) {
      await this.inner.delete(id).catch(() => {});
      throw new OffsiteCopyError(
        `offsite target ${this.location} (${this.dir}): the copy read back does not match: archive ${size} bytes, SHA-256 ${sha.slice(0, 16)}…; ` +
          `the manifest records ${m.archive.size} bytes, ${m.archive.sha256.slice(0, 16)}…${back !== text ? '; the manifest differs too' : ''}. The copy was removed.`,
      );
    }
    return r;
  }

  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }

  writeVerification(id: string, record: VerificationRecord): Promise<void> {
    return this.inner.writeVerification(id, record);
  }

  readVerification(id: string): Promise<VerificationRecord | undefined> {
    return this.inner.readVerification(id);
  }

  cleanup(): Promise<string[]> {
    return this.inner.cleanup();
  }
}
