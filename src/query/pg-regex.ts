// PostgreSQL's case-insensitive regular expressions (`~*`, used by notes:~)
// as JavaScript RegExps, for the in-memory evaluator. PostgreSQL's dialect
// (Spencer's AREs) and JavaScript's share a core but differ at the edges, so
// this reads the pattern itself, accepts only the part whose meaning is the
// same in both, and writes an equivalent JavaScript pattern:
//
// - literal characters; `\` before ASCII punctuation (a literal), \n \t \r \f \v, \d and \D;
// - `.` (any character, newline included), `^` and `$` (start and end of the text);
// - groups `( )`, `(?: )`, lookaheads `(?= )` `(?! )`, alternation `|`;
// - quantifiers * + ? {m} {m,} {m,n} (m, n <= 255), each optionally lazy (`?`);
// - bracket expressions with ranges and `^` negation, `]` first or `\]` as a literal.
//
// Everything else is refused with the reason: \w \s \b \m \y and POSIX classes
// ([[:alpha:]]) depend on the database's locale; \b means backspace in
// PostgreSQL but a word boundary in JavaScript; back references, lookbehinds
// and embedded options ((?i), ***:) are left out.
//
// Case-insensitivity is not JavaScript's `i` flag (which folds ſ to s, K to
// k). PostgreSQL compiles each literal character c to the set {lower(c),
// upper(c)} — c itself is not added, so the titlecase ǅ does not match ǅ — and
// widens a bracket range with the case images of its members; the text is not
// folded. The translation builds exactly those sets. The German ß is refused:
// the two engines' C libraries disagree on its capital (ẞ).
import type { Span } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';
import { caseOf } from './pg-text.ts';

const MAX_BOUND = 255;
const REFUSED_CHARS = new Set([0xdf, 0x1e9e]);

/** A bracket member: one character (matched as {lower, upper}) or a range (widened by case images). */
type Item = { lo: number; hi: number; range: boolean };

class Translator {
  private i = 0;
  private readonly cps: number[];
  constructor(private readonly src: string, private readonly span: Span) {
    this.cps = Array.from(src, (c) => c.codePointAt(0)!);
  }

  private fail(why: string): never {
    throw new QuerySyntaxError(`the regular expression at column ${this.span.offset + 1} ${why}`, {
      offset: this.span.offset,
      token: this.src.slice(0, 40),
      expected: ['a regular expression the rules engine reads like PostgreSQL (docs/query-language.md)'],
    });
  }

  private peek(k = 0): number | undefined {
    return this.cps[this.i + k];
  }

