import { zipSync, strToU8 } from 'fflate';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ImportError } from './errors.ts';
import { parseStatement } from './parse.ts';
import { assertNoXmlEntities, DEFAULT_MAX_IMPORT_BYTES, unpack } from './safety.ts';

function caught(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('expected an ImportError');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<ImportError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('expected an ImportError');
}

const OFX = [
  'OFXHEADER:100', 'DATA:OFXSGML', 'VERSION:102', 'SECURITY:NONE', 'ENCODING:USASCII', 'CHARSET:1252', 'COMPRESSION:NONE', 'OLDFILEUID:NONE', 'NEWFILEUID:NONE', '',
  '<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>22<ACCTTYPE>CHECKING</BANKACCTFROM>',
  '<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-1.00<FITID>F1<NAME>Shop</STMTTRN></BANKTRANLIST>',
  '</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>',
].join('\r\n');

/** A one-entry deflate zip built with the native deflater (fflate's is slow for a 20 MB test bomb). */
function zipOne(name: string, content: Buffer): Uint8Array {
  const data = deflateRawSync(content, { level: 9 });
  const nameBytes = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const cdOffset = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return new Uint8Array(Buffer.concat([local, nameBytes, data, central, nameBytes, end]));
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE></STATUS><LANGUAGE>&lol3;</LANGUAGE></SONRS></SIGNONMSGSRSV1></OFX>`;

describe('size limit', () => {
  it('refuses a 60 MB upload with FILE_TOO_LARGE before reading it', async () => {
    const big = new Uint8Array(60 * 1024 * 1024);
    const e = await caughtAsync(() => parseStatement(big));
    expect(e.code).toBe('FILE_TOO_LARGE');
    expect(e.message).toMatch(/60\.0 MB.*50\.0 MB/);
    expect(e.details).toMatchObject({ size: big.length, maxBytes: DEFAULT_MAX_IMPORT_BYTES });
  });

  it('honours a configured limit', () => {
    expect(caught(() => unpack(new Uint8Array(2000), { maxBytes: 1000 })).code).toBe('FILE_TOO_LARGE');
    expect(unpack(new Uint8Array(1000), { maxBytes: 1000 }).bytes.length).toBe(1000);
  });
});

describe('archives', () => {
  it('reads a gzip-compressed statement', async () => {
    const st = await parseStatement(new Uint8Array(gzipSync(Buffer.from(OFX))), { fileName: 'stmt.ofx.gz' });
    expect(st.transactions).toHaveLength(1);
    expect(st.warnings[0]).toMatch(/gzip/);
  });

  it('reads a zip holding one statement, ignoring macOS metadata entries', async () => {
    const zip = zipSync({ 'export/stmt.qfx': strToU8(OFX), '__MACOSX/._stmt.qfx': new Uint8Array([0, 5, 22]), 'export/': new Uint8Array(0) });
    const st = await parseStatement(zip, { fileName: 'download.zip' });
    expect(st.format).toBe('qfx'); // named by the entry inside, not the zip
    expect(st.transactions[0]?.amountMinor).toBe(-100n);
    expect(st.warnings[0]).toMatch(/zip archive \(export\/stmt\.qfx\)/);
  });

  it('reads a zip written by another deflater', () => {
    expect(new TextDecoder().decode(unpack(zipOne('x.ofx', Buffer.from(OFX))).bytes)).toBe(OFX);
  });

  it('reads a stored (uncompressed) zip entry', () => {
    const zip = zipSync({ 'a.ofx': [strToU8(OFX), { level: 0 }] });
    expect(new TextDecoder().decode(unpack(zip).bytes)).toBe(OFX);
  });

  it('refuses a zip with several files', () => {
    const zip = zipSync({ 'a.ofx': strToU8(OFX), 'b.ofx': strToU8(OFX) });
    const e = caught(() => unpack(zip));
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toMatch(/2 files \(a\.ofx, b\.ofx\)/);
  });

  it('refuses an archive inside an archive', () => {
    const inner = gzipSync(Buffer.from(OFX));
    expect(caught(() => unpack(new Uint8Array(gzipSync(inner)))).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('stops a gzip bomb early with ARCHIVE_BOMB', () => {
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(20 * 1024 * 1024), { level: 9 }));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const e = caught(() => unpack(bomb));
    expect(e.code).toBe('ARCHIVE_BOMB');
    // Stopped after a few MB, not after expanding all 20 MB.
    expect(e.details?.decompressedSoFar as number).toBeLessThan(8 * 1024 * 1024);
  });

  it('stops a zip bomb early with ARCHIVE_BOMB', () => {
    const bomb = zipOne('statement.ofx', Buffer.alloc(20 * 1024 * 1024));
    const e = caught(() => unpack(bomb));
    expect(e.code).toBe('ARCHIVE_BOMB');
    expect(e.details?.decompressedSoFar as number).toBeLessThan(8 * 1024 * 1024);
  });

  it('refuses compressed input that expands beyond the size limit', () => {
    // Incompressible-ish text: a low ratio, so the size limit is what trips.
    let seed = 1;
    const text = Array.from({ length: 300_000 }, () => ((seed = (seed * 48271) % 2147483647) % 36).toString(36)).join('');
    const gz = new Uint8Array(gzipSync(Buffer.from(text)));
    const e = caught(() => unpack(gz, { maxBytes: 100_000 }));
    expect(e.code).toBe('FILE_TOO_LARGE');
  });

  it('reports a corrupt gzip as MALFORMED_FILE', () => {
    const gz = new Uint8Array(gzipSync(Buffer.from(OFX)));
    const broken = gz.slice(0, gz.length - 20);
    broken[12] = (broken[12] ?? 0) ^ 0xff;
    expect(caught(() => unpack(broken)).code).toBe('MALFORMED_FILE');
  });
});

describe('assertNoXmlEntities', () => {
  it('refuses the billion laughs', async () => {
    const e = caught(() => assertNoXmlEntities(BILLION_LAUGHS));
    expect(e.code).toBe('UNSAFE_XML');
    expect(e.line).toBe(2);
    // And through the whole pipeline, before any expansion.
    expect((await caughtAsync(() => parseStatement(new TextEncoder().encode(BILLION_LAUGHS)))).code).toBe('UNSAFE_XML');
  });

  it('refuses an external entity', () => {
    const xxe = '<?xml version="1.0"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n<OFX>&xxe;</OFX>';
    expect(caught(() => assertNoXmlEntities(xxe)).code).toBe('UNSAFE_XML');
  });

  it('refuses an external DTD (SYSTEM or PUBLIC)', () => {
    expect(caught(() => assertNoXmlEntities('<?xml version="1.0"?><!DOCTYPE OFX SYSTEM "http://evil.example/x.dtd"><OFX/>')).message).toMatch(/external DTD/);
    expect(caught(() => assertNoXmlEntities('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>')).code).toBe('UNSAFE_XML');
  });

  it('refuses parameter entities', () => {
    const pe = '<?xml version="1.0"?><!DOCTYPE d [ <!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p; ]><d/>';
    expect(caught(() => assertNoXmlEntities(pe)).code).toBe('UNSAFE_XML');
  });

  it('refuses an ENTITY declaration hidden after a comment in the prolog', () => {
    expect(caught(() => assertNoXmlEntities('<?xml version="1.0"?><!-- hi --><!DOCTYPE d [<!-- x --><!ENTITY a "b">]><d/>')).code).toBe('UNSAFE_XML');
  });

  it('accepts ordinary XML, a bare DOCTYPE and entity-like text in the body', () => {
    expect(() => assertNoXmlEntities('<?xml version="1.0"?><!DOCTYPE OFX><OFX><NAME>A &amp; B, 100% sure <!-- <!ENTITY --></NAME></OFX>')).not.toThrow();
    expect(() => assertNoXmlEntities('OFXHEADER:100\n<OFX><NAME>50%</OFX>')).not.toThrow();
  });
});
