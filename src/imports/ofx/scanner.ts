// One single-pass tokenizer for OFX 1.x SGML and OFX 2.x XML bodies. It turns
// the text into open / leaf / close events for a handler, resolving SGML's
// unclosed leaf elements on the way:
//   <TAG>value            -> leaf (an optional </TAG> right after is consumed)
//   <TAG>value</TAG>      -> leaf
//   <TAG/> or <TAG></TAG> -> leaf with an empty value
//   <TAG> then a tag      -> opened as an aggregate; if it really was an empty
//                            SGML leaf it is closed implicitly with its parent.
// Aggregates that OFX requires to be closed explicitly (MUST_CLOSE) may not be
// closed implicitly: "line 42: expected </STMTTRN> before </BANKTRANLIST>".
// A close tag with no matching open element is ignored with a warning (real
// files have them: a mismatched </DTPOSTED>, a doubled </BANKTRANLIST>).
// Scanning stops at </OFX>: anything after it is ignored. Comments,
// processing instructions and DOCTYPEs are skipped; CDATA is taken verbatim;
// character entities in values are decoded exactly once. Only indexOf jumps
// and bounded loops: linear time on any input.
import { ImportError } from '../errors.ts';

export interface OfxHandler {
  open(name: string, line: number): void;
  close(name: string, line: number): void;
  leaf(name: string, value: string, line: number): void;
}

/**
 * Aggregates that may not be closed implicitly by a parent's close tag: their
 * fields would otherwise run into the next record. Real banks do leave out
 * </BANKTRANLIST>, </STMTTRNRS> and the like, which is harmless and tolerated.
 */
export const MUST_CLOSE: ReadonlySet<string> = new Set([
  'STMTRS', 'CCSTMTRS', 'INVSTMTRS', 'BANKACCTFROM', 'CCACCTFROM', 'INVACCTFROM',
  'STMTTRN', 'STMTTRNP', 'INVBANKTRAN', 'LEDGERBAL', 'AVAILBAL',
]);

/** Aggregates that must be closed by the end of the file; one still open means the file is truncated. */
const MUST_END: ReadonlySet<string> = new Set([
  ...MUST_CLOSE, 'SIGNONMSGSRSV1', 'SONRS', 'BANKMSGSRSV1', 'CREDITCARDMSGSRSV1', 'INVSTMTMSGSRSV1',
  'STMTTRNRS', 'CCSTMTTRNRS', 'INVSTMTTRNRS', 'BANKTRANLIST', 'BANKTRANLISTP', 'INVTRANLIST',
]);

const MAX_WARNINGS = 20;
/** Real OFX nests about a dozen deep; SGML empty leaves add a few more. */
const MAX_DEPTH = 1000;

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 58;
}
function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 0xa0 || c === 0xfeff;
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes &amp; &lt; &gt; &quot; &apos; &nbsp; &#NN; &#xHH; once; a lone '&' stays as it is. */
export function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  let out = '';
  let at = 0;
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    // Entities are short: look for the ';' within 10 characters only, so many '&' cannot make this quadratic.
    let semi = -1;
    for (let k = i + 1; k < s.length && k <= i + 10; k += 1) {
      if (s.charCodeAt(k) === 59) {
        semi = k;
        break;
      }
    }
    if (semi < 0) continue;
    const ent = s.slice(i + 1, semi);
    let rep: string | undefined;
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? Number.parseInt(ent.slice(2), 16) : Number.parseInt(ent.slice(1), 10);
      const digitsOk = ent[1] === 'x' || ent[1] === 'X' ? /^[0-9a-fA-F]{1,6}$/.test(ent.slice(2)) : /^\d{1,7}$/.test(ent.slice(1));
      if (digitsOk && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) rep = String.fromCodePoint(code);
    } else {
      rep = NAMED[ent.toLowerCase()];
    }
    if (rep === undefined) continue;
    out += s.slice(at, i) + rep;
    at = semi + 1;
    i = semi;
  }
  return out + s.slice(at);
}

export interface ScanResult {
  warnings: string[];
  /** Whether </OFX> was reached. */
  closed: boolean;
  /** Leaves with a value that had their own close tag (XML style) and that did not (SGML style). */
  closedLeaves: number;
  openLeaves: number;
}

export class OfxScanner {
  private readonly s: string;
  private line = 1;
  private linePos = 0;
  private nextNl: number;
  private readonly nl: string;
  private readonly stack: string[] = [];
  /** How many times each name is on the stack, so a stray close tag costs O(1) instead of a stack search. */
  private readonly onStack = new Map<string, number>();
  private readonly warnings: string[] = [];
  private droppedWarnings = 0;

