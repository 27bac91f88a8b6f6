// The S3-compatible offsite target (AWS S3, MinIO, Ceph, Backblaze B2, Wasabi,
// …). Same object names as the local directory, under a key prefix:
//
//   <prefix>finhub-<id>.backup.age      the archive
//   <prefix>finhub-<id>.manifest.json   uploaded last: a backup is visible only once it exists
//   <prefix>finhub-<id>.verify.json     newest verification record of this copy
//
// Every upload carries Content-MD5 (the service rejects a body that arrives
// damaged) and the ETag it answers is compared with the MD5 of what was sent,
// per part for multipart uploads, because not every S3-compatible service
// checks Content-MD5. (Where the ETag is not an MD5 by design, with SSE-KMS or
// SSE-C encryption or a service using another digest, the comparison is
// skipped and the service's own Content-MD5 check stands.) After the archive, its size is read back (HEAD), the
// manifest is compared with the SHA-256 and size of what was streamed, and
// after the manifest upload the manifest is read back byte for byte. Anything
// that does not match deletes what was written and fails the copy.
//
// The SDK is loaded on first use, so commands that never touch S3 do not pay
// for it. Checksums the SDK would add on its own (CRC32 trailers) are switched
// off: several S3-compatible services reject them, and Content-MD5 plus the
// checks above cover the same ground everywhere.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { archiveFileName, isBackupId, manifestFileName, parseManifest, verificationFileName } from '../format.ts';
import type { BackupStore, StoredBackup, VerificationRecord } from '../store.ts';
import { OffsiteCopyError } from './errors.ts';

type Sdk = typeof import('@aws-sdk/client-s3');

export interface S3StoreOptions {
  /** Target name (backup_copies.location); default "s3". */
  name?: string;
  /** Endpoint URL of an S3-compatible service; unset = AWS S3. */
  endpoint?: string | undefined;
  bucket: string;
  /** '' or a prefix ending in '/'. */
  prefix: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle: boolean;
  /** Multipart part size in bytes (default 8 MiB; S3 needs at least 5 MiB except for the last part). */
  partSize?: number;
  /** Per-request timeout (default 120 s). */
  requestTimeoutMs?: number;
}

