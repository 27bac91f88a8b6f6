// Mutation fuzzing of the statement parsers: seeds (the real corpus files of a
// format plus the repo's own fixtures), deterministic mutators and the check
// of one case. Case i of (format, seed) is a pure function of those values and
// the seed files, so a failing input can be regenerated from its number while
// the seed files stay the same (the runner also saves its bytes).
//
// A case passes when parseStatements either returns Statements that are
// well-formed (statementProblems) or throws an ImportError with a known code.
// Anything else (another exception, an unknown code, a malformed Statement, a
// case slower than the limit) is a finding.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { createPrng, type Prng } from '../../src/demo/prng.ts';
import { ImportError, type ImportErrorCode } from '../../src/imports/errors.ts';
import { parseStatements, type ParseOptions } from '../../src/imports/parse.ts';
import type { ImportFormat } from '../../src/imports/statement.ts';
import { statementProblems } from '../imports/corpus-check.ts';
import { CORPUS_FACTS, type CorpusDir } from '../imports/corpus-facts.ts';
import { CORPUS_DIR, REPO_ROOT } from '../imports/corpus-manifest.ts';

export const FUZZ_FORMATS: readonly ImportFormat[] = ['ofx1', 'ofx2', 'qfx', 'qif', 'camt053', 'csv'];

// A Record over the union: adding a code to ImportErrorCode without listing it here fails the typecheck.
const CODES: Record<ImportErrorCode, true> = {
  MALFORMED_FILE: true, UNSUPPORTED_FORMAT: true, FILE_TOO_LARGE: true, UNSAFE_XML: true, ARCHIVE_BOMB: true,
  ENCODING: true, CSV_MAPPING_REQUIRED: true, CURRENCY_MISMATCH: true, AMOUNT_INVALID: true, STATEMENT_NOT_FOUND: true,
};
export const KNOWN_CODES = new Set(Object.keys(CODES));

/** Mutated inputs never grow beyond this, so one case stays small and fast. */
export const MAX_CASE_BYTES = 256 * 1024;

export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** Extra parse options that belong to this seed (the CSV mapping of a corpus file). */
  opts?: Pick<ParseOptions, 'csv' | 'currency'>;
}

