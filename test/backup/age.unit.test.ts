// The archive encryption is standard age v1: the reference `age` command
// (Debian package age) decrypts what finhub writes, and finhub decrypts what
// `age` writes. Any damaged byte of a small file is detected.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageDecrypt, ageEncrypt, AgeFormatError, generateKeyPair } from '../../src/backup/age.ts';

const once = (b: Buffer) => (async function* () { yield b; })();
async function encrypt(data: Buffer, recipients: string[], piece = 10_000): Promise<Buffer> {
  async function* src() {
    for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece);
  }
  const out: Buffer[] = [];
  for await (const c of ageEncrypt(src(), recipients)) out.push(c);
  return Buffer.concat(out);
}
async function decrypt(ct: Buffer, identities: string[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of ageDecrypt(once(ct), identities)) out.push(c);
  return Buffer.concat(out);
}
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255));

describe('age format', () => {
  let dir: string;
  let a: { identity: string; recipient: string };
  let b: { identity: string; recipient: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finhub-age-'));
    a = await generateKeyPair();
    b = await generateKeyPair();
    writeFileSync(join(dir, 'a.key'), a.identity + '\n', { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_001])('%i bytes: the reference age tool decrypts finhub output', async (n) => {
    const data = pattern(n);
    const ct = await encrypt(data, [a.recipient, b.recipient]);
    writeFileSync(join(dir, 'x.age'), ct);
    expect(execFileSync('age', ['-d', '-i', join(dir, 'a.key'), join(dir, 'x.age')], { maxBuffer: 1 << 26 }).equals(data)).toBe(true);
    expect((await decrypt(ct, [b.identity])).equals(data)).toBe(true);
  });

  it.each([0, 100, 65_536, 150_000])('%i bytes: finhub decrypts the reference age tool output', async (n) => {
    const data = pattern(n);
    writeFileSync(join(dir, 'plain'), data);
    execFileSync('age', ['-e', '-r', a.recipient, '-o', join(dir, 'ref.age'), join(dir, 'plain')]);
    expect((await decrypt(readFileSync(join(dir, 'ref.age')), [a.identity])).equals(data)).toBe(true);
  });

  it('every single damaged byte of a small archive is detected', async () => {
    const ct = await encrypt(pattern(300), [a.recipient]);
    for (let i = 0; i < ct.length; i++) {
      const bad = Buffer.from(ct);
      bad[i]! ^= 0x40;
      await expect(decrypt(bad, [a.identity]), `offset ${i}`).rejects.toBeInstanceOf(AgeFormatError);
    }
  });

  it('truncation is detected, including at a chunk boundary', async () => {
    const ct = await encrypt(pattern(3 * 65_536), [a.recipient]);
    const headerAndNonce = ct.length - 3 * 65_552; // three full chunks, the third flagged as the last
    for (const cut of [0, 10, headerAndNonce, headerAndNonce + 65_552, headerAndNonce + 65_552 + 7, ct.length - 1, ct.length - 16]) {
      await expect(decrypt(ct.subarray(0, cut), [a.identity]), `cut ${cut}`).rejects.toBeInstanceOf(AgeFormatError);
    }
    const err = await decrypt(ct.subarray(0, headerAndNonce + 2 * 65_552), [a.identity]).catch((e: AgeFormatError) => e);
    expect((err as AgeFormatError).reason).toBe('truncated');
  });

  it('a key that is not a recipient is reported as such', async () => {
    const ct = await encrypt(pattern(10), [a.recipient]);
    const err = await decrypt(ct, [b.identity]).catch((e: AgeFormatError) => e);
    expect((err as AgeFormatError).reason).toBe('no-identity');
    expect((err as Error).message).toMatch(/none of the given identities can decrypt this archive/);
  });
});
