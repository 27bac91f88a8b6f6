// Guards applied before any parser sees a file: size limits, gzip/zip input
// (one statement file inside) decompressed incrementally so a bomb is stopped
// after at most one chunk's worth of output, and XML entity rejection.
import { Gunzip, Unzip, UnzipInflate, UnzipPassThrough, type UnzipFile } from 'fflate';
import { ImportError } from './errors.ts';

export const DEFAULT_MAX_IMPORT_BYTES = 50 * 1024 * 1024;
/** Decompressed/compressed ratio beyond which input is treated as a bomb (real statements compress 5-30x). */
export const MAX_COMPRESSION_RATIO = 200;
/** The ratio check starts once this much has been produced, so tiny archives of repetitive text pass. */
const RATIO_GRACE_BYTES = 1024 * 1024;
/** Compressed input is fed in slices this big; deflate expands at most ~1032x, so one slice yields at most ~4 MB. */
const CHUNK = 4 * 1024;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

export function assertSize(size: number, maxBytes: number, what = 'the file'): void {
  if (size > maxBytes) {
    throw new ImportError('FILE_TOO_LARGE', `${what} is ${formatBytes(size)}; the limit is ${formatBytes(maxBytes)}`, {
      expected: `at most ${maxBytes} bytes`,
      details: { size, maxBytes },
    });
  }
}

export type ArchiveKind = 'gzip' | 'zip';

export function archiveKind(bytes: Uint8Array): ArchiveKind | undefined {
  if (bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) return 'gzip';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  return undefined;
}

class OutputBudget {
  readonly chunks: Uint8Array[] = [];
  total = 0;
  constructor(
    private readonly compressedSize: number,
    private readonly maxBytes: number,
    private readonly kind: ArchiveKind,
  ) {}
  add(data: Uint8Array): void {
    this.total += data.length;
    if (this.total > RATIO_GRACE_BYTES && this.total / Math.max(1, this.compressedSize) > MAX_COMPRESSION_RATIO) {
      throw new ImportError(
        'ARCHIVE_BOMB',
        `the ${this.kind} file expands more than ${MAX_COMPRESSION_RATIO}x (${formatBytes(this.compressedSize)} compressed, over ${formatBytes(this.total)} so far); refusing it`,
        { expected: `a compressed statement expanding at most ${MAX_COMPRESSION_RATIO}x`, details: { compressedSize: this.compressedSize, decompressedSoFar: this.total } },
      );
    }
    if (this.total > this.maxBytes) {
      throw new ImportError('FILE_TOO_LARGE', `the ${this.kind} file expands to more than ${formatBytes(this.maxBytes)}, the limit`, {
        expected: `at most ${this.maxBytes} bytes after decompression`,
        details: { compressedSize: this.compressedSize, maxBytes: this.maxBytes },
      });
    }
    if (data.length > 0) this.chunks.push(data);
  }
  concat(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0] as Uint8Array;
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function corrupt(kind: ArchiveKind, e: unknown): ImportError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ImportError('MALFORMED_FILE', `the ${kind} data is corrupt: ${msg}`, { expected: `a valid ${kind} file` });
}

function gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const budget = new OutputBudget(bytes.length, maxBytes, 'gzip');
  let done = false;
  const g = new Gunzip((data, final) => {
    budget.add(data);
    if (final) done = true;
  });
  try {
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const end = Math.min(bytes.length, at + CHUNK);
      g.push(bytes.subarray(at, end), end === bytes.length);
    }
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw corrupt('gzip', e);
  }
  if (!done) throw corrupt('gzip', new Error('unexpected end of data'));
  return budget.concat();
}

const IGNORED_ZIP_ENTRY = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)|\/$/i;

