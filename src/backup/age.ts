// The age v1 file format (https://age-encryption.org/v1), split in two:
//
// - The header (recipient stanzas + MAC) is made and opened by the
//   `age-encryption` package, so key wrapping stays in a reviewed library.
// - The payload is age's STREAM construction (ChaCha20-Poly1305 over 64 KiB
//   chunks; nonce = 11-byte big-endian chunk counter + a last-chunk flag; key
//   = HKDF-SHA256(file key, salt = 16-byte payload nonce, info "payload")),
//   done here with node:crypto. The package's own STREAM is pure JavaScript
//   (about 55 MB/s on this machine) and reports a damaged chunk only as "invalid
//   tag"; this one is OpenSSL-fast, works on Node streams with bounded memory
//   (one chunk at a time) and says exactly which chunk and byte range failed.
//
// Encryption obtains the file key through the package's public Recipient
// interface: a first recipient records the key it is asked to wrap and adds no
// stanza. The output is standard age; a test decrypts it with the reference
// `age` command.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient, type Recipient } from 'age-encryption';

export const AGE_CHUNK = 64 * 1024;
const TAG = 16;
export const AGE_CHUNK_SEALED = AGE_CHUNK + TAG;
const NONCE = 16;
const MAX_HEADER = 64 * 1024;
const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const X25519_IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

export const isX25519Recipient = (s: string): boolean => X25519_RECIPIENT.test(s);

/** Where in the archive something went wrong (byte offsets, end exclusive). */
export interface ArchiveLocation {
  part: 'header' | 'payload-nonce' | 'payload';
  start: number;
  end: number;
  /** 0-based STREAM chunk index (payload only). */
  chunk?: number;
}

export class AgeFormatError extends Error {
  constructor(message: string, readonly location: ArchiveLocation, readonly reason: 'damaged' | 'truncated' | 'no-identity' | 'not-age') {
    super(message);
    this.name = 'AgeFormatError';
  }
}

function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** 11-byte big-endian chunk counter followed by the last-chunk flag. */
function counterNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    n[i] = c % 256;
    c = Math.floor(c / 256);
  }
  n[11] = last ? 1 : 0;
  return n;
}

function seal(key: Buffer, counter: number, last: boolean, plain: Buffer): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, counterNonce(counter, last), { authTagLength: TAG });
  const body = c.update(plain);
  c.final();
  return Buffer.concat([body, c.getAuthTag()]);
}

