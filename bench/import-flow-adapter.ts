// The few calls into the import service that the import benchmark and the
// corpus test make: upload (parse + preview) and commit, timed per phase.
// Kept in one place so both follow the service's API (/work/notes/import-flow-api.md).
import type { Container } from '../src/app/container.ts';
import type { Actor } from '../src/auth/actor.ts';
import type { CsvOptions } from '../src/imports/csv/options.ts';

export interface FlowOutcome {
  batchId: string;
  format: string;
  /** Rows of the statement the service looked at (counts.total). */
  rows: number;
  counts: { total: number; new: number; duplicate: number; conflict: number; skipped: number; pending_replaced: number };
  /** Transactions the commit wrote (counts.new after commit), 0 when nothing was committed. */
  committed: number;
  status: string;
  balanceCheck: { status: string; basis?: string; stated_minor?: number | null; finhub_minor?: number | null; difference_minor?: number | null } | null;
  statedBalances: { kind: string; amount_minor: number; date: string | null }[];
  warnings: string[];
}

export interface FlowInput {
  ledgerId: string;
  accountId: string;
  bytes: Uint8Array;
  fileName: string;
  csv?: CsvOptions | undefined;
  /** Preview only (no commit). */
  dryRun?: boolean;
}

type View = Awaited<ReturnType<Container['imports']['previewUpload']>>;

function summarize(v: View, committed: number): FlowOutcome {
  const x = v as unknown as {
    id: string; format: string; status: string; warnings?: string[];
    counts: FlowOutcome['counts'];
    balance_check?: FlowOutcome['balanceCheck'];
    stated_balances?: FlowOutcome['statedBalances'];
  };
  return {
    batchId: x.id, format: x.format, rows: x.counts.total, counts: { ...x.counts }, committed, status: x.status,
    balanceCheck: x.balance_check ?? null, statedBalances: x.stated_balances ?? [], warnings: x.warnings ?? [],
  };
}

/** previewUpload, then commit unless there is nothing new (or dryRun); seconds per phase. */
export async function runFlowImport(c: Container, actor: Actor, input: FlowInput): Promise<{ outcome: FlowOutcome; phases: Record<string, number> }> {
  const phases: Record<string, number> = {};
  let t = performance.now();
  const preview = await c.imports.previewUpload(actor, input.ledgerId, {
    accountId: input.accountId, bytes: input.bytes, fileName: input.fileName, rowsLimit: 0, ...(input.csv ? { csv: input.csv } : {}),
  });
  phases.preview = (performance.now() - t) / 1000;
  const p = summarize(preview, 0);
  if (input.dryRun) return { outcome: p, phases };
  t = performance.now();
  const done = await c.imports.commit(actor, input.ledgerId, p.batchId, { rowsLimit: 0 });
  phases.commit = (performance.now() - t) / 1000;
  const d = summarize(done, 0);
  d.committed = d.status === 'committed' ? d.counts.new + d.counts.pending_replaced : 0;
  return { outcome: d, phases };
}
