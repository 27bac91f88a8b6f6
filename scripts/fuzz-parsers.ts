// Long parser fuzz runs, and replay of a single case.
//
//   node bin/run-ts.js scripts/fuzz-parsers.ts --format qif --cases 200000 --seed 7
//   node bin/run-ts.js scripts/fuzz-parsers.ts --format all --cases 50000
//   node bin/run-ts.js scripts/fuzz-parsers.ts --format qif --seed 7 --replay 1234
//   node bin/run-ts.js scripts/fuzz-parsers.ts --replay-file .tmp/fuzz-crashes/qif-seed7-case1234.bin
//
// Cases are generated from the real corpus (../shared/fixtures/bank-files) and
// test/fixtures/imports; case N of (format, seed) is the same input as long as
// those seed files are unchanged (--replay-file replays the saved bytes instead).
// Every finding (an exception that is not a coded ImportError, a malformed
// Statement, a case over --case-limit-ms, a hang) is saved under
// .tmp/fuzz-crashes/ as <format>-seed<S>-case<N>.bin plus a .json note.
// Exit code: 0 no findings, 1 findings, 2 usage.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { IMPORT_FORMATS, type ImportFormat } from '../src/imports/statement.ts';
import { loadSeeds, makeCase, runCase, type FuzzInput } from '../test/fuzz/parser-fuzz.ts';
import { CRASH_DIR, formatReport, runCampaigns } from '../test/fuzz/parser-fuzz-runner.ts';

function usage(msg?: string): never {
  if (msg) console.error(`error: ${msg}\n`);
  console.error(`usage: node bin/run-ts.js scripts/fuzz-parsers.ts --format ofx1|ofx2|qfx|qif|camt053|csv|all [--cases N] [--seed S]
                                     [--jobs J] [--case-limit-ms MS] [--replay CASE]
  --cases N          cases per format (default 10000)
  --seed S           campaign seed, an integer (default: current time)
  --jobs J           formats fuzzed in parallel, one worker thread each (default 2)
  --case-limit-ms MS a case slower than this is a finding, one still running after it a hang (default 2000)
  --replay CASE      run only case CASE of (format, seed) in this process and print what happened
  --replay-file BIN  run a saved finding (.bin, with the parse options from the .json next to it)`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({
    options: {
      format: { type: 'string' }, cases: { type: 'string' }, seed: { type: 'string' }, jobs: { type: 'string' },
      'case-limit-ms': { type: 'string' }, replay: { type: 'string' }, 'replay-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  usage((e as Error).message);
}
if (values.help) usage();
const int = (name: string, raw: string | undefined, dflt: number) => {
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw)) usage(`--${name} must be a non-negative integer`);
  return Number(raw);
};
if (values['replay-file'] !== undefined) {
  const bin = values['replay-file'];
  const note = JSON.parse(readFileSync(bin.replace(/\.bin$/, '.json'), 'utf8')) as { opts: FuzzInput['opts']; seed: string; mutations: string[] };
  const input: FuzzInput = { bytes: new Uint8Array(readFileSync(bin)), seed: note.seed, mutations: note.mutations, opts: note.opts };
  console.log(`${bin}: ${input.bytes.length} bytes, options ${JSON.stringify(input.opts)}`);
  const out = await runCase(input);
  console.log(JSON.stringify(out, null, 2));
  process.exit(out.kind === 'finding' ? 1 : 0);
}
const fmt = values.format ?? usage('--format is required');
const formats: ImportFormat[] = fmt === 'all' ? [...IMPORT_FORMATS] : (IMPORT_FORMATS as readonly string[]).includes(fmt) ? [fmt as ImportFormat] : usage(`unknown format ${fmt}`);
const seed = int('seed', values.seed, Date.now() % 1_000_000_000);
const caseLimitMs = int('case-limit-ms', values['case-limit-ms'], 2000);

if (values.replay !== undefined) {
  const index = int('replay', values.replay, 0);
  if (formats.length !== 1) usage('--replay needs a single --format');
  const format = formats[0]!;
  const input = makeCase(format, loadSeeds(format), seed, index);
  console.log(`case ${index} of ${format} seed ${seed}: ${input.bytes.length} bytes from ${input.seed}, mutations ${input.mutations.join('+') || '(none)'}, options ${JSON.stringify(input.opts)}`);
  const out = await runCase(input);
  console.log(JSON.stringify(out, null, 2));
  process.exit(out.kind === 'finding' || out.ms > caseLimitMs ? 1 : 0);
}

const cases = int('cases', values.cases, 10_000);
const jobs = Math.max(1, int('jobs', values.jobs, 2));
console.log(`fuzzing ${formats.join(', ')}: ${cases} cases each, seed ${seed}, ${jobs} worker(s), case limit ${caseLimitMs} ms`);
const reports = await runCampaigns(formats.map((format) => ({ format, cases, seed, caseLimitMs })), jobs);
let findings = 0;
for (const r of reports) {
  console.log(formatReport(r));
  for (const f of r.findings) console.log(`  ${f.what} at case ${f.index} (${f.seed}; ${f.mutations.join('+')}): ${f.message.split('\n')[0]}\n    saved ${f.file}`);
  findings += r.findingCount;
}
console.log(findings === 0 ? 'no findings' : `${findings} finding(s); inputs in ${CRASH_DIR}`);
process.exit(findings === 0 ? 0 : 1);
