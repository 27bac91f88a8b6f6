// Bytes -> text for statement files. The order of evidence, strongest first:
//   1. a byte-order mark (UTF-8, UTF-16 LE/BE);
//   2. UTF-16 without a BOM, recognised by NUL bytes in every other position
//      (ASCII-range text encoded as UTF-16 always has them);
//   3. the charset the file declares (OFX 1 CHARSET/ENCODING header, XML
//      encoding="..."), unless the bytes disagree: a single-byte declaration
//      (1252, 8859-1, US-ASCII, ...) over bytes that are valid multi-byte UTF-8
//      is decoded as UTF-8 with a note (banks do this a lot), a UTF-8
//      declaration over invalid UTF-8 falls back to windows-1252 with a note,
//      and ISO-8859-1 containing 0x80-0x9F bytes is windows-1252 (as browsers do);
//   4. nothing declared: UTF-8 when valid, else windows-1250 or windows-1252,
//      whichever decoding one language explains better (see plausibility;
//      Polish/Czech bytes read as 1252 give ¹ ³ and letters of unrelated
//      languages side by side); ties go to 1252.
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { ImportError } from './errors.ts';

export interface Decoded {
  text: string;
  /** Canonical charset name actually used: utf-8, utf-16le, windows-1252, ... */
  used: string;
  /** The label the caller / file declared, as given. */
  declared?: string;
  /** Why `used` differs from what was declared, when it does. */
  note?: string;
}

export const SUPPORTED_CHARSETS = [
  'utf-8',
  'utf-16le',
  'utf-16be',
  'windows-1250',
  'windows-1252',
  'iso-8859-1',
  'iso-8859-2',
  'iso-8859-15',
  'us-ascii',
] as const;
export type Charset = (typeof SUPPORTED_CHARSETS)[number];

/** Maps the many spellings banks use ("1252", "CP1252", "ISO8859-1", "USASCII", "latin1") to a canonical name. */
export function normalizeCharset(label: string | undefined): Charset | undefined {
  if (!label) return undefined;
  const l = label.trim().toLowerCase().replace(/[\s_]/g, '-');
  const compact = l.replace(/-/g, '');
  switch (compact) {
    case 'utf8':
    case 'unicode11utf8':
      return 'utf-8';
    case 'utf16le':
    case 'utf16':
    case 'unicode':
      return 'utf-16le';
    case 'utf16be':
      return 'utf-16be';
    case '1250':
    case 'cp1250':
    case 'windows1250':
    case 'win1250':
    case 'xcp1250':
      return 'windows-1250';
    case '1252':
    case 'cp1252':
    case 'windows1252':
    case 'win1252':
    case 'xcp1252':
    case 'ansi':
      return 'windows-1252';
    case 'iso88591':
    case '88591':
    case 'latin1':
    case 'l1':
    case 'iso885911987':
      return 'iso-8859-1';
    case 'iso88592':
    case '88592':
    case 'latin2':
    case 'l2':
      return 'iso-8859-2';
    case 'iso885915':
    case '885915':
    case 'latin9':
    case 'latin0':
      return 'iso-8859-15';
    case 'usascii':
    case 'ascii':
    case 'ansix3.41968':
    case 'iso646us':
      return 'us-ascii';
    default:
      return undefined;
  }
}

function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

function hasHighBytes(bytes: Uint8Array): boolean {
  return !isAscii(bytes);
}

function hasC1Bytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] as number;
    if (b >= 0x80 && b <= 0x9f) return true;
  }
  return false;
}

/** 'le' / 'be' when the first 4 KiB look like UTF-16 without a BOM. */
function sniffUtf16(bytes: Uint8Array): 'le' | 'be' | undefined {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenNul += 1;
    if (bytes[i + 1] === 0) oddNul += 1;
  }
  const pairs = n / 2;
  // Mostly-ASCII text: one half of every pair is NUL, the other almost never.
  if (oddNul >= pairs * 0.4 && evenNul <= pairs * 0.05) return 'le';
  if (evenNul >= pairs * 0.4 && oddNul <= pairs * 0.05) return 'be';
  return undefined;
}

