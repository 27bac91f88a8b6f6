// Delimiter sniffing on a sample: each candidate delimiter reads the first
// records; the one giving many rows of a similar, large-ish field count wins.
// A decimal-comma file split on ',' gives few, unsteady fields; a file split
// on a delimiter it does not use gives one field per line.
import { CSV_DELIMITERS, type CsvDelimiter } from './options.ts';
import { isBlank, tokenize } from './tokenize.ts';

const SAMPLE_CHARS = 64 * 1024;
const SAMPLE_RECORDS = 200;

export interface DelimiterScore {
  delimiter: CsvDelimiter;
  score: number;
  /** Most common field count among the sampled rows. */
  width: number;
  rows: number;
}

export function scoreDelimiters(text: string): DelimiterScore[] {
  const out: DelimiterScore[] = [];
  for (const d of CSV_DELIMITERS) {
    const { records, problem } = tokenize(text, d, { strict: false, maxChars: SAMPLE_CHARS, maxRecords: SAMPLE_RECORDS });
    const rows = records.filter((r) => !isBlank(r));
    const hist = new Map<number, number>();
    for (const r of rows) if (r.cells.length > 1) hist.set(r.cells.length, (hist.get(r.cells.length) ?? 0) + 1);
    let width = 0;
    let best = 0;
    for (const [w, n] of hist) {
      if (n > best || (n === best && w > width)) {
        width = w;
        best = n;
      }
    }
    if (width < 2 || rows.length === 0) {
      out.push({ delimiter: d, score: 0, width: 1, rows: rows.length });
      continue;
    }
    const slack = Math.max(1, Math.floor(width / 4));
    let near = 0;
    let multi = 0;
    for (const r of rows) {
      if (r.cells.length > 1) multi += 1;
      if (Math.abs(r.cells.length - width) <= slack) near += 1;
    }
    let score = (near / rows.length) * (multi / rows.length) * Math.log2(width);
    if (problem !== undefined) score *= 0.5;
    out.push({ delimiter: d, score, width, rows: rows.length });
  }
  return out.sort((a, b) => b.score - a.score);
}

export function sniffDelimiter(text: string): CsvDelimiter {
  const best = scoreDelimiters(text)[0];
  return best !== undefined && best.score > 0 ? best.delimiter : ',';
}

/** Cheap sniff for the dispatcher: not XML/OFX/QIF, and at least two rows of a steady multi-field shape. */
export function looksLikeCsv(text: string): boolean {
  const head = text.slice(0, 4096).replace(/^\ufeff/, '').trimStart();
  if (head === '' || head.startsWith('<') || /^OFXHEADER/i.test(head) || head.startsWith('!')) return false;
  const best = scoreDelimiters(text.slice(0, SAMPLE_CHARS))[0];
  return best !== undefined && best.rows >= 2 && best.score >= 0.5;
}