function unzipSingle(bytes: Uint8Array, maxBytes: number): { data: Uint8Array; name: string } {
  const files: UnzipFile[] = [];
  const unzip = new Unzip((f) => {
    if (!IGNORED_ZIP_ENTRY.test(f.name)) files.push(f);
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  // Pass 1: list the entries (headers only; nothing is inflated until start()).
  try {
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const end = Math.min(bytes.length, at + CHUNK);
      unzip.push(bytes.subarray(at, end), end === bytes.length);
    }
  } catch (e) {
    throw corrupt('zip', e);
  }
  if (files.length === 0) throw new ImportError('UNSUPPORTED_FORMAT', 'the zip file holds no statement file', { expected: 'a zip with exactly one statement file' });
  if (files.length > 1) {
    throw new ImportError('UNSUPPORTED_FORMAT', `the zip file holds ${files.length} files (${files.slice(0, 5).map((f) => f.name).join(', ')}); upload one statement at a time`, {
      expected: 'a zip with exactly one statement file',
    });
  }
  const file = files[0] as UnzipFile;
  if (file.compression !== 0 && file.compression !== 8) {
    throw new ImportError('UNSUPPORTED_FORMAT', `the zip entry ${file.name} uses compression method ${file.compression}; only stored and deflate are supported`, { expected: 'a deflate or stored zip entry' });
  }
  // Pass 2: inflate the one entry, counting output as it comes.
  const budget = new OutputBudget(bytes.length, maxBytes, 'zip');
  let done = false;
  let failure: unknown;
  const again = new Unzip((f) => {
    if (f.name !== file.name || done) return;
    f.ondata = (err, data, final) => {
      if (failure) return;
      if (err) {
        failure = corrupt('zip', err);
        return;
      }
      try {
        budget.add(data);
      } catch (e) {
        failure = e;
        f.terminate();
        return;
      }
      if (final) done = true;
    };
    f.start();
  });
  again.register(UnzipInflate);
  again.register(UnzipPassThrough);
  try {
    for (let at = 0; at < bytes.length && !failure; at += CHUNK) {
      const end = Math.min(bytes.length, at + CHUNK);
      again.push(bytes.subarray(at, end), end === bytes.length);
    }
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw corrupt('zip', e);
  }
  if (failure) throw failure instanceof ImportError ? failure : corrupt('zip', failure);
  if (!done) throw corrupt('zip', new Error(`entry ${file.name} is truncated`));
  return { data: budget.concat(), name: file.name };
}

export interface Unpacked {
  bytes: Uint8Array;
  /** Set when the input was an archive. */
  archive?: ArchiveKind;
  /** Name of the file inside a zip (or the gzip name minus .gz), used for format sniffing. */
  innerName?: string;
}

/**
 * Enforces the size limit and unwraps gzip / single-file zip input. Nested
 * archives are refused. Throws FILE_TOO_LARGE, ARCHIVE_BOMB, MALFORMED_FILE
 * (corrupt archive) or UNSUPPORTED_FORMAT (zip with several files).
 */
export function unpack(bytes: Uint8Array, opts: { maxBytes?: number; fileName?: string } = {}): Unpacked {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES;
  assertSize(bytes.length, maxBytes);
  const kind = archiveKind(bytes);
  if (!kind) return { bytes };
  const out = kind === 'gzip' ? { data: gunzip(bytes, maxBytes), name: opts.fileName?.replace(/\.(gz|gzip)$/i, '') } : unzipSingle(bytes, maxBytes);
  if (archiveKind(out.data)) {
    throw new ImportError('UNSUPPORTED_FORMAT', 'the archive contains another archive; upload the statement file itself', { expected: 'one statement file, optionally gzip- or zip-compressed once' });
  }
  const r: Unpacked = { bytes: out.data, archive: kind };
  if (out.name) r.innerName = out.name;
  return r;
}

/**
 * Rejects XML that could expand entities or reach outside the document: any
 * DOCTYPE with an internal subset that declares ENTITY (general or parameter),
 * a DOCTYPE with a SYSTEM/PUBLIC external identifier, and any parameter-entity
 * reference. Called before any XML parser (CAMT, OFX 2) sees the text.
 * Linear scan; only the prolog region up to the root element is inspected for
 * DOCTYPE, since a DOCTYPE is only legal there.
 */
export function assertNoXmlEntities(text: string): void {
  const limit = prologEnd(text);
  let at = 0;
  while (at < limit) {
    const i = text.indexOf('<!', at);
    if (i < 0 || i >= limit) return;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return;
      at = end + 3;
      continue;
    }
    const word = text.slice(i + 2, i + 9).toUpperCase();
    if (word === 'DOCTYPE') {
      const { declaresEntity, external, end } = scanDoctype(text, i + 9);
      const line = lineAt(text, i);
      if (declaresEntity) {
        throw new ImportError('UNSAFE_XML', `line ${line}: the XML declares entities in its DOCTYPE (entity expansion is refused)`, { line, expected: 'XML without <!ENTITY> declarations' });
      }
      if (external) {
        throw new ImportError('UNSAFE_XML', `line ${line}: the XML DOCTYPE refers to an external DTD (external entities are refused)`, { line, expected: 'XML without SYSTEM or PUBLIC identifiers' });
      }
      at = end;
      continue;
    }
    if (word.startsWith('ENTITY')) {
      const line = lineAt(text, i);
      throw new ImportError('UNSAFE_XML', `line ${line}: the XML declares an entity (entity expansion is refused)`, { line, expected: 'XML without <!ENTITY> declarations' });
    }
    at = i + 2;
  }
}

/** Index of the first start tag of the root element (a DOCTYPE may only come before it). */
function prologEnd(text: string): number {
  let at = 0;
  for (;;) {
    const i = text.indexOf('<', at);
    if (i < 0) return text.length;
    const next = text.charCodeAt(i + 1);
    if (next === 63 /* ? */) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return text.length;
      at = end + 2;
    } else if (next === 33 /* ! */) {
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) return text.length;
        at = end + 3;
      } else if (text.slice(i + 2, i + 9).toUpperCase() === 'DOCTYPE') {
        at = scanDoctype(text, i + 9).end;
      } else {
        return text.length; // <!ENTITY outside a DOCTYPE, <![CDATA[ ...: let the caller's scan see it
      }
    } else {
      return i;
    }
  }
}

function scanDoctype(text: string, from: number): { declaresEntity: boolean; external: boolean; end: number } {
  let depth = 0;
  let quote = 0;
  let declaresEntity = false;
  let external = false;
  let k = from;
  let head = '';
  for (; k < text.length; k += 1) {
    const c = text.charCodeAt(k);
    if (quote) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39) quote = c;
    else if (c === 91 /* [ */) depth += 1;
    else if (c === 93 /* ] */) depth = Math.max(0, depth - 1);
    else if (c === 62 /* > */ && depth === 0) break;
    else if (c === 37 /* % */) declaresEntity = true; // parameter entity reference or declaration
    else if (c === 60 /* < */ && text.slice(k + 1, k + 8).toUpperCase() === '!ENTITY') declaresEntity = true;
    if (depth === 0 && head.length < 400) head += text[k];
  }
  if (/\b(SYSTEM|PUBLIC)\b/i.test(head)) external = true;
  return { declaresEntity, external, end: Math.min(text.length, k + 1) };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}
