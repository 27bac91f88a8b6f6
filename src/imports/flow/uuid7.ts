// Time-ordered UUIDs (RFC 9562 version 7) for rows an import inserts in bulk.
// Random v4 ids land on random leaf pages of the primary-key and (ledger_id, id)
// indexes, which on a large ledger means a cache miss per row; ids that grow
// with time and with the row's position in the batch are appended at the
// right edge of those indexes instead.
import { randomBytes } from 'node:crypto';

/**
 * A generator of increasing v7 UUIDs: the millisecond timestamp of the call
 * that created it, then a 32-bit sequence number, then 42 random bits.
 */
export function uuid7Sequence(now = Date.now()): () => string {
  let seq = 0;
  const ts = BigInt(now) & 0xffff_ffff_ffffn;
  return () => {
    const b = randomBytes(16);
    for (let i = 0; i < 6; i++) b[i] = Number((ts >> BigInt(8 * (5 - i))) & 0xffn);
    const s = seq++ >>> 0;
    // rand_a (12 bits) = sequence bits 31..20; rand_b starts with bits 19..0.
    b[6] = 0x70 | ((s >>> 28) & 0x0f);
    b[7] = (s >>> 20) & 0xff;
    b[8] = 0x80 | ((s >>> 14) & 0x3f);
    b[9] = (s >>> 6) & 0xff;
    b[10] = ((s & 0x3f) << 2) | (b[10]! & 0x03);
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
}