const DIR_OF: Record<ImportFormat, CorpusDir> = { ofx1: 'ofx1-sgml', ofx2: 'ofx2-xml', qfx: 'qfx', qif: 'qif', camt053: 'camt053', csv: 'csv' };
const FIXTURES_DIR = join(REPO_ROOT, 'test/fixtures/imports');

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Repo fixtures belong to a format by extension and content (OFX flavours by their header). */
function fixtureFormat(path: string, bytes: Uint8Array): ImportFormat | undefined {
  const ext = extname(path).toLowerCase();
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  if (ext === '.qfx') return 'qfx';
  if (ext === '.ofx') return /<\?OFX|<\?xml/i.test(head) ? 'ofx2' : 'ofx1';
  if (ext === '.qif') return 'qif';
  if (ext === '.xml' || ext === '.camt' || ext === '.053') return /camt\.053|BkToCstmrStmt/.test(head) ? 'camt053' : undefined;
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  return undefined;
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Seeds of one format: the corpus directory of that format (when present) and the matching repo fixtures. */
export function loadSeeds(format: ImportFormat): Seed[] {
  const seeds: Seed[] = [];
  const dir = DIR_OF[format];
  for (const f of CORPUS_FACTS) {
    if (f.dir !== dir) continue;
    const p = join(CORPUS_DIR, f.file);
    if (!existsSync(p)) continue;
    const opts: Seed['opts'] = { currency: f.accountCurrency };
    if (f.csv) opts.csv = f.csv;
    seeds.push({ name: `corpus:${f.file}`, bytes: u8(readFileSync(p)), opts });
  }
  for (const p of walk(FIXTURES_DIR)) {
    const bytes = u8(readFileSync(p));
    if (bytes.length > MAX_CASE_BYTES) continue;
    if (fixtureFormat(p, bytes) === format) seeds.push({ name: `fixture:${relative(FIXTURES_DIR, p)}`, bytes });
  }
  return seeds;
}

// ---------------------------------------------------------------------------
// Mutators

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

const COMMON_TOKENS = [
  '\n', '\r\n', '\r', '\0', ' ', '\t', '-', '+', '.', ',', '(', ')', '$', '€', '£', '\u2212', '\u00a0', '\ufeff',
  '99999999999999999999999999', '-9007199254740992', '9007199254740991.99', '1e308', 'NaN', '-0', '0000000000000.0000001',
  '2024-02-30', '20240230', '99999999', '00000000', '\u0663\u0664', '\ud83d\ude00',
];

const TOKENS: Record<ImportFormat, string[]> = {
  ofx1: [
    '<', '>', '</', '<STMTTRN>', '</STMTTRN>', '<TRNAMT>', '<DTPOSTED>', '<FITID>', '<NAME>', '<MEMO>', '<BANKTRANLIST>', '</BANKTRANLIST>',
    '<STMTRS>', '</STMTRS>', '<CCSTMTRS>', '<INVSTMTRS>', '<LEDGERBAL>', '<BALAMT>', '<DTASOF>', '<CURDEF>XXX', '<CURDEF>JPY', '</OFX>', '<OFX>',
    'OFXHEADER:100\n', 'DATA:OFXSGML\n', 'VERSION:102\n', 'VERSION:300\n', 'CHARSET:1252\n', 'ENCODING:UTF-8\n', 'CHARSET:8859-1\n',
    '<!DOCTYPE ofx [<!ENTITY a "aaaaaaaaaa">]>', '<!ENTITY x SYSTEM "file:///etc/passwd">', '&amp;', '&lt;', '&x;', '&#0;', '&#x110000;',
    '<![CDATA[', ']]>', '<!--', '-->', '<BUYSTOCK>', '<INVBANKTRAN>', '<TOTAL>', '<BANKTRANLISTP>', '[-5:EST]', '[+14]', '.000[0:GMT]',
  ],
  ofx2: [],
  qfx: ['<INTU.BID>', '<INTU.USERID>x', '</SONRS>'],
  qif: [
    '!Type:Bank\n', '!Type:CCard\n', '!Type:Cash\n', '!Type:Invst\n', '!Type:Cat\n', '!Account\n', '!Option:AutoSwitch\n', '!Clear:AutoSwitch\n',
    '^\n', '^', 'D', 'T', 'U', 'P', 'M', 'N', 'L', 'S', 'E', '$', 'C*', 'CX', "D1/1'99\n", "D 1/ 1' 0\n", 'D02/30/2020\n', 'D2022-09-23\n',
    'D13/13/13\n', 'T-99999999999999999999\n', 'T1,234.56\n', 'L[Account]\n', 'S[A]\n', '$-10\n', '#comment\n', 'NBuy\n', 'Q100\n',
  ],
  camt053: [
    '<Ntry>', '</Ntry>', '<Amt Ccy="EUR">', '<Amt Ccy="XXX">', '<Amt Ccy="JPY">', '</Amt>', '<TxDtls>', '</TxDtls>', '<Stmt>', '</Stmt>', '<Bal>',
    '<CdtDbtInd>DBIT</CdtDbtInd>', '<CdtDbtInd>CRDT</CdtDbtInd>', '<RvslInd>true</RvslInd>', '<BookgDt><Dt>2024-02-30</Dt></BookgDt>',
    '<ValDt><DtTm>2024-13-01T25:61:00</DtTm></ValDt>', '<Cd>CLBD</Cd>', '<Cd>OPBD</Cd>', '<NbOfTxs>99999</NbOfTxs>', '<AcctSvcrRef>',
    '<?xml version="1.0" encoding="UTF-16"?>', '<?xml version="1.0"?>', 'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"',
    '<!DOCTYPE Document [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>', '<!ENTITY xxe SYSTEM "file:///etc/passwd">', '&lol2;', '&amp;',
    '<![CDATA[x]]>', '<!--', '-->', '<', '>', '</', '"', "'", '=',
  ],
  csv: [
    '"', '""', ',', ';', '\t', '|', '\n', '\r\n', '"\n"', ',,,,,,', ';;;;', '"a,b"', '1.234,56', '(12.00)', '- $7,971.39', '+ $73.01', '.',
    '03/04/2024', '2024-13-45', '31.02.2024', 'Date,Amount,Payee\n', 'Datum;Betrag;Text\n', 'Pending', 'CR', 'DR', 'Af', 'Bij',
    '12 345,67', "1'234.56", '١٢٣', '=cmd|/C calc!A0',
  ],
};
TOKENS.ofx2 = [...TOKENS.ofx1.filter((t) => !/^(OFXHEADER|DATA|VERSION|CHARSET|ENCODING)/.test(t)), '<?xml version="1.0" encoding="UTF-8"?>', '<?OFX OFXHEADER="200" VERSION="211"?>', '<?OFX VERSION="300"?>', '<BANKID/>', '/>'];
TOKENS.qfx = [...TOKENS.ofx1, ...TOKENS.qfx];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const pos = (r: Prng, len: number) => r.int(0, len);

function utf16(bytes: Uint8Array, bigEndian: boolean, bom: boolean): Uint8Array {
  const text = new TextDecoder('utf-8').decode(bytes);
  const out = new Uint8Array(text.length * 2 + (bom ? 2 : 0));
  let o = 0;
  if (bom) {
    out[o++] = bigEndian ? 0xfe : 0xff;
    out[o++] = bigEndian ? 0xff : 0xfe;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[o++] = bigEndian ? c >> 8 : c & 0xff;
    out[o++] = bigEndian ? c & 0xff : c >> 8;
  }
  return out;
}

type Mutator = (r: Prng, x: Uint8Array, format: ImportFormat) => Uint8Array;

const MUTATORS: readonly (readonly [string, Mutator, number])[] = [
  ['bitflip', (r, x) => {
    if (x.length === 0) return x;
    const y = x.slice();
    for (let k = r.int(1, 8); k > 0; k--) {
      const i = r.int(0, y.length - 1);
      y[i] = (y[i] as number) ^ (1 << r.int(0, 7));
    }
    return y;
  }, 10],
  ['byteset', (r, x) => {
    if (x.length === 0) return x;
    const y = x.slice();
    for (let k = r.int(1, 4); k > 0; k--) y[r.int(0, y.length - 1)] = r.pick([0, 0x0a, 0x0d, 0x22, 0x3c, 0x3e, 0x80, 0xa0, 0xc3, 0xe9, 0xff, r.int(0, 255)]);
    return y;
  }, 8],
  ['token', (r, x, f) => {
    const t = b(r.chance(700) ? r.pick(TOKENS[f]) : r.pick(COMMON_TOKENS));
    const i = pos(r, x.length);
    return concat(x.subarray(0, i), t, x.subarray(i));
  }, 20],
  ['token-replace', (r, x, f) => {
    // Replace a short span with a token: keeps the length similar while breaking structure.
    const t = b(r.pick([...TOKENS[f], ...COMMON_TOKENS]));
    const i = pos(r, x.length);
    const j = Math.min(x.length, i + r.int(1, 16));
    return concat(x.subarray(0, i), t, x.subarray(j));
  }, 10],
  ['truncate', (r, x) => x.subarray(0, pos(r, x.length)), 6],
  ['chop-head', (r, x) => x.subarray(pos(r, Math.min(x.length, 400))), 3],
  ['duplicate-chunk', (r, x) => {
    if (x.length === 0) return x;
    const i = r.int(0, x.length - 1);
    const j = Math.min(x.length, i + r.int(1, 2048));
    const at = pos(r, x.length);
    const chunk = x.subarray(i, j);
    const copies = r.chance(100) ? r.int(2, 50) : 1;
    const parts = Array.from({ length: copies }, () => chunk);
    return concat(x.subarray(0, at), ...parts, x.subarray(at));
  }, 8],
  ['delete-chunk', (r, x) => {
    const i = pos(r, x.length);
    return concat(x.subarray(0, i), x.subarray(Math.min(x.length, i + r.int(1, 512))));
  }, 6],
  ['swap-chunks', (r, x) => {
    if (x.length < 4) return x;
    const a = r.int(0, x.length - 2);
    const la = r.int(1, Math.min(256, x.length - a - 1));
    const b2 = r.int(a + la, x.length - 1);
    const lb = r.int(1, Math.min(256, x.length - b2));
    return concat(x.subarray(0, a), x.subarray(b2, b2 + lb), x.subarray(a + la, b2), x.subarray(a, a + la), x.subarray(b2 + lb));
  }, 4],
  ['huge-number', (r, x) => {
    // Replace one run of digits with a very long or very odd number.
    const text = Buffer.from(x).toString('latin1');
    const runs = [...text.matchAll(/\d+/g)];
    if (runs.length === 0) return x;
    const m = r.pick(runs);
    const repl = r.pick(['9'.repeat(r.int(16, 400)), `${'9'.repeat(20)}.${'9'.repeat(20)}`, '0'.repeat(r.int(20, 200)) + '1', `1${'0'.repeat(60)}`, '4294967296', '9007199254740993', '']);
    return concat(x.subarray(0, m.index), b(repl), x.subarray(m.index! + m[0].length));
  }, 6],
  ['repeat-token', (r, x, f) => {
    // Long runs of one structural character probe for quadratic behaviour.
    const t = r.pick([...TOKENS[f].slice(0, 12), '<', '"', ',', '\n', '&', '^\n', '  ']);
    const n = r.int(100, Math.max(100, Math.floor(20_000 / Math.max(1, t.length))));
    const i = pos(r, x.length);
    return concat(x.subarray(0, i), b(t.repeat(n)), x.subarray(i));
  }, 3],
  ['nest', (r, x, f) => {
    // Deep nesting of an aggregate tag (OFX/CAMT) or of quotes (CSV/QIF).
    const open = f === 'camt053' ? '<Ntry>' : f === 'csv' || f === 'qif' ? '"' : '<STMTTRN>';
    const n = r.int(100, 5000);
    const i = pos(r, x.length);
    return concat(x.subarray(0, i), b(open.repeat(n)), x.subarray(i));
  }, 2],
  ['encoding', (r, x) => {
    switch (r.int(0, 6)) {
      case 0: return utf16(x, false, true);
      case 1: return utf16(x, true, true);
      case 2: return utf16(x, r.chance(500), false);
      case 3: return concat(new Uint8Array([0xef, 0xbb, 0xbf]), x);
      case 4: {
        // Invalid UTF-8 sequences and lone Latin-1 bytes sprinkled in.
        const bad = r.pick([[0xc3], [0xff], [0xed, 0xa0, 0x80], [0xe9], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0x80, 0x80]]);
        const i = pos(r, x.length);
        return concat(x.subarray(0, i), new Uint8Array(bad), x.subarray(i));
      }
      case 5: return utf16(x, false, true).subarray(0, r.int(2, Math.max(2, x.length)));
      default: return concat(new Uint8Array([0xff, 0xfe]), x); // BOM that lies
    }
  }, 5],
  ['line-endings', (r, x) => {
    const text = Buffer.from(x).toString('latin1');
    const to = r.pick(['\n', '\r\n', '\r', '\r\r\n', '']);
    return u8(Buffer.from(text.replace(/\r\n|\r|\n/g, to), 'latin1'));
  }, 3],
];

