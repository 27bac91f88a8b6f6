// Recognises a statement format from decoded text (and the file name as a
// tie-breaker). Looks only at a bounded prefix, so it costs the same for 1 KB
// and 50 MB files.
import { looksLikeCamt053 } from './camt/camt053.ts';
import { looksLikeCsv } from './csv/csv.ts';
import { ImportError } from './errors.ts';
import type { ImportFormat } from './statement.ts';

export const SUPPORTED_FORMATS_TEXT = 'OFX 1.x (SGML), OFX 2.x (XML), QFX, QIF, CAMT.053 (XML) and CSV';

const HEAD = 64 * 1024;

function unsupported(why: string): ImportError {
  return new ImportError('UNSUPPORTED_FORMAT', `${why}; supported formats are ${SUPPORTED_FORMATS_TEXT}`, {
    expected: SUPPORTED_FORMATS_TEXT,
    details: { supported: ['ofx1', 'ofx2', 'qfx', 'qif', 'camt053', 'csv'] },
  });
}

/** OFX family member from the head of the text, or undefined when it is not OFX. */
export function detectOfxFlavour(head: string, fileName?: string): 'ofx1' | 'ofx2' | 'qfx' | undefined {
  const upper = head.toUpperCase();
  const ofxTag = upper.search(/<OFX[\s>]/);
  const sgmlHeader = /(^|[\r\n])[ \t]*OFXHEADER[ \t]*:[ \t]*\d/.test(upper);
  const pi = upper.indexOf('<?OFX');
  if (ofxTag < 0 && !sgmlHeader && pi < 0) return undefined;
  if (/<INTU\./.test(upper) || /\.qfx$/i.test(fileName ?? '')) return 'qfx';
  if (pi >= 0 && (ofxTag < 0 || pi < ofxTag)) return 'ofx2';
  if (sgmlHeader) return 'ofx1';
  const xmlDecl = upper.indexOf('<?XML');
  return xmlDecl >= 0 && xmlDecl < ofxTag ? 'ofx2' : 'ofx1';
}

function looksLikeQif(head: string): boolean {
  // First non-blank, non-comment line is a QIF header.
  for (const raw of head.slice(0, 8192).split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return /^!(type|account|option|clear)\b/i.test(line);
  }
  return false;
}

function looksTabular(head: string): boolean {
  const lines = head
    .slice(0, 16384)
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 30);
  if (lines.length === 0) return false;
  // Control characters other than tab mean binary, not CSV.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(lines.join(''))) return false;
  for (const d of [',', ';', '\t', '|']) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const withDelim = counts.filter((c) => c > 0).length;
    if (withDelim >= Math.max(1, Math.ceil(lines.length / 2))) return true;
  }
  return false;
}

/**
 * Format of the decoded text: OFX 1 SGML header `OFXHEADER:100`; OFX 2 `<?OFX`
 * or `<?xml` before `<OFX>`; QFX when an `<INTU.*>` tag appears or the name ends
 * in .qfx; QIF `!Type:` / `!Account` / `!Option`; CAMT.053 by its namespace
 * (or a BkToCstmrStmt element); CSV when most of the first lines share a
 * delimiter. Anything else is UNSUPPORTED_FORMAT.
 */
export function detectFormat(text: string, fileName?: string): ImportFormat {
  const head = text.length > HEAD ? text.slice(0, HEAD) : text;
  const trimmed = head.replace(/^[\s\uFEFF]+/, '');
  if (trimmed === '') throw new ImportError('MALFORMED_FILE', 'the file is empty', { expected: 'a statement file' });
  const ofx = detectOfxFlavour(head, fileName);
  if (ofx) return ofx;
  if (looksLikeQif(head)) return 'qif';
  // camt.052/.054 are handed to the CAMT parser too: it names them in its refusal.
  if (head.includes('urn:iso:std:iso:20022:tech:xsd:camt.053') || looksLikeCamt053(head)) return 'camt053';
  if (trimmed.startsWith('<')) {
    const camtOther = /urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3}|pain\.\d{3})/.exec(head);
    if (camtOther) throw unsupported(`this is an ISO 20022 ${camtOther[1]} file, not a CAMT.053 account statement`);
    throw unsupported('this XML/HTML file is neither OFX nor CAMT.053');
  }
  if (trimmed.startsWith('%PDF')) throw unsupported('this is a PDF; export a data file (OFX, QIF, CSV or CAMT) from your bank instead');
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && !looksTabular(head)) throw unsupported('this looks like JSON');
  if (looksLikeCsv(text)) return 'csv';
  // A one-row export or an odd layout: still tabular, and named as a CSV file; the CSV parser explains what it lacks.
  if (/\.(csv|tsv|txt)$/i.test(fileName ?? '') && looksTabular(head)) return 'csv';
  throw unsupported('the file format was not recognised');
}
