// The part of an OFX file before <OFX>: either OFX 1 SGML header lines
// (KEY:VALUE, in any order, with blank lines or odd spacing around them, or
// even wrapped in an XML comment) or OFX 2 processing instructions
// (<?xml ...?> <?OFX OFXHEADER="200" VERSION="211" ...?>). Only the version
// matters for parsing: 1xx and 2xx are supported, anything else is refused.
import { ImportError } from '../errors.ts';

export interface OfxHeader {
  /** True for an OFX 2 (XML) header. */
  xml: boolean;
  /** True when there is no header at all (the file starts with <OFX>). */
  empty: boolean;
  version?: string;
  warnings: string[];
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

export function checkOfxHeader(head: string): OfxHeader {
  const warnings: string[] = [];
  const pi = /<\?OFX\b([^?>]{0,2000})\?>/i.exec(head);
  const xml = pi !== null || /<\?xml\b/i.test(head);
  let version: string | undefined;
  let at = -1;
  if (pi) {
    const v = /\bVERSION\s*=\s*["']?\s*(\w{1,10})/i.exec(pi[1] ?? '');
    if (v) {
      version = v[1];
      at = pi.index;
    }
  } else {
    const v = /(?:^|[\r\n])[ \t]*VERSION[ \t]*:[ \t]*(\w{0,10})/i.exec(head);
    if (v) {
      version = v[1];
      at = v.index;
    }
    if (head.trim() !== '' && !/OFXHEADER[ \t]*:/i.test(head) && !xml) warnings.push('the OFX header is missing or incomplete');
  }
  if (version !== undefined && version !== '' && !/^[12]\d\d$/.test(version)) {
    const line = lineOf(head, Math.max(0, at)) + (/^[\r\n]/.test(head.slice(at)) ? 1 : 0);
    throw new ImportError('UNSUPPORTED_FORMAT', `line ${line}: OFX version ${version} is not supported; supported are OFX 1.x (100-199) and 2.x (200-299)`, {
      line,
      expected: 'VERSION 102, 103, 151, 160, 200, 202, 203, 211 or 220',
    });
  }
  const out: OfxHeader = { xml, empty: withoutComments(head).trim() === '', warnings };
  if (version) out.version = version;
  return out;
}

function withoutComments(s: string): string {
  let out = '';
  let at = 0;
  for (let i = s.indexOf('<!--'); i >= 0; i = s.indexOf('<!--', at)) {
    out += s.slice(at, i);
    const end = s.indexOf('-->', i + 4);
    if (end < 0) return out;
    at = end + 3;
  }
  return out + s.slice(at);
}
