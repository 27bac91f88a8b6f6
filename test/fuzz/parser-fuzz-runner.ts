// Runs parser fuzz campaigns in worker threads with a watchdog: a case that
// runs longer than the hang limit gets its worker terminated, is reported as a
// hang, and the campaign continues from the next case in a fresh worker.
// Findings are written to .tmp/fuzz-crashes/ (the input bytes plus a JSON note)
// so they can be replayed with scripts/fuzz-parsers.ts --replay.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ImportFormat } from '../../src/imports/statement.ts';
import { REPO_ROOT } from '../imports/corpus-manifest.ts';
import { loadSeeds, makeCase } from './parser-fuzz.ts';
import type { WorkerFinding, WorkerJob, WorkerMessage, WorkerSummary } from './parser-fuzz-work.ts';

export const CRASH_DIR = join(REPO_ROOT, '.tmp/fuzz-crashes');

export interface CampaignSpec {
  format: ImportFormat;
  cases: number;
  seed: number;
  /** A finished case slower than this is a finding; a case still running after it is a hang. Default 2000 ms. */
  caseLimitMs?: number;
}

export interface CampaignReport {
  format: ImportFormat;
  seed: number;
  seeds: number;
  cases: number;
  ok: number;
  transactions: number;
  rejected: Record<string, number>;
  findings: (WorkerFinding & { file?: string })[];
  findingCount: number;
  hangs: number;
  slowest: WorkerSummary['slowest'];
  wallMs: number;
}

const WORKER = new URL('./parser-fuzz-worker.mjs', import.meta.url);

interface WorkerResult {
  /** Final summary, or the last tally when the worker hung. Its findings list is empty: see `findings`. */
  summary?: WorkerSummary;
  findings: WorkerFinding[];
  hungAt?: number;
  error?: string;
}

/** One worker over [start, end); resolves with its summary, or with the case that hung. */
function runWorker(job: Omit<WorkerJob, 'progress'>, hangMs: number): Promise<WorkerResult> {
  const progress = new SharedArrayBuffer(8);
  const view = new Int32Array(progress);
  view[0] = -1;
  const worker = new Worker(WORKER, { workerData: { ...job, progress } satisfies WorkerJob });
  return new Promise((resolve) => {
    let last = -1;
    let since = performance.now();
    let settled = false;
    let tally: WorkerSummary | undefined;
    const findings: WorkerFinding[] = [];
    const finish = (r: Omit<WorkerResult, 'findings'>) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve({ ...r, findings });
    };
    const timer = setInterval(() => {
      const cur = Atomics.load(view, 0);
      const done = Atomics.load(view, 1);
      const key = cur * 1_000_000_007 + done;
      if (key !== last) {
        last = key;
        since = performance.now();
        return;
      }
      // Startup (loading the loader and the parsers) is not a case: only watch once one has begun.
      if (cur >= 0 && performance.now() - since > hangMs) {
        void worker.terminate();
        finish({ hungAt: cur, ...(tally ? { summary: tally } : {}) });
      }
    }, 100);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'finding') findings.push(m.finding);
      else if (m.type === 'tally') tally = m.summary;
      else {
        finish({ summary: m.summary });
        void worker.terminate();
      }
    });
    worker.once('error', (e) => finish({ error: `${e.name}: ${e.message}\n${e.stack ?? ''}` }));
    worker.once('exit', (code) => finish({ error: `worker exited with code ${code} before reporting` }));
  });
}

function saveFinding(spec: CampaignSpec, f: WorkerFinding): string {
  mkdirSync(CRASH_DIR, { recursive: true });
  const input = makeCase(spec.format, loadSeeds(spec.format), spec.seed, f.index);
  const base = join(CRASH_DIR, `${spec.format}-seed${spec.seed}-case${f.index}`);
  writeFileSync(`${base}.bin`, input.bytes);
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...f, format: spec.format, campaignSeed: spec.seed, opts: input.opts, replay: `node bin/run-ts.js scripts/fuzz-parsers.ts --format ${spec.format} --seed ${spec.seed} --replay ${f.index}` }, null, 2)}\n`);
  return `${base}.bin`;
}

export async function runCampaign(spec: CampaignSpec): Promise<CampaignReport> {
  const caseLimitMs = spec.caseLimitMs ?? 2000;
  const t0 = performance.now();
  const report: CampaignReport = {
    format: spec.format, seed: spec.seed, seeds: 0, cases: 0, ok: 0, transactions: 0, rejected: {}, findings: [], findingCount: 0, hangs: 0, slowest: null, wallMs: 0,
  };
  let start = 0;
  let restarts = 0;
  while (start < spec.cases) {
    const r = await runWorker({ format: spec.format, seed: spec.seed, start, end: spec.cases, caseLimitMs }, caseLimitMs);
    report.findings.push(...r.findings);
    const s = r.summary;
    if (s) {
      report.seeds = s.seeds;
      report.ok += s.ok;
      report.transactions += s.transactions;
      for (const [k, v] of Object.entries(s.rejected)) report.rejected[k] = (report.rejected[k] ?? 0) + v;
      if (s.slowest && (!report.slowest || s.slowest.ms > report.slowest.ms)) report.slowest = s.slowest;
      if (s.seeds === 0) throw new Error(`no seeds for format ${spec.format}`);
    }
    if (r.hungAt === undefined) {
      if (!s) throw new Error(`fuzz worker for ${spec.format} failed: ${r.error}`);
      report.cases += s.cases;
      report.findingCount += s.findingCount;
      break;
    }
    // The worker was killed mid-campaign. Cases up to the hang ran; tallies since its last report
    // (at most 500 cases) are lost, but every finding was sent as it happened.
    const input = makeCase(spec.format, loadSeeds(spec.format), spec.seed, r.hungAt);
    report.hangs++;
    report.findingCount += r.findings.length + 1;
    report.cases += r.hungAt - start + 1;
    report.findings.push({ index: r.hungAt, what: 'hang', message: `no result after ${caseLimitMs} ms; worker terminated`, ms: caseLimitMs, seed: input.seed, mutations: input.mutations });
    start = r.hungAt + 1;
    if (++restarts > 20) throw new Error(`more than 20 hangs in the ${spec.format} campaign; stopping`);
  }
  for (const f of report.findings) (f as { file?: string }).file = saveFinding(spec, f);
  report.wallMs = performance.now() - t0;
  return report;
}

/** Runs campaigns with at most `concurrency` workers at a time, in the order given. */
export async function runCampaigns(specs: CampaignSpec[], concurrency = 2): Promise<CampaignReport[]> {
  const out: CampaignReport[] = new Array(specs.length);
  let next = 0;
  const lane = async () => {
    while (next < specs.length) {
      const i = next++;
      out[i] = await runCampaign(specs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, lane));
  return out;
}

export function formatReport(r: CampaignReport): string {
  const codes = Object.entries(r.rejected).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const slow = r.slowest ? `slowest case #${r.slowest.index} ${r.slowest.ms.toFixed(1)} ms (${r.slowest.bytes} bytes, ${r.slowest.seed}, ${r.slowest.mutations.join('+') || 'unmutated'})` : '';
  return `${r.format.padEnd(8)} ${String(r.cases).padStart(7)} cases from ${r.seeds} seeds in ${(r.wallMs / 1000).toFixed(1)} s: ${r.ok} parsed (${r.transactions} transactions), rejected: ${codes || 'none'}; findings ${r.findingCount} (hangs ${r.hangs}); ${slow}`;
}