function open(key: Buffer, counter: number, last: boolean, sealed: Buffer): Buffer | undefined {
  const d = createDecipheriv('chacha20-poly1305', key, counterNonce(counter, last), { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const body = d.update(sealed.subarray(0, sealed.length - TAG));
  try {
    d.final();
  } catch {
    return undefined;
  }
  return body;
}

/** A new X25519 identity (AGE-SECRET-KEY-1…) and its recipient (age1…). */
export async function generateKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

export const isX25519Identity = (s: string): boolean => X25519_IDENTITY.test(s);

/**
 * Encrypts a byte stream to the recipients. Yields the age header, the
 * payload nonce and then sealed chunks; holds at most one chunk of plaintext.
 */
export async function* ageEncrypt(plain: AsyncIterable<Uint8Array>, recipients: readonly string[]): AsyncGenerator<Buffer> {
  if (recipients.length === 0) throw new Error('at least one age recipient is needed');
  let fileKey: Uint8Array | undefined;
  const capture: Recipient = {
    wrapFileKey(k) {
      fileKey = Uint8Array.from(k);
      return [];
    },
  };
  const e = new Encrypter();
  e.addRecipient(capture);
  for (const r of recipients) e.addRecipient(r);
  // Encrypting nothing yields header || payload nonce || the sealed empty final chunk.
  const empty = Buffer.from(await e.encrypt(new Uint8Array(0)));
  if (!fileKey) throw new Error('age: the file key was not captured');
  const headerAndNonce = empty.subarray(0, empty.length - TAG);
  const nonce = headerAndNonce.subarray(headerAndNonce.length - NONCE);
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);
  yield Buffer.from(headerAndNonce);

  // A full chunk is only sealed once more data follows: the last chunk carries the flag.
  let buf = Buffer.alloc(AGE_CHUNK);
  let used = 0;
  let counter = 0;
  for await (const piece of plain) {
    let data = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (data.length > 0) {
      if (used === AGE_CHUNK) {
        yield seal(key, counter++, false, buf);
        buf = Buffer.alloc(AGE_CHUNK);
        used = 0;
      }
      const n = Math.min(AGE_CHUNK - used, data.length);
      data.copy(buf, used, 0, n);
      used += n;
      data = data.subarray(n);
    }
  }
  yield seal(key, counter, true, buf.subarray(0, used));
  key.fill(0);
}

/** Byte source with a running offset, for reading the header and then fixed-size chunks. */
class ByteReader {
  #it: AsyncIterator<Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  offset = 0;
  constructor(src: AsyncIterable<Uint8Array>) {
    this.#it = src[Symbol.asyncIterator]();
  }
  async #fill(n: number): Promise<void> {
    const parts = [this.#buf];
    let have = this.#buf.length;
    while (have < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) this.#done = true;
      else {
        const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        parts.push(b);
        have += b.length;
      }
    }
    this.#buf = parts.length === 1 ? this.#buf : Buffer.concat(parts);
  }
  /** Up to n bytes (fewer only at the end of the input). */
  async read(n: number): Promise<Buffer> {
    await this.#fill(n);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }
  /** Bytes up to and including the first "\n--- …\n" line (the header's MAC line). */
  async readHeader(): Promise<Buffer> {
    let from = 0;
    for (;;) {
      const mac = this.#buf.indexOf('\n--- ', Math.max(0, from - 5));
      if (mac >= 0) {
        const eol = this.#buf.indexOf('\n', mac + 1);
        if (eol >= 0) return this.read(eol + 1);
      }
      if (this.#done || this.#buf.length > MAX_HEADER) return Buffer.alloc(0);
      from = this.#buf.length;
      await this.#fill(this.#buf.length + 1);
      if (this.#buf.length === from) return Buffer.alloc(0);
    }
  }
  async atEnd(): Promise<boolean> {
    await this.#fill(1);
    return this.#buf.length === 0;
  }
}

export interface AgeDecryptInfo {
  headerBytes: number;
}

/**
 * Decrypts an age stream with the given identities, yielding plaintext chunk by
 * chunk. Throws AgeFormatError naming the failing part and byte range: a
 * damaged chunk, a missing end (truncation), or no matching identity.
 */
export async function* ageDecrypt(src: AsyncIterable<Uint8Array>, identities: readonly string[], info?: (i: AgeDecryptInfo) => void): AsyncGenerator<Buffer> {
  const r = new ByteReader(src);
  const header = await r.readHeader();
  if (header.length === 0 || !header.subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n'))) {
    throw new AgeFormatError('not an age-encrypted file, or its header is damaged or cut off', { part: 'header', start: 0, end: Math.max(header.length, 1) }, 'not-age');
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  let fileKey: Uint8Array;
  try {
    fileKey = await d.decryptHeader(header);
  } catch (e) {
    const msg = (e as Error).message;
    const noMatch = /no identity matched/i.test(msg);
    throw new AgeFormatError(
      noMatch ? 'none of the given identities can decrypt this archive (wrong key, or a damaged recipient stanza)' : `the age header is damaged: ${msg}`,
      { part: 'header', start: 0, end: header.length },
      noMatch ? 'no-identity' : 'damaged',
    );
  }
  info?.({ headerBytes: header.length });
  const nonceAt = r.offset;
  const nonce = await r.read(NONCE);
  if (nonce.length < NONCE) throw new AgeFormatError('the archive ends inside the payload nonce (truncated)', { part: 'payload-nonce', start: nonceAt, end: nonceAt + NONCE }, 'truncated');
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);

  let counter = 0;
  for (;;) {
    const start = r.offset;
    const sealed = await r.read(AGE_CHUNK_SEALED);
    const last = await r.atEnd();
    const where: ArchiveLocation = { part: 'payload', start, end: start + sealed.length, chunk: counter };
    if (sealed.length < TAG || (sealed.length < AGE_CHUNK_SEALED && !last)) {
      throw new AgeFormatError(`the archive ends inside chunk ${counter} (truncated)`, where, 'truncated');
    }
    const plain = open(key, counter, last, sealed);
    if (!plain) {
      // A full chunk that opens as a middle chunk means the real last chunk is gone.
      if (last && sealed.length === AGE_CHUNK_SEALED && open(key, counter, false, sealed)) {
        throw new AgeFormatError(`the archive ends after chunk ${counter}, but that chunk is not the last one (truncated)`, { ...where, start: where.end, end: where.end }, 'truncated');
      }
      throw new AgeFormatError(`chunk ${counter} failed authentication (the data was altered or damaged)`, where, 'damaged');
    }
    if (last && plain.length === 0 && counter > 0) throw new AgeFormatError('the final chunk is empty (malformed archive)', where, 'damaged');
    if (plain.length > 0) yield plain;
    if (last) break;
    counter++;
  }
  key.fill(0);
}
