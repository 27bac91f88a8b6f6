// Body of one fuzz worker: runs cases [start, end) of one (format, seed)
// campaign and posts a summary. The case number currently running is kept in
// shared memory so the parent can spot a hang and name the input even when
// this thread never returns.
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportFormat } from '../../src/imports/statement.ts';
import { FUZZ_FORMATS, loadSeeds, makeCase, runCase } from './parser-fuzz.ts';

export interface WorkerJob {
  format: ImportFormat;
  seed: number;
  start: number;
  end: number;
  caseLimitMs: number;
  /** Int32Array view: [0] = case running now (-1 before the first), [1] = cases finished. */
  progress: SharedArrayBuffer;
}

export interface WorkerFinding {
  index: number;
  what: string;
  message: string;
  ms: number;
  seed: string;
  mutations: string[];
}

export interface WorkerSummary {
  cases: number;
  ok: number;
  transactions: number;
  rejected: Record<string, number>;
  findings: WorkerFinding[];
  findingCount: number;
  slowest: { index: number; ms: number; seed: string; mutations: string[]; bytes: number } | null;
  totalMs: number;
  seeds: number;
}

export type WorkerMessage = { type: 'finding'; finding: WorkerFinding } | { type: 'tally' | 'done'; summary: WorkerSummary };

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
const seeds = loadSeeds(job.format);
const summary: WorkerSummary = { cases: 0, ok: 0, transactions: 0, rejected: {}, findings: [], findingCount: 0, slowest: null, totalMs: 0, seeds: seeds.length };

if (seeds.length > 0) {
  // Warm-up outside the clock: lazy parser imports and JIT would otherwise make the first case that
  // reaches a parser (also through format detection) the "slowest".
  for (const f of FUZZ_FORMATS) for (const sd of loadSeeds(f).slice(0, 2)) await runCase({ bytes: sd.bytes, seed: sd.name, mutations: [], opts: { format: f, ...(sd.opts ?? {}) } });
  for (const sd of seeds.slice(0, 5)) await runCase({ bytes: sd.bytes, seed: sd.name, mutations: [], opts: { format: job.format, ...(sd.opts ?? {}) } });
  for (let i = job.start; i < job.end; i++) {
    const input = makeCase(job.format, seeds, job.seed, i);
    Atomics.store(progress, 0, i);
    const out = await runCase(input);
    summary.cases++;
    summary.totalMs += out.ms;
    if (!summary.slowest || out.ms > summary.slowest.ms) summary.slowest = { index: i, ms: out.ms, seed: input.seed, mutations: input.mutations, bytes: input.bytes.length };
    let finding: Omit<WorkerFinding, 'index' | 'seed' | 'mutations'> | undefined;
    if (out.kind === 'ok') {
      summary.ok++;
      summary.transactions += out.transactions;
    } else if (out.kind === 'rejected') {
      summary.rejected[out.code] = (summary.rejected[out.code] ?? 0) + 1;
    } else {
      finding = { what: out.what, message: out.message, ms: out.ms };
    }
    if (!finding && out.ms > job.caseLimitMs) finding = { what: 'slow', message: `case took ${out.ms.toFixed(0)} ms (limit ${job.caseLimitMs} ms)`, ms: out.ms };
    if (finding) {
      summary.findingCount++;
      const f: WorkerFinding = { index: i, seed: input.seed, mutations: input.mutations, ...finding };
      // Sent at once: if a later case hangs and this thread is killed, the finding is not lost.
      if (summary.findings.length < 200) {
        summary.findings.push(f);
        parentPort!.postMessage({ type: 'finding', finding: f } satisfies WorkerMessage);
      }
    }
    Atomics.store(progress, 1, summary.cases);
    if (summary.cases % 500 === 0) parentPort!.postMessage({ type: 'tally', summary: { ...summary, findings: [] } } satisfies WorkerMessage);
  }
}
parentPort!.postMessage({ type: 'done', summary: { ...summary, findings: [] } } satisfies WorkerMessage);