function decodeWith(bytes: Uint8Array, charset: Charset): string {
  if (charset === 'utf-8') return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  if (charset === 'us-ascii') return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'windows-1252');
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), charset, { stripBOM: true });
}

const LETTER = /\p{L}/u;

// Accented letters of the languages each single-byte charset is used for. A
// decoding is plausible when one language explains its non-ASCII letters;
// decoding with the wrong one of 1250/1252 maps the same bytes to letters no
// single language uses together (Czech "příjemce" read as 1252 is "pøíjemce":
// Danish ø next to Spanish í), or to symbols such as ¹ ³ ¾ between letters.
const LANGUAGES_1252 = ['éèêàâçôûîïëùœÿæ', 'äöüß', 'áéíóúñü', 'áâãàçéêíóôõú', 'àèéìòóù', 'éëïöüèá', 'æøåéó', 'äöåé', 'áéíóúýþðæö'];
const LANGUAGES_1250 = ['áčďéěíňóřšťúůýž', 'ąćęłńóśźż', 'áäčďéíĺľňóôŕšťúýž', 'áéíóöőúüű', 'čćđšž', 'ăâîşţ', 'äöüß', 'čšžćđ'];
const WRONG_DECODING = new Set('¹³¼½¾¤¦¨¸ˇ˘˛˝˙¯´'.split(''));

