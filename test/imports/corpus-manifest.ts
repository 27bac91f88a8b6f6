// Locates the real-file corpus (../shared/fixtures/bank-files, relative to the
// repository root) and reads the file list out of its MANIFEST.md tables, so
// the corpus test can prove that its facts table covers every file the
// manifest lists and every file on disk.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CORPUS_DIR = resolve(REPO_ROOT, '../shared/fixtures/bank-files');

export interface ManifestRow {
  /** Relative to the corpus directory, e.g. "qfx/actual__8859-1.qfx". */
  path: string;
  format: string;
  source: string;
  quirks: string;
  expected: string;
}

/** True when CI (or the developer) demands the corpus: a missing corpus is then a failure, not a skip. */
export function corpusRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FINHUB_REQUIRE_CORPUS === '1' || env.CI === 'true';
}

export function corpusAvailable(): boolean {
  return existsSync(join(CORPUS_DIR, 'MANIFEST.md'));
}

/** Splits one markdown table row into trimmed cells (cells contain no escaped pipes in this manifest). */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split('|').map((c) => c.trim());
}

export function readManifest(dir: string = CORPUS_DIR): ManifestRow[] {
  const text = readFileSync(join(dir, 'MANIFEST.md'), 'utf8');
  const rows: ManifestRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!/^\|\s*(ofx1-sgml|ofx2-xml|qfx|qif|camt053|csv)\//.test(line)) continue;
    const c = cells(line);
    // path | format | source | original path | licence | quirks | expected facts
    if (c.length < 7) throw new Error(`MANIFEST.md row with ${c.length} cells: ${line.slice(0, 120)}`);
    rows.push({ path: c[0]!, format: c[1]!, source: c[2]!, quirks: c[5]!, expected: c.slice(6).join(' | ') });
  }
  return rows;
}

/** Every data file under the corpus directory (MANIFEST.md excluded), relative paths, sorted. */
export function listCorpusFiles(dir: string = CORPUS_DIR): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== 'MANIFEST.md') out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export function readCorpusFile(path: string, dir: string = CORPUS_DIR): Uint8Array {
  const b = readFileSync(join(dir, path));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
