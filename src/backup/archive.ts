// Encoding and decoding of the archive stream (see format.ts for the layout):
// sections -> one gzip member each -> age -> bytes, with the archive's SHA-256,
// per-block hashes and each section's byte range recorded on the way; and the
// reverse, checking every table section's row count and fingerprint against
// its end line. Both directions stream: memory use is bounded by one page of
// rows plus the compressor's and cipher's fixed buffers.
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { AGE_CHUNK, AGE_CHUNK_SEALED, ageDecrypt, ageEncrypt, AgeFormatError } from './age.ts';
import { BLOCK_SIZE, partsAt, type ArchiveInfo, type ArchiveSection, type ColumnSpec, type Manifest, type ManifestCore } from './format.ts';

export interface ArchivePart {
  /** "header", "table:<name>" or "trailer". */
  name: string;
  chunks: AsyncIterable<Buffer>;
}

export type EncodeStats = Omit<ArchiveInfo, 'file'>;

async function* gzipMember(chunks: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  const gz = createGzip({ level });
  const feeding = pipeline(Readable.from(chunks), gz).then(
    () => undefined,
    (e: unknown) => e,
  );
  try {
    for await (const z of gz) yield z as Buffer;
  } finally {
    gz.destroy();
  }
  const err = await feeding;
  if (err) throw err;
}