const TOTAL_WEIGHT = MUTATORS.reduce((n, m) => n + m[2], 0);

function pickMutator(r: Prng): readonly [string, Mutator, number] {
  let w = r.int(0, TOTAL_WEIGHT - 1);
  for (const m of MUTATORS) {
    if (w < m[2]) return m;
    w -= m[2];
  }
  return MUTATORS[0]!;
}

export interface FuzzInput {
  bytes: Uint8Array;
  seed: string;
  mutations: string[];
  opts: ParseOptions;
}

/** Case `index` of a campaign: deterministic in (format, seed, index). */
export function makeCase(format: ImportFormat, seeds: readonly Seed[], campaignSeed: number | string, index: number): FuzzInput {
  const r = createPrng(`${campaignSeed}:${format}:${index}`);
  const seed = r.pick(seeds);
  let bytes: Uint8Array = seed.bytes;
  const mutations: string[] = [];
  // Most cases stack 1-3 mutations; a few stack many, or leave the seed alone
  // but parse it with an unusual option.
  const n = r.chance(50) ? 0 : r.chance(100) ? r.int(4, 12) : r.int(1, 3);
  for (let k = 0; k < n; k++) {
    const [name, fn] = pickMutator(r);
    bytes = fn(r, bytes, format);
    mutations.push(name);
    if (bytes.length > MAX_CASE_BYTES) bytes = bytes.subarray(0, MAX_CASE_BYTES);
  }
  const opts: ParseOptions = { format: r.chance(800) ? format : 'auto', fileName: seed.name.split('/').pop() ?? 'file' };
  const currency = r.chance(900) ? seed.opts?.currency : r.pick(['USD', 'EUR', 'JPY', 'BHD', 'XXX', 'usd', '']);
  if (currency !== undefined) opts.currency = currency;
  if (seed.opts?.csv && r.chance(600)) opts.csv = seed.opts.csv;
  if (r.chance(20)) opts.maxBytes = r.int(1, Math.max(1, bytes.length));
  return { bytes, seed: seed.name, mutations, opts };
}

