// Mutation fuzzing of every statement parser (ofx1, ofx2, qfx, qif, camt053,
// csv), seeded from the real corpus (../shared/fixtures/bank-files) and the
// repo's fixtures. Each case must end in well-formed Statements or an
// ImportError with a known code; a case slower than CASE_LIMIT_MS is a finding,
// one still running after it is a hang (its worker is killed). Inputs of every
// finding are saved under .tmp/fuzz-crashes/ with the command that replays them.
//
// FINHUB_FUZZ_PARSER_CASES=<n> (default 10000 per format) and
// FINHUB_FUZZ_SEED=<n> change the run; scripts/fuzz-parsers.ts does long runs.
// Without the corpus (outside CI) the formats are seeded from the repo's
// fixtures alone, and a format with no seed at all is skipped with a notice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportFormat } from '../../src/imports/statement.ts';
import { corpusAvailable, corpusRequired } from '../imports/corpus-manifest.ts';
import { FUZZ_FORMATS, loadSeeds } from './parser-fuzz.ts';
import { formatReport, runCampaigns, type CampaignReport } from './parser-fuzz-runner.ts';

const CASES = Number(process.env.FINHUB_FUZZ_PARSER_CASES ?? 10_000);
const SEED = Number(process.env.FINHUB_FUZZ_SEED ?? 20_261_124);
const CASE_LIMIT_MS = 2000;

const seeded = FUZZ_FORMATS.filter((f) => loadSeeds(f).length > 0);
const reports = new Map<ImportFormat, CampaignReport>();

describe('parser fuzzing', () => {
  beforeAll(async () => {
    if (!corpusAvailable()) {
      if (corpusRequired()) throw new Error('the real-file corpus ../shared/fixtures/bank-files is missing; CI needs it to seed the parser fuzzing');
      console.warn('NOTE: ../shared/fixtures/bank-files is missing: fuzzing from test/fixtures/imports only');
    }
    const started = performance.now();
    for (const r of await runCampaigns(seeded.map((format) => ({ format, cases: CASES, seed: SEED, caseLimitMs: CASE_LIMIT_MS })), 2)) reports.set(r.format, r);
    console.log(`parser fuzzing, seed ${SEED}, ${((performance.now() - started) / 1000).toFixed(1)} s:\n${[...reports.values()].map(formatReport).join('\n')}`);
  }, 20 * 60_000);

  afterAll(() => {
    const findings = [...reports.values()].flatMap((r) => r.findings.map((f) => `${r.format} case ${f.index}: ${f.what}: ${f.message.split('\n')[0]} (${f.file})`));
    if (findings.length) console.log(`fuzz findings:\n${findings.join('\n')}`);
  });

  for (const format of FUZZ_FORMATS) {
    it.skipIf(!seeded.includes(format))(`${format}: ${CASES} mutated inputs, only coded errors and well-formed statements, no hang`, () => {
      const r = reports.get(format);
      expect(r, 'campaign did not run').toBeDefined();
      expect(r!.cases).toBe(CASES);
      // A campaign where nothing parses or nothing is rejected would mean the mutations miss the parser.
      expect(r!.ok).toBeGreaterThan(0);
      expect(Object.values(r!.rejected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(r!.findings.map((f) => `case ${f.index} ${f.what}: ${f.message.split('\n')[0]} [${f.seed}; ${f.mutations.join('+')}] saved ${f.file}`)).toEqual([]);
      expect(r!.hangs).toBe(0);
      expect(r!.findingCount).toBe(0);
    });
  }
});