/** Running SHA-256 of a byte stream plus one hash per BLOCK_SIZE slice. */
export class BlockHasher {
  readonly whole: Hash = createHash('sha256');
  readonly blocks: string[] = [];
  size = 0;
  #block: Hash = createHash('sha256');
  #inBlock = 0;
  constructor(readonly blockSize: number = BLOCK_SIZE) {}
  update(buf: Buffer): void {
    this.whole.update(buf);
    this.size += buf.length;
    let data = buf;
    while (data.length > 0) {
      const n = Math.min(this.blockSize - this.#inBlock, data.length);
      this.#block.update(data.subarray(0, n));
      this.#inBlock += n;
      data = data.subarray(n);
      if (this.#inBlock === this.blockSize) {
        this.blocks.push(this.#block.digest('hex'));
        this.#block = createHash('sha256');
        this.#inBlock = 0;
      }
    }
  }
  finish(): { sha256: string; blocks: string[]; size: number } {
    if (this.#inBlock > 0) this.blocks.push(this.#block.digest('hex'));
    this.#inBlock = 0;
    return { sha256: this.whole.digest('hex'), blocks: this.blocks, size: this.size };
  }
}

/** Archive byte range of the encrypted chunks that hold compressed bytes [start, end). */
export function chunkRange(headerBytes: number, archiveSize: number, start: number, end: number): [number, number] {
  const payload = headerBytes + 16;
  const first = Math.floor(start / AGE_CHUNK);
  const last = Math.floor(Math.max(end - 1, start) / AGE_CHUNK);
  return [payload + first * AGE_CHUNK_SEALED, Math.min(archiveSize, payload + (last + 1) * AGE_CHUNK_SEALED)];
}

/**
 * Turns sections into the encrypted archive byte stream. `stats` is filled in
 * as the stream is consumed and is complete once it ends.
 */
export async function* encodeArchive(parts: AsyncIterable<ArchivePart>, recipients: readonly string[], stats: EncodeStats, opts: { gzipLevel?: number; blockSize?: number } = {}): AsyncGenerator<Buffer> {
  const gzipLevel = opts.gzipLevel ?? 6;
  const compressedRanges: { name: string; start: number; end: number }[] = [];
  let offset = 0;
  async function* compressed(): AsyncGenerator<Buffer> {
    for await (const part of parts) {
      const start = offset;
      for await (const z of gzipMember(part.chunks, gzipLevel)) {
        offset += z.length;
        yield z;
      }
      compressedRanges.push({ name: part.name, start, end: offset });
    }
  }
  const hasher = new BlockHasher(opts.blockSize);
  let first = true;
  for await (const out of ageEncrypt(compressed(), recipients)) {
    if (first) {
      stats.header_bytes = out.length - 16;
      first = false;
    }
    hasher.update(out);
    yield out;
  }
  const done = hasher.finish();
  stats.size = done.size;
  stats.sha256 = done.sha256;
  stats.block_size = hasher.blockSize;
  stats.block_sha256 = done.blocks;
  stats.sections = compressedRanges.map((r): ArchiveSection => ({ name: r.name, compressed: [r.start, r.end], archive: chunkRange(stats.header_bytes, done.size, r.start, r.end) }));
}

// ---- decoding ---------------------------------------------------------------------

export interface TableSectionHeader {
  kind: 'table';
  name: string;
  columns: ColumnSpec[];
}

export type ArchiveItem =
  | { type: 'header'; header: Record<string, unknown> }
  | { type: 'table'; table: TableSectionHeader }
  /** Row lines (JSON arrays, without the newline) of the current table. */
  | { type: 'rows'; table: string; lines: Buffer[]; bytes: number }
  | { type: 'end'; table: string; rows: number; sha256: string }
  | { type: 'trailer'; manifest: ManifestCore };

/** The archive is damaged or inconsistent; `where` names the part or table. */
export class ArchiveError extends Error {
  constructor(message: string, readonly where: string[], readonly kind: 'damaged' | 'truncated' | 'wrong-key' | 'inconsistent', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

export interface DecodeOptions {
  identities: readonly string[];
  /** The outside manifest, used to name the table a damaged byte belongs to. */
  manifest?: Manifest;
  /** Yield row lines (restore); without it rows are only counted and hashed (verify L2). */
  wantRows?: boolean;
}

function describeAgeError(e: AgeFormatError, manifest: Manifest | undefined, currentTable: string | undefined): ArchiveError {
  const { start, end } = e.location;
  const named = manifest ? partsAt(manifest.archive, start, Math.max(end, start + 1)) : [];
  // Chunk 0 also fails when the payload nonce before it is damaged (it derives the key).
  if (manifest && e.location.chunk === 0 && e.reason === 'damaged') named.unshift('the payload nonce');
  const where = named.length > 0 ? named : currentTable ? [`table ${currentTable}`] : [e.location.part === 'header' ? 'the age header' : 'the encrypted payload'];
  if (e.reason === 'no-identity') {
    return new ArchiveError(e.message, where, 'wrong-key', { cause: e });
  }
  const range = start === end ? `at byte ${start}` : `in bytes ${start}-${end - 1}`;
  return new ArchiveError(`${e.message} ${range}, which holds ${where.join(', ')}`, where, e.reason === 'truncated' ? 'truncated' : 'damaged', { cause: e });
}

/**
 * Decrypts, decompresses and parses an archive, checking its structure and
 * every table section's row count and SHA-256 against the section's end line.
 */
export async function* decodeArchive(bytes: AsyncIterable<Buffer>, opts: DecodeOptions): AsyncGenerator<ArchiveItem> {
  let current: { name: string; rows: number; hash: Hash } | undefined;
  let lastTable: string | undefined;
  let sawHeader = false;
  let sawTrailer = false;
  const gunzip = createGunzip();
  const feeding = pipeline(Readable.from(ageDecrypt(bytes, opts.identities)), gunzip).then(
    () => undefined,
    (e: unknown) => e,
  );
  const fail = (msg: string, kind: ArchiveError['kind'] = 'inconsistent') => new ArchiveError(msg, current ? [`table ${current.name}`] : lastTable ? [`after table ${lastTable}`] : ['the archive header'], kind);

  function handleRow(line: Buffer, batch: Buffer[]): void {
    if (sawTrailer) throw fail('data follows the archive trailer');
    if (!current) throw fail('a row appears outside a table section');
    current.hash.update(line);
    current.hash.update('\n');
    current.rows++;
    if (opts.wantRows) batch.push(line);
  }

  function* handleControl(line: Buffer): Generator<ArchiveItem> {
    if (sawTrailer) throw fail('data follows the archive trailer');
    let item: { kind?: string; [k: string]: unknown };
    try {
      item = JSON.parse(line.toString('utf8')) as typeof item;
    } catch {
      throw fail('a line of the archive is not valid JSON');
    }
    if (item.kind === 'header') {
      if (sawHeader) throw fail('a second archive header');
      sawHeader = true;
      yield { type: 'header', header: item };
    } else if (item.kind === 'table') {
      if (!sawHeader) throw fail('a table section before the archive header');
      if (current) throw fail(`table ${String(item.name)} starts before table ${current.name} ended`);
      current = { name: String(item.name), rows: 0, hash: createHash('sha256') };
      yield { type: 'table', table: item as unknown as TableSectionHeader };
    } else if (item.kind === 'end') {
      if (!current || item.name !== current.name) throw fail(`an end line for table ${String(item.name)} without its start`);
      const sha256 = current.hash.digest('hex');
      if (item.rows !== current.rows) throw new ArchiveError(`table ${current.name}: the section holds ${current.rows} rows but its end line says ${String(item.rows)}`, [`table ${current.name}`], 'inconsistent');
      if (item.sha256 !== sha256) throw new ArchiveError(`table ${current.name}: the rows' SHA-256 does not match the section's checksum`, [`table ${current.name}`], 'inconsistent');
      const done = { type: 'end' as const, table: current.name, rows: current.rows, sha256 };
      lastTable = current.name;
      current = undefined;
      yield done;
    } else if (item.kind === 'trailer') {
      if (current) throw fail(`the trailer starts inside table ${current.name}`);
      sawTrailer = true;
      yield { type: 'trailer', manifest: item.manifest as ManifestCore };
    } else {
      throw fail(`an unknown line kind ${JSON.stringify(item.kind)}`);
    }
  }

  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of gunzip) {
      const data = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let from = 0;
      const batch: Buffer[] = [];
      let batchTable = current?.name;
      const flush = function* (): Generator<ArchiveItem> {
        if (batch.length > 0 && batchTable) {
          let bytes = 0;
          for (const l of batch) bytes += l.length;
          yield { type: 'rows', table: batchTable, lines: batch.splice(0), bytes };
        }
      };
      for (;;) {
        const nl = data.indexOf(0x0a, from);
        if (nl < 0) break;
        const line = data.subarray(from, nl);
        from = nl + 1;
        if (line[0] === 0x5b /* [ */) handleRow(line, batch);
        else {
          yield* flush();
          yield* handleControl(line);
          batchTable = current?.name;
        }
      }
      yield* flush();
      rest = Buffer.from(data.subarray(from));
    }
    const err = await feeding;
    if (err) throw err;
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    if (e instanceof AgeFormatError) throw describeAgeError(e, opts.manifest, current?.name);
    const code = (e as NodeJS.ErrnoException).code;
    if (code && code.startsWith('Z_')) throw fail(`decompression failed (${(e as Error).message})`, 'damaged');
    throw e;
  } finally {
    gunzip.destroy();
  }
  if (rest.length > 0) throw fail('the archive ends in the middle of a line', 'truncated');
  if (!sawHeader) throw fail('the archive has no header', 'truncated');
  if (current) throw fail(`the archive ends inside table ${current.name}`, 'truncated');
  if (!sawTrailer) throw fail('the archive ends before its trailer', 'truncated');
}