export type CaseOutcome =
  | { kind: 'ok'; statements: number; transactions: number; ms: number }
  | { kind: 'rejected'; code: ImportErrorCode; ms: number }
  | { kind: 'finding'; what: 'crash' | 'unknown-code' | 'bad-statement' | 'bad-error'; message: string; ms: number };

/** Runs one case and classifies the result. Never throws. */
export async function runCase(input: FuzzInput): Promise<CaseOutcome> {
  const t0 = performance.now();
  try {
    const statements = await parseStatements(input.bytes, input.opts);
    const ms = performance.now() - t0;
    if (!Array.isArray(statements) || statements.length === 0) return { kind: 'finding', what: 'bad-statement', message: 'parseStatements returned no statement and threw nothing', ms };
    for (const s of statements) {
      const p = statementProblems(s);
      if (p.length) return { kind: 'finding', what: 'bad-statement', message: p.slice(0, 5).join('; '), ms };
    }
    return { kind: 'ok', statements: statements.length, transactions: statements.reduce((n, s) => n + s.transactions.length, 0), ms };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof ImportError) {
      if (!KNOWN_CODES.has(e.code)) return { kind: 'finding', what: 'unknown-code', message: `ImportError with unknown code ${String(e.code)}: ${e.message}`, ms };
      if (typeof e.message !== 'string' || e.message.trim() === '') return { kind: 'finding', what: 'bad-error', message: `ImportError ${e.code} without a message`, ms };
      return { kind: 'rejected', code: e.code, ms };
    }
    const err = e as Error;
    return { kind: 'finding', what: 'crash', message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${(err?.stack ?? '').split('\n').slice(1, 6).join('\n')}`, ms };
  }
}
