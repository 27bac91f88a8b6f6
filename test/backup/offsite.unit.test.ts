// The pure rules behind the offsite checks: when an S3 ETag can be compared
// with an MD5, and how a received archive is compared with its manifest.
import { describe, expect, it } from 'vitest';
import { BlockHasher } from '../../src/backup/archive.ts';
import { compareWithManifest } from '../../src/backup/offsite/offsite.service.ts';
import { md5Etag } from '../../src/backup/offsite/s3.store.ts';
import type { Manifest } from '../../src/backup/format.ts';

describe('md5Etag', () => {
  it('compares plain MD5 ETags, and composite ones only for multipart uploads', () => {
    expect(md5Etag({ ETag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"' })).toBe(true);
    expect(md5Etag({ ETag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', ServerSideEncryption: 'AES256' })).toBe(true);
    expect(md5Etag({ ETag: '"3b5856034feca33ea00e9a4d1e10d220-2"' })).toBe(false);
    expect(md5Etag({ ETag: '"3b5856034feca33ea00e9a4d1e10d220-2"' }, true)).toBe(true);
  });
  it('does not compare where the ETag is not an MD5 by design (SSE-KMS, SSE-C, other digests, none)', () => {
    expect(md5Etag({ ETag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', ServerSideEncryption: 'aws:kms' })).toBe(false);
    expect(md5Etag({ ETag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', ServerSideEncryption: 'aws:kms:dsse' })).toBe(false);
    expect(md5Etag({ ETag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"', SSECustomerAlgorithm: 'AES256' })).toBe(false);
    expect(md5Etag({ ETag: '"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"' })).toBe(false);
    expect(md5Etag({})).toBe(false);
  });
});

describe('compareWithManifest', () => {
  const blockSize = 16;
  const bytes = Buffer.from('0123456789abcdef'.repeat(4));
  const hash = (b: Buffer) => {
    const h = new BlockHasher(blockSize);
    h.update(b);
    return h.finish();
  };
  const good = hash(bytes);
  const manifest = {
    archive: { size: bytes.length, sha256: good.sha256, block_size: blockSize, block_sha256: good.blocks, header_bytes: 4, sections: [{ name: 'table:transactions', compressed: [0, 40], archive: [20, 64] }] },
  } as unknown as Manifest;

  it('accepts the same bytes', () => {
    expect(compareWithManifest(manifest, good)).toEqual([]);
  });
  it('names the damaged block and the table in it', () => {
    const bad = Buffer.from(bytes);
    bad[40]! ^= 1;
    expect(compareWithManifest(manifest, hash(bad))).toEqual([`the archive's SHA-256 does not match its manifest; damaged: bytes 32-47 (table transactions)`]);
  });
  it('reports truncation and what it cut off', () => {
    const [first] = compareWithManifest(manifest, hash(bytes.subarray(0, 30)));
    expect(first).toBe('the archive is truncated: 30 of 64 bytes (table transactions missing)');
  });
});