function plausibility(text: string, languages: readonly string[]): number {
  const counts = new Map<string, number>();
  let penalty = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) < 0x80) continue;
    const ch = (text[i] as string).toLowerCase();
    if (WRONG_DECODING.has(ch)) penalty += 1;
    else if (LETTER.test(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = Number.NEGATIVE_INFINITY;
  for (const lang of languages) {
    let score = -penalty;
    for (const [ch, n] of counts) score += lang.includes(ch) ? n : -n;
    if (score > best) best = score;
  }
  return best;
}

const GUESS_SAMPLE = 1024 * 1024;

function guessSingleByte(bytes: Uint8Array): { charset: Charset; text: string } {
  const sample = bytes.length > GUESS_SAMPLE ? bytes.subarray(0, GUESS_SAMPLE) : bytes;
  const p1252 = plausibility(decodeWith(sample, 'windows-1252'), LANGUAGES_1252);
  const p1250 = plausibility(decodeWith(sample, 'windows-1250'), LANGUAGES_1250);
  const charset: Charset = p1250 > p1252 ? 'windows-1250' : 'windows-1252';
  return { charset, text: decodeWith(bytes, charset) };
}

function rejectBinary(text: string): void {
  const probe = text.length > 65536 ? text.slice(0, 65536) : text;
  let nul = 0;
  let first = -1;
  for (let i = 0; i < probe.length; i += 1) {
    if (probe.charCodeAt(i) === 0) {
      nul += 1;
      if (first < 0) first = i;
    }
  }
  if (nul > 8 && nul > probe.length / 100) {
    throw new ImportError('ENCODING', `the file contains binary data (NUL characters, first at character ${first}); it is not a text statement`, {
      offset: first,
      expected: 'a text file in UTF-8, UTF-16, windows-1250/1252 or ISO-8859-1/2/15',
    });
  }
}

function result(text: string, used: Charset, declared: string | undefined, note?: string): Decoded {
  const out: Decoded = { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, used };
  if (declared !== undefined) out.declared = declared;
  if (note !== undefined) out.note = note;
  rejectBinary(out.text);
  return out;
}

/**
 * Decodes a statement file. `declared` is the charset label the file states
 * (see sniffDeclaredCharset) or the user chose; it is honoured unless the bytes
 * clearly disagree (see the file header). Throws ImportError('ENCODING') for
 * binary data.
 */
export function decodeBytes(bytes: Uint8Array, declared?: string): Decoded {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    const note = declared && normalizeCharset(declared) !== 'utf-8' && normalizeCharset(declared) !== 'us-ascii' ? `declared ${declared} but the file starts with a UTF-8 byte-order mark` : undefined;
    return result(decodeWith(bytes.subarray(3), 'utf-8'), 'utf-8', declared, note);
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return result(decodeWith(bytes.subarray(2), 'utf-16le'), 'utf-16le', declared);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return result(decodeWith(bytes.subarray(2), 'utf-16be'), 'utf-16be', declared);
  const utf16 = sniffUtf16(bytes);
  if (utf16) {
    const cs: Charset = utf16 === 'le' ? 'utf-16le' : 'utf-16be';
    return result(decodeWith(bytes, cs), cs, declared, 'UTF-16 without a byte-order mark, recognised from its NUL bytes');
  }

  const wanted = normalizeCharset(declared);
  const high = hasHighBytes(bytes);
  if (!high) return result(decodeWith(bytes, 'utf-8'), wanted && wanted !== 'utf-16le' && wanted !== 'utf-16be' ? wanted : 'utf-8', declared);
  const validUtf8 = isValidUtf8(bytes);

  if (wanted === 'utf-8') {
    if (validUtf8) return result(decodeWith(bytes, 'utf-8'), 'utf-8', declared);
    const g = guessSingleByte(bytes);
    return result(g.text, g.charset, declared, `declared ${declared} but the bytes are not valid UTF-8; decoded as ${g.charset}`);
  }
  if (wanted !== undefined && wanted !== 'utf-16le' && wanted !== 'utf-16be') {
    if (validUtf8) return result(decodeWith(bytes, 'utf-8'), 'utf-8', declared, `declared ${declared} but the bytes are valid UTF-8; decoded as UTF-8`);
    if (wanted === 'us-ascii') {
      const g = guessSingleByte(bytes);
      return result(g.text, g.charset, declared, `declared ${declared} but the file has non-ASCII bytes; decoded as ${g.charset}`);
    }
    if (wanted === 'iso-8859-1' && hasC1Bytes(bytes)) {
      return result(decodeWith(bytes, 'windows-1252'), 'windows-1252', declared, `declared ${declared} but bytes 0x80-0x9F only make sense as windows-1252`);
    }
    return result(decodeWith(bytes, wanted), wanted, declared);
  }
  const unknownNote = declared && !wanted ? `declared charset "${declared}" is not supported; ` : '';
  if (validUtf8) return result(decodeWith(bytes, 'utf-8'), 'utf-8', declared, unknownNote ? `${unknownNote}decoded as UTF-8` : undefined);
  const g = guessSingleByte(bytes);
  return result(g.text, g.charset, declared, `${unknownNote}not valid UTF-8 and no charset declared; decoded as ${g.charset}`);
}

/**
 * Reads the charset a statement declares in its first bytes: the OFX 1 SGML
 * header (ENCODING:UTF-8 wins; else CHARSET:1252 / ISO-8859-1; ENCODING:USASCII
 * with CHARSET:NONE is US-ASCII) or an XML prolog's encoding="...". Returns the
 * label as written (e.g. "1252", "UTF-8", "USASCII"), or undefined. Only
 * ASCII-compatible encodings can be sniffed this way; UTF-16 is found by BOM or
 * NUL pattern instead.
 */
export function sniffDeclaredCharset(bytes: Uint8Array): string | undefined {
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.min(bytes.byteLength - start, 2048)).toString('latin1');
  const xml = /<\?xml\b[^>]{0,300}?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/i.exec(head);
  if (xml) return xml[1];
  const enc = /(?:^|[\r\n])[ \t]*ENCODING[ \t]*:[ \t]*([A-Za-z0-9._-]{1,40})/i.exec(head);
  const cs = /(?:^|[\r\n])[ \t]*CHARSET[ \t]*:[ \t]*([A-Za-z0-9._-]{1,40})/i.exec(head);
  const encoding = enc?.[1];
  const charset = cs?.[1];
  if (encoding && normalizeCharset(encoding) === 'utf-8') return encoding;
  if (charset && charset.toUpperCase() !== 'NONE') return charset;
  if (encoding) return encoding;
  return undefined;
}
