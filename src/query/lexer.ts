// Splits query text into tokens. Whitespace separates terms; parentheses and
// double quotes end a bare word. Keywords are upper case only, so "or" and "not"
// stay searchable words.
import { QuerySyntaxError } from './errors.ts';

export type Token =
  | { type: 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus'; offset: number; length: number; text: string }
  /** A bare word or quoted phrase; `field` is set for `name:value`. */
  | {
      type: 'term';
      offset: number;
      length: number;
      text: string;
      field: { name: string; offset: number } | undefined;
      value: string;
      valueOffset: number;
      quoted: boolean;
      /** `notes:~"…"`: the ~ before a quoted value (inside a bare value it stays part of the text). */
      tilde: boolean;
    };

const FIELD_NAME = /^[A-Za-z][A-Za-z_-]*$/;
const col = (offset: number) => offset + 1;
const isSpace = (ch: string) => /\s/.test(ch);
const endsWord = (ch: string) => isSpace(ch) || ch === '(' || ch === ')' || ch === '"';

/** Reads a double-quoted string starting at `start` (the quote); backslash escapes the next character. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      if (i + 1 >= text.length) break;
      value += text[++i];
    } else if (ch === '"') {
      return { value, end: i + 1 };
    } else {
      value += ch;
    }
  }
  throw new QuerySyntaxError(`unclosed quote opened at column ${col(start)}`, { offset: start, token: '"', expected: ['a closing "'] });
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      out.push({ type: ch === '(' ? 'lparen' : 'rparen', offset: i, length: 1, text: ch });
      i++;
      continue;
    }
    if (ch === '-') {
      const next = text[i + 1];
      if (next === undefined || isSpace(next) || next === ')') {
        throw new QuerySyntaxError(`'-' at column ${col(i)} must be followed directly by what it excludes, e.g. -payee:amazon`, { offset: i, token: '-', expected: ['a search term'] });
      }
      out.push({ type: 'minus', offset: i, length: 1, text: '-' });
      i++;
      continue;
    }
    if (ch === '"') {
      const q = readQuoted(text, i);
      out.push({ type: 'term', offset: i, length: q.end - i, text: text.slice(i, q.end), field: undefined, value: q.value, valueOffset: i, quoted: true, tilde: false });
      i = q.end;
      continue;
    }
    let j = i;
    while (j < text.length && !endsWord(text[j]!)) j++;
    const word = text.slice(i, j);
    if (word === 'AND' || word === 'OR' || word === 'NOT') {
      out.push({ type: word.toLowerCase() as 'and' | 'or' | 'not', offset: i, length: word.length, text: word });
      i = j;
      continue;
    }
    const colon = word.indexOf(':');
    const name = colon > 0 ? word.slice(0, colon) : '';
    if (colon > 0 && FIELD_NAME.test(name)) {
      let value = word.slice(colon + 1);
      const valueOffset = i + colon + 1;
      let quoted = false;
      let tilde = false;
      if ((value === '' || value === '~') && text[j] === '"') {
        tilde = value === '~';
        const q = readQuoted(text, j);
        value = q.value;
        quoted = true;
        j = q.end;
      }
      out.push({ type: 'term', offset: i, length: j - i, text: text.slice(i, j), field: { name, offset: i }, value, valueOffset: quoted ? valueOffset + (tilde ? 1 : 0) : valueOffset, quoted, tilde });
    } else {
      out.push({ type: 'term', offset: i, length: j - i, text: word, field: undefined, value: word, valueOffset: i, quoted: false, tilde: false });
    }
    i = j;
  }
  return out;
}