const ORPHAN_GRACE_MS = 10 * 60 * 1000;
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();
const unquote = (etag: string | undefined) => (etag ?? '').replace(/"/g, '').toLowerCase();

/** Whether an ETag can be compared with an MD5 at all. */
export function md5Etag(out: { ETag?: string | undefined; ServerSideEncryption?: string | undefined; SSECustomerAlgorithm?: string | undefined }, multipart = false): boolean {
  if (out.SSECustomerAlgorithm || out.ServerSideEncryption?.startsWith('aws:kms')) return false;
  return (multipart ? /^[0-9a-f]{32}(-\d+)?$/ : /^[0-9a-f]{32}$/).test(unquote(out.ETag));
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
function isNotFound(e: unknown): boolean {
  const name = (e as Error)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || status(e) === 404;
}

export class S3Store implements BackupStore {
  readonly kind = 'offsite' as const;
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly partSize: number;
  #client: Promise<{ client: S3Client; sdk: Sdk }> | undefined;

  constructor(private readonly opts: S3StoreOptions) {
    this.location = opts.name ?? 's3';
    this.bucket = opts.bucket;
    this.prefix = opts.prefix;
    this.partSize = opts.partSize ?? 8 * 1024 * 1024;
  }

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}${this.opts.endpoint ? ` at ${new URL(this.opts.endpoint).origin}` : ''}`;
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async #sdk(): Promise<{ client: S3Client; sdk: Sdk }> {
    this.#client ??= (async () => {
      // finhub supports Node 20; the SDK's "will require Node 22 from 2027" notice would otherwise end up in every command's output.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const sdk = await import('@aws-sdk/client-s3');
      const client = new sdk.S3Client({
        region: this.opts.region,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        forcePathStyle: this.opts.forcePathStyle,
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        requestHandler: { requestTimeout: this.opts.requestTimeoutMs ?? 120_000, connectionTimeout: 10_000 },
      });
      return { client, sdk };
    })();
    return this.#client;
  }

  /** Turns an SDK error into one line naming the target and the operation. */
  #fail(what: string, e: unknown): never {
    const err = e as Error & { Code?: string };
    const code = err?.name && err.name !== 'Error' ? `${err.name}: ` : '';
    throw new OffsiteCopyError(`offsite target ${this.location} (${this.describe()}): ${what} failed: ${code}${err?.message ?? String(e)}`, { cause: e });
  }

  async #getText(name: string): Promise<string | undefined> {
    const { client, sdk } = await this.#sdk();
    try {
      const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return await r.Body!.transformToString('utf8');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      this.#fail(`reading ${name}`, e);
    }
  }

  async #putSmall(name: string, body: Buffer, contentType: string): Promise<void> {
    const { client, sdk } = await this.#sdk();
    const digest = md5(body);
    let out;
    try {
      out = await client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.key(name), Body: body, ContentLength: body.length, ContentMD5: digest.toString('base64'), ContentType: contentType }));
    } catch (e) {
      this.#fail(`uploading ${name}`, e);
    }
    const etag = out.ETag;
    if (md5Etag(out) && unquote(etag) !== digest.toString('hex')) {
      await this.#deleteKey(name).catch(() => {});
      throw new OffsiteCopyError(`offsite target ${this.location}: the service stored ${name} with ETag ${unquote(etag)}, but the MD5 of the bytes sent is ${digest.toString('hex')} (damaged in transit; the object was deleted)`);
    }
  }

  async #deleteKey(name: string): Promise<void> {
    const { client, sdk } = await this.#sdk();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    } catch (e) {
      if (!isNotFound(e)) this.#fail(`deleting ${name}`, e);
    }
  }

  /** Every object directly under the prefix whose name starts with "finhub-": name -> size, time. */
  async objects(): Promise<Map<string, { size: number; modified: Date | undefined }>> {
    const { client, sdk } = await this.#sdk();
    const out = new Map<string, { size: number; modified: Date | undefined }>();
    let token: string | undefined;
    do {
      let r;
      try {
        r = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key('finhub-'), ContinuationToken: token }));
      } catch (e) {
        this.#fail('listing the bucket', e);
      }
      for (const o of r.Contents ?? []) {
        const name = o.Key?.slice(this.prefix.length);
        if (name && !name.includes('/')) out.set(name, { size: o.Size ?? 0, modified: o.LastModified });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async #entry(id: string, text: string, archiveSize: number | undefined, hasVerification: boolean): Promise<StoredBackup> {
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
    if (archiveSize !== undefined) entry.archiveSize = archiveSize;
    const v = hasVerification ? await this.readVerification(id) : undefined;
    if (v) entry.verification = v;
    return entry;
  }

  async list(): Promise<StoredBackup[]> {
    const objs = await this.objects();
    const ids = [...objs.keys()]
      .map((n) => /^finhub-(.+)\.manifest\.json$/.exec(n)?.[1])
      .filter((id): id is string => !!id && isBackupId(id))
      .sort();
    const out: StoredBackup[] = [];
    for (const id of ids) {
      const text = await this.readManifestText(id);
      if (text === undefined) continue; // deleted meanwhile
      out.push(await this.#entry(id, text, objs.get(archiveFileName(id))?.size, objs.has(verificationFileName(id))));
    }
    return out;
  }

  async get(id: string): Promise<StoredBackup | undefined> {
    if (!isBackupId(id)) return undefined;
    const text = await this.readManifestText(id);
    if (text === undefined) return undefined;
    return this.#entry(id, text, await this.archiveSize(id), true);
  }

  async archiveSize(id: string): Promise<number | undefined> {
    const { client, sdk } = await this.#sdk();
    try {
      const h = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(archiveFileName(id)) }));
      return h.ContentLength;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      this.#fail(`reading the size of ${archiveFileName(id)}`, e);
    }
  }

  readManifestText(id: string): Promise<string | undefined> {
    return this.#getText(manifestFileName(id));
  }

  async *openArchive(id: string, range?: { start: number; end?: number }): AsyncIterable<Buffer> {
    if (range?.end !== undefined && range.end <= range.start) return;
    const { client, sdk } = await this.#sdk();
    const name = archiveFileName(id);
    let body: AsyncIterable<Uint8Array>;
    try {
      const r = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name), ...(range ? { Range: `bytes=${range.start}-${range.end !== undefined ? range.end - 1 : ''}` } : {}) }),
      );
      body = r.Body as unknown as AsyncIterable<Uint8Array>;
    } catch (e) {
      if (isNotFound(e)) {
        // verify level 1 reports a missing archive by this code, as for a file.
        throw Object.assign(new Error(`the archive ${name} is missing in ${this.describe()}`), { code: 'ENOENT' });
      }
      this.#fail(`downloading ${name}`, e);
    }
    for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
  }

  async put(id: string, archive: AsyncIterable<Uint8Array>, manifest: () => string | Promise<string>): Promise<{ size: number }> {
    if (!isBackupId(id)) throw new Error(`invalid backup id ${JSON.stringify(id)}`);
    const { client, sdk } = await this.#sdk();
    const name = archiveFileName(id);
    const Key = this.key(name);
    const whole = { sha256: createHash('sha256'), md5: createHash('md5') };
    const partMd5s: Buffer[] = [];
    const parts: { ETag: string; PartNumber: number }[] = [];
    let uploadId: string | undefined;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    let archiveWritten = false;

    const uploadPart = async () => {
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (!uploadId) {
        try {
          uploadId = (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ContentType: 'application/octet-stream' }))).UploadId;
        } catch (e) {
          this.#fail(`starting the upload of ${name}`, e);
        }
        if (!uploadId) throw new OffsiteCopyError(`offsite target ${this.location}: the service returned no upload id for ${name}`);
      }
      const PartNumber = parts.length + 1;
      const digest = md5(body);
      let out;
      try {
        out = await client.send(new sdk.UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length, ContentMD5: digest.toString('base64') }));
      } catch (e) {
        this.#fail(`uploading part ${PartNumber} of ${name}`, e);
      }
      const etag = out.ETag;
      if (!etag) throw new OffsiteCopyError(`offsite target ${this.location}: the service answered no ETag for part ${PartNumber} of ${name}`);
      if (md5Etag(out) && unquote(etag) !== digest.toString('hex')) {
        throw new OffsiteCopyError(`offsite target ${this.location}: part ${PartNumber} of ${name} was stored with ETag ${unquote(etag) || '(none)'}, but the MD5 of the bytes sent is ${digest.toString('hex')} (damaged in transit)`);
      }
      partMd5s.push(digest);
      parts.push({ ETag: etag, PartNumber });
    };

    try {
      for await (const chunk of archive) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        whole.sha256.update(b);
        whole.md5.update(b);
        size += b.length;
        pending.push(b);
        pendingBytes += b.length;
        if (pendingBytes >= this.partSize) await uploadPart();
      }
      const sentMd5 = whole.md5.digest('hex');
      const sentSha = whole.sha256.digest('hex');
      if (!uploadId) {
        await this.#putSmall(name, Buffer.concat(pending, pendingBytes), 'application/octet-stream');
        pending = [];
      } else {
        if (pendingBytes > 0) await uploadPart();
        let out;
        try {
          out = await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        } catch (e) {
          this.#fail(`completing the upload of ${name}`, e);
        }
        const etag = out.ETag;
        uploadId = undefined;
        // S3 answers MD5(concatenated part MD5s)-N; some compatible servers the MD5 of the whole object.
        const composite = `${md5(Buffer.concat(partMd5s)).toString('hex')}-${parts.length}`;
        if (md5Etag(out, true) && ![composite, sentMd5].includes(unquote(etag))) {
          archiveWritten = true;
          throw new OffsiteCopyError(`offsite target ${this.location}: ${name} was assembled with ETag ${unquote(etag)}, expected ${composite} (or ${sentMd5}) for the ${parts.length} parts sent`);
        }
      }
      archiveWritten = true;
      const stored = await this.archiveSize(id);
      if (stored !== size) throw new OffsiteCopyError(`offsite target ${this.location}: ${name} holds ${stored ?? 'no'} bytes after the upload, ${size} were sent`);

      const text = await manifest();
      const m = parseManifest(text);
      if (m.id !== id || m.archive.size !== size || m.archive.sha256 !== sentSha) {
        throw new OffsiteCopyError(`offsite target ${this.location}: the archive sent (${size} bytes, SHA-256 ${sentSha.slice(0, 16)}…) is not the one its manifest describes (${m.archive.size} bytes, ${m.archive.sha256.slice(0, 16)}…); the source copy is damaged`);
      }
      await this.#putSmall(manifestFileName(id), Buffer.from(text, 'utf8'), 'application/json');
      const back = await this.readManifestText(id);
      if (back !== text) {
        await this.#deleteKey(manifestFileName(id)).catch(() => {});
        throw new OffsiteCopyError(`offsite target ${this.location}: the manifest read back from ${this.describe()} differs from the one uploaded`);
      }
      return { size };
    } catch (e) {
      if (uploadId) {
        const { client: c2, sdk: s2 } = await this.#sdk();
        await c2.send(new s2.AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => {});
      }
      if (archiveWritten) await this.#deleteKey(name).catch(() => {});
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    if (!isBackupId(id)) throw new Error(`invalid backup id ${JSON.stringify(id)}`);
    // Manifest first: from then on the backup is no longer listed, even if the rest fails.
    await this.#deleteKey(manifestFileName(id));
    await this.#deleteKey(archiveFileName(id));
    await this.#deleteKey(verificationFileName(id));
  }

  async writeVerification(id: string, record: VerificationRecord): Promise<void> {
    await this.#putSmall(verificationFileName(id), Buffer.from(JSON.stringify(record, null, 2) + '\n', 'utf8'), 'application/json');
  }

  async readVerification(id: string): Promise<VerificationRecord | undefined> {
    const text = await this.#getText(verificationFileName(id)).catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const v = JSON.parse(text) as VerificationRecord;
      return v && v.backup_id === id && Number.isInteger(v.best_level) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** Aborts multipart uploads abandoned for a day and removes archives whose manifest never arrived. */
  async cleanup(now: number = Date.now()): Promise<string[]> {
    const { client, sdk } = await this.#sdk();
    const removed: string[] = [];
    try {
      let keyMarker: string | undefined;
      let idMarker: string | undefined;
      do {
        const r = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.key('finhub-'), KeyMarker: keyMarker, UploadIdMarker: idMarker }));
        for (const u of r.Uploads ?? []) {
          if (!u.Key || !u.UploadId || !u.Initiated || now - u.Initiated.getTime() < STALE_UPLOAD_MS) continue;
          await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
          removed.push(`${u.Key.slice(this.prefix.length)} (unfinished upload)`);
        }
        keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
        idMarker = r.IsTruncated ? r.NextUploadIdMarker : undefined;
      } while (keyMarker);
    } catch (e) {
      // Not every S3-compatible server lists multipart uploads (s3rver does not); a bucket lifecycle rule can do it there.
      if ((e as Error)?.name !== 'NotImplemented' && status(e) !== 501) this.#fail('listing unfinished uploads', e);
    }
    const objs = await this.objects();
    for (const [name, o] of objs) {
      const a = /^finhub-(.+)\.backup\.age$/.exec(name);
      if (!a || objs.has(manifestFileName(a[1]!))) continue;
      if (o.modified && now - o.modified.getTime() < ORPHAN_GRACE_MS) continue;
      await this.#deleteKey(name);
      removed.push(name);
    }
    return removed;
  }
}
