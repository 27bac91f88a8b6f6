// PostgreSQL's text semantics, in JavaScript, for the in-memory query
// evaluator (evaluate.ts). Case conversion follows what lower() and the
// case-insensitive regex operator do in a UTF-8 database whose ctype is a
// libc locale such as C.UTF-8 (both engines here): one code point maps to one
// code point by the Unicode simple case mapping, with no context rules.
// JavaScript's toLowerCase differs in exactly two places: U+0130 (İ) becomes
// two code points, and a capital sigma at a word end becomes the final form ς.

const cache = new Map<number, { lower: number; upper: number }>();

function single(s: string, fallback: number): number {
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : fallback;
}

/** towlower/towupper of one code point (a code point without a one-to-one mapping maps to itself). */
export function caseOf(cp: number): { lower: number; upper: number } {
  let c = cache.get(cp);
  if (c === undefined) {
    const ch = String.fromCodePoint(cp);
    c = { lower: cp === 0x130 ? 0x69 : single(ch.toLowerCase(), cp), upper: single(ch.toUpperCase(), cp) };
    if (cache.size < 100_000) cache.set(cp, c);
  }
  return c;
}

const NEEDS_SLOW_LOWER = /[\u0130\u03a3]/;
// The rules engine asks for the same few strings (a row's payee, notes, account)
// once per rule; V8 keeps a string's hash, so a map lookup beats lowering again.
const lowered = new Map<string, string>();
const MAX_CACHED = 20_000;

function lowerOf(s: string): string {
  if (!NEEDS_SLOW_LOWER.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += String.fromCodePoint(caseOf(ch.codePointAt(0)!).lower);
  return out;
}

/** PostgreSQL's lower() of a text value. */
export function pgLower(s: string): string {
  let l = lowered.get(s);
  if (l === undefined) {
    if (lowered.size >= MAX_CACHED) lowered.clear();
    lowered.set(s, (l = lowerOf(s)));
  }
  return l;
}