  constructor(text: string) {
    this.s = text;
    this.nl = text.indexOf('\n') >= 0 ? '\n' : '\r';
    const first = text.indexOf(this.nl);
    this.nextNl = first < 0 ? Number.POSITIVE_INFINITY : first;
  }

  /** 1-based line of a character offset; offsets must be non-decreasing between calls. */
  lineOf(pos: number): number {
    // nextNl caches the next line break at or after linePos, so a long line costs one search, not one per tag.
    while (this.nextNl < pos) {
      this.line += 1;
      this.linePos = this.nextNl + 1;
      const i = this.s.indexOf(this.nl, this.linePos);
      this.nextNl = i < 0 ? Number.POSITIVE_INFINITY : i;
    }
    return this.line;
  }

  private warn(msg: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(msg);
    else this.droppedWarnings += 1;
  }

  private malformed(line: number, message: string, expected: string): ImportError {
    return new ImportError('MALFORMED_FILE', `line ${line}: ${message}`, { line, expected });
  }

  /** End offset of the last name read by readName / the next tag after the last readValue (avoids tuple garbage on hot paths). */
  private end = 0;

  /** Reads a tag name at `at` (upper-cased); its end is left in this.end. */
  private readName(at: number): string {
    const s = this.s;
    let k = at;
    let lower = false;
    for (; k < s.length; k += 1) {
      const c = s.charCodeAt(k);
      if (!isNameChar(c)) break;
      if (c >= 97 && c <= 122) lower = true;
    }
    const name = s.slice(at, k);
    this.end = k;
    return lower ? name.toUpperCase() : name;
  }

  /** Skips a construct starting at `lt` that begins with '<!' or '<?'; returns the index after it. */
  private skipSpecial(lt: number): number {
    const s = this.s;
    let endMark: string;
    if (s.startsWith('<!--', lt)) endMark = '-->';
    else if (s.startsWith('<![CDATA[', lt)) endMark = ']]>';
    else if (s.charCodeAt(lt + 1) === 63) endMark = '?>';
    else endMark = '>';
    const end = s.indexOf(endMark, lt + 2);
    if (end < 0) {
      const line = this.lineOf(lt);
      throw this.malformed(line, `unterminated "${s.slice(lt, lt + 4)}" construct`, endMark);
    }
    return end + endMark.length;
  }