  private ch(k = 0): string {
    const cp = this.peek(k);
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  run(): string {
    const out = this.alternation(0);
    if (this.i < this.cps.length) this.fail(`has a ')' that closes no group`);
    return out;
  }

  private alternation(depth: number): string {
    if (depth > 50) this.fail('nests groups too deeply');
    const branches = [this.branch(depth)];
    while (this.ch() === '|') {
      this.i++;
      branches.push(this.branch(depth));
    }
    return branches.join('|');
  }

  private branch(depth: number): string {
    let out = '';
    for (;;) {
      const c = this.ch();
      if (c === '' || c === '|' || c === ')') return out;
      const atom = this.atom(depth);
      out += atom.text + this.quantifier(atom.quantifiable);
    }
  }

  private quantifier(quantifiable: boolean): string {
    const c = this.ch();
    let q: string;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      q = c;
    } else if (c === '{' && /[0-9]/.test(this.ch(1))) {
      q = this.bound();
    } else return '';
    if (!quantifiable) this.fail(`has a quantifier '${q}' with nothing it can repeat`);
    if (this.ch() === '?') {
      this.i++;
      q += '?';
    }
    const next = this.ch();
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /[0-9]/.test(this.ch(1)))) this.fail(`has two quantifiers in a row ('${q}${next}')`);
    return q;
  }

  private bound(): string {
    let j = this.i + 1;
    const digits = () => {
      let d = '';
      while (/[0-9]/.test(this.ch(j - this.i)) && d.length < 4) d += this.ch(j++ - this.i);
      return d;
    };
    const a = digits();
    let b: string | undefined;
    let comma = false;
    if (this.ch(j - this.i) === ',') {
      comma = true;
      j++;
      b = digits();
    }
    if (this.ch(j - this.i) !== '}') this.fail(`has a '{' that starts no valid repetition {m}, {m,} or {m,n}`);
    j++;
    const text = `{${a}${comma ? `,${b}` : ''}}`;
    const lo = Number(a);
    const hi = comma ? (b === '' ? undefined : Number(b)) : lo;
    if (lo > MAX_BOUND || (hi !== undefined && (hi > MAX_BOUND || hi < lo))) this.fail(`has an invalid repetition count ${text}`);
    this.i = j;
    return text;
  }

  private atom(depth: number): { text: string; quantifiable: boolean } {
    const c = this.ch();
    switch (c) {
      case '(': {
        this.i++;
        let open = '(';
        let quantifiable = true;
        if (this.ch() === '?') {
          const kind = this.ch(1);
          if (kind === ':') open = '(?:';
          else if (kind === '=' || kind === '!') {
            open = `(?${kind}`;
            quantifiable = false;
          } else if (kind === '<') this.fail('uses a lookbehind (?<…), which the rules engine does not evaluate');
          else this.fail(`uses '(?${kind}', an embedded option the rules engine does not evaluate`);
          this.i += 2;
        }
        const inner = this.alternation(depth + 1);
        if (this.ch() !== ')') this.fail('has a group that is never closed');
        this.i++;
        return { text: `${open}${inner})`, quantifiable };
      }
      case '[':
        return { text: this.bracket(), quantifiable: true };
      case '.':
        this.i++;
        return { text: '.', quantifiable: true };
      case '^':
      case '$':
        this.i++;
        return { text: c, quantifiable: false };
      case '*':
      case '+':
      case '?':
        return this.fail(`has a quantifier '${c}' with nothing it can repeat`);
      case '{':
        if (/[0-9]/.test(this.ch(1))) this.fail(`has a repetition ${this.ch(1)} with nothing it can repeat`);
        this.i++;
        return { text: this.literal(0x7b), quantifiable: true };
      case '\\': {
        const e = this.escape(false);
        return { text: typeof e === 'string' ? e : this.literal(e), quantifiable: true };
      }
      default: {
        const cp = this.peek()!;
        this.i++;
        return { text: this.literal(cp), quantifiable: true };
      }
    }
  }

  /** After a backslash: a literal code point, or a class text for \d \D (outside brackets only for \D). */
  private escape(inBracket: boolean): number | string {
    this.i++;
    const cp = this.peek();
    if (cp === undefined) this.fail('ends with a lone backslash');
    const c = String.fromCodePoint(cp);
    this.i++;
    switch (c) {
      case 'n':
        return 0x0a;
      case 't':
        return 0x09;
      case 'r':
        return 0x0d;
      case 'f':
        return 0x0c;
      case 'v':
        return 0x0b;
      case 'd':
        return '[0-9]';
      case 'D':
        if (inBracket) this.fail('uses \\D inside brackets, which PostgreSQL does not allow');
        return '[^0-9]';
      case 'w':
      case 'W':
      case 's':
      case 'S':
        return this.fail(`uses \\${c}, whose meaning depends on the database's locale; write the characters out, e.g. [a-z0-9_] or a space`);
      case 'b':
      case 'B':
      case 'm':
      case 'M':
      case 'y':
      case 'Y':
      case 'A':
      case 'Z':
        return this.fail(`uses \\${c}, which PostgreSQL and JavaScript read differently (in PostgreSQL \\b is a backspace)`);
      default:
        if (cp < 0x80 && !/[A-Za-z0-9]/.test(c)) return cp;
        return this.fail(`uses the escape \\${c}, which the rules engine does not evaluate (escape only punctuation, or use \\d \\n \\t)`);
    }
  }

  private bracket(): string {
    this.i++;
    let negate = false;
    if (this.ch() === '^') {
      negate = true;
      this.i++;
    }
    const items: Item[] = [];
    let first = true;
    for (;;) {
      const c = this.ch();
      if (c === '') this.fail("has a '[' that is never closed");
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      if (c === '-' && !first && this.ch(1) !== ']') this.fail("has a '-' inside brackets that is neither first, last nor a range; put a literal '-' first or last");
      first = false;
      if (c === '[' && /[.:=]/.test(this.ch(1))) this.fail(`uses '[${this.ch(1)}', a POSIX class or collating element, whose meaning depends on the database's locale`);
      let lo: number;
      if (c === '\\') {
        const e = this.escape(true);
        if (typeof e === 'string') {
          items.push({ lo: 0x30, hi: 0x39, range: true });
          continue;
        }
        lo = e;
      } else {
        lo = this.peek()!;
        this.i++;
      }
      if (this.ch() === '-' && this.ch(1) !== ']' && this.ch(1) !== '') {
        this.i++;
        let hi: number;
        if (this.ch() === '[' && /[.:=]/.test(this.ch(1))) this.fail('uses a POSIX element as a range end');
        if (this.ch() === '\\') {
          const e = this.escape(true);
          if (typeof e === 'string') this.fail('uses \\d as the end of a range');
          hi = e;
        } else {
          hi = this.peek()!;
          this.i++;
        }
        if (hi < lo) this.fail(`has a range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)} whose end comes before its start`);
        items.push({ lo, hi, range: true });
      } else {
        for (const cp of this.cases(lo)) items.push({ lo: cp, hi: cp, range: false });
      }
    }
    const set: Item[] = [];
    for (const it of items) {
      set.push(it);
      if (!it.range) continue;
      // A range widened by the case images of its members that fall outside it (PostgreSQL's range()).
      for (let cp = it.lo; cp <= it.hi; cp++) {
        this.refuse(cp);
        const { lower, upper } = caseOf(cp);
        for (const img of [lower, upper]) if (img !== cp && (img < it.lo || img > it.hi)) set.push({ lo: img, hi: img, range: false });
      }
    }
    const body = set.map((r) => (r.lo === r.hi ? hex(r.lo) : `${hex(r.lo)}-${hex(r.hi)}`)).join('');
    return `[${negate ? '^' : ''}${body}]`;
  }

  private refuse(cp: number): void {
    if (REFUSED_CHARS.has(cp)) this.fail(`contains ${String.fromCodePoint(cp)}, whose capital the two database engines disagree on; match it with '.' instead`);
  }

  /** The code points a literal matches case-insensitively: {lower(c), upper(c)}. */
  private cases(cp: number): number[] {
    this.refuse(cp);
    const { lower, upper } = caseOf(cp);
    return lower === upper ? [lower] : [lower, upper];
  }

  private literal(cp: number): string {
    const set = this.cases(cp);
    return set.length === 1 ? hex(set[0]!) : `[${set.map(hex).join('')}]`;
  }
}

const hex = (cp: number) => `\\u{${cp.toString(16)}}`;

/**
 * The JavaScript RegExp that matches exactly the texts PostgreSQL's
 * `text ~* pattern` matches, or a QuerySyntaxError (pointing at `span`)
 * naming the construct the rules engine does not evaluate.
 */
export function pgCaseInsensitiveRegex(pattern: string, span: Span): RegExp {
  const source = new Translator(pattern, span).run();
  try {
    return new RegExp(source, 'su');
  } catch (e) {
    throw new QuerySyntaxError(`the regular expression at column ${span.offset + 1} is not valid: ${(e as Error).message}`, { offset: span.offset, token: pattern.slice(0, 40), expected: ['a regular expression'] });
  }
}