  /**
   * Text after an open tag up to the next tag, with CDATA sections inlined
   * verbatim and comments dropped. Returns the decoded, trimmed value; the
   * position of the next tag is left in this.end.
   */
  private readValue(from: number): string {
    const s = this.s;
    let lt = s.indexOf('<', from);
    if (lt < 0) lt = s.length;
    // Fast path: plain text, no CDATA or comment following.
    if (s.charCodeAt(lt + 1) !== 33 || !(s.startsWith('<![CDATA[', lt) || s.startsWith('<!--', lt))) {
      this.end = lt;
      return decodeEntities(trim(s, from, lt));
    }
    let value = '';
    let at = from;
    for (;;) {
      value += decodeEntities(s.slice(at, lt));
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end < 0) throw this.malformed(this.lineOf(lt), 'unterminated CDATA section', ']]>');
        value += s.slice(lt + 9, end);
        at = end + 3;
      } else if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt + 4);
        if (end < 0) throw this.malformed(this.lineOf(lt), 'unterminated comment', '-->');
        at = end + 3;
      } else {
        break;
      }
      lt = s.indexOf('<', at);
      if (lt < 0) lt = s.length;
    }
    this.end = lt;
    return value.trim();
  }

  /** Runs the scan from `start` (the '<' of <OFX>), calling the handler for every element. */
  scan(start: number, h: OfxHandler): ScanResult {
    const s = this.s;
    const stack = this.stack;
    let pos = start;
    let closed = false;
    let openLeaves = 0;
    let closedLeaves = 0;
    while (pos < s.length) {
      const lt = s.indexOf('<', pos);
      if (lt < 0) break;
      const c1 = s.charCodeAt(lt + 1);
      if (c1 === 33 /* ! */ || c1 === 63 /* ? */) {
        pos = this.skipSpecial(lt);
        continue;
      }
      const gt = s.indexOf('>', lt + 1);
      if (gt < 0) throw this.malformed(this.lineOf(lt), `unterminated tag "${s.slice(lt, lt + 20).trim()}"`, '">" closing the tag');
      if (c1 === 47 /* / */) {
        const name = this.readName(lt + 2);
        const end = this.end;
        const line = this.lineOf(lt);
        if (name === '') throw this.malformed(line, `expected a tag name after "</"`, 'a closing tag such as </STMTTRN>');
        if (!onlyWs(s, end, gt)) throw this.malformed(line, `unexpected text in closing tag </${name}>`, `</${name}>`);
        pos = gt + 1;
        if (this.closeTag(name, line, h)) {
          closed = true;
          break;
        }
        continue;
      }
      if (!isNameStart(c1)) {
        throw this.malformed(this.lineOf(lt), `expected a tag name after "<", found "${s.slice(lt, lt + 10).replace(/\s+/g, ' ')}"`, 'a tag such as <STMTTRN>');
      }
      const name = this.readName(lt + 1);
      const nameEnd = this.end;
      const line = this.lineOf(lt);
      const selfClosing = s.charCodeAt(gt - 1) === 47 && gt - 1 >= nameEnd;
      if (selfClosing) {
        h.leaf(name, '', line);
        pos = gt + 1;
        continue;
      }
      const value = this.readValue(gt + 1);
      const next = this.end;
      if (value !== '') {
        h.leaf(name, value, line);
        pos = this.skipOwnClose(name, next);
        if (pos === next) openLeaves += 1;
        else closedLeaves += 1;
        continue;
      }
      const after = this.skipOwnClose(name, next);
      if (after !== next) {
        h.leaf(name, '', line);
        pos = after;
        continue;
      }
      if (stack.length >= MAX_DEPTH) throw this.malformed(line, `elements nested more than ${MAX_DEPTH} deep`, `</${stack[stack.length - 1]}>`);
      this.push(name);
      h.open(name, line);
      pos = next;
    }
    if (!closed) {
      const open = stack.filter((n) => MUST_END.has(n));
      if (open.length > 0) {
        const line = this.lineOf(s.length);
        const innermost = open[open.length - 1] as string;
        throw this.malformed(line, `expected </${innermost}> before the end of the file (the file looks truncated)`, `</${innermost}>`);
      }
      if (stack.length > 0) this.warn('the file ends without </OFX>');
      while (stack.length > 0) h.close(this.pop(), this.line);
    }
    if (this.droppedWarnings > 0) this.warnings.push(`${this.droppedWarnings} more tag warnings not shown`);
    return { warnings: this.warnings, closed, closedLeaves, openLeaves };
  }

  private push(name: string): void {
    this.stack.push(name);
    this.onStack.set(name, (this.onStack.get(name) ?? 0) + 1);
  }

  private pop(): string {
    const name = this.stack.pop() as string;
    this.onStack.set(name, (this.onStack.get(name) ?? 1) - 1);
    return name;
  }

  /** If `</name>` starts at `at`, returns the index after it, else `at`. */
  private skipOwnClose(name: string, at: number): number {
    const s = this.s;
    if (s.charCodeAt(at) !== 60 || s.charCodeAt(at + 1) !== 47) return at;
    // Compare in place (case-insensitively) rather than slicing a new name.
    let end = at + 2;
    for (let k = 0; k < name.length; k += 1, end += 1) {
      let c = s.charCodeAt(end);
      if (c >= 97 && c <= 122) c -= 32;
      if (c !== name.charCodeAt(k)) return at;
    }
    if (end < s.length && isNameChar(s.charCodeAt(end))) return at;
    // Only a few spaces may sit before the '>': bounded so a missing '>' cannot make this scan far.
    let gt = end;
    while (gt < s.length && gt - end < 16 && isWs(s.charCodeAt(gt))) gt += 1;
    if (s.charCodeAt(gt) !== 62) return at;
    return gt + 1;
  }

  /** Returns true when </OFX> closed the document. */
  private closeTag(name: string, line: number, h: OfxHandler): boolean {
    const stack = this.stack;
    const idx = (this.onStack.get(name) ?? 0) > 0 ? stack.lastIndexOf(name) : -1;
    if (idx < 0) {
      this.warn(`line ${line}: </${name}> has no matching <${name}>; ignored`);
      return false;
    }
    for (let k = stack.length - 1; k > idx; k -= 1) {
      const inner = stack[k] as string;
      if (MUST_CLOSE.has(inner)) throw this.malformed(line, `expected </${inner}> before </${name}>`, `</${inner}>`);
    }
    while (stack.length > idx + 1) h.close(this.pop(), line);
    this.pop();
    h.close(name, line);
    return name === 'OFX' && stack.length === 0;
  }
}

function onlyWs(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) if (!isWs(s.charCodeAt(i))) return false;
  return true;
}

function trim(s: string, from: number, to: number): string {
  while (from < to && isWs(s.charCodeAt(from))) from += 1;
  while (to > from && isWs(s.charCodeAt(to - 1))) to -= 1;
  return s.slice(from, to);
}
