// Rules over transactions already in the ledger: apply them, or dry-run them
// (the same computation without writing). Three phases:
//   1. every row in scope, chunk by chunk: run the rules until the row settles;
//   2. carry out the link_transfer requests of the settled rows (link.ts);
//   3. run the rules again on both rows of each new link (they are transfers
//      now), so those rows settle too.
// After this nothing in scope would change on a second run: the rows are
// fixed points and every link that could be made was made.
import type { Executor } from '../shared/executor.ts';
import { runRules, type Conflict, type LockedField, type RowOutcome, type RowState } from './engine.ts';
import { chooseLinks, writeLinks, type Link, type LinkSide } from './link.ts';
import type { Program } from './program.ts';
import { changedFields, CHUNK, cloneState, FIRST_CHUNK, loadRows, WRITE_BATCH, writeStates, type ChangeField, type LoadedRow, type RowWrite, type Scope } from './rows.ts';

export interface FieldChange {
  field: ChangeField;
  before: unknown;
  after: unknown;
}

export interface RowReport {
  transaction_id: string;
  account_id: string;
  account_name: string;
  posted_on: string;
  amount_minor: number;
  currency: string;
  payee_name: string | null;
  matched_rules: { id: string; name: string }[];
  changes: FieldChange[];
  conflicts: Conflict[];
  /** The rules did not settle on this row (they undo each other); it was left as it was. */
  unsettled: boolean;
  /** Set on the other side of a link made by a rule. */
  linked_to: string | null;
}

export interface RunSummary {
  scanned: number;
  matched: number;
  changed: number;
  conflicts: number;
  unsettled: number;
  links: number;
  rules: { id: string; name: string; matched: number; changed: number }[];
  broken_rules: { id: string; name: string; message: string }[];
}

export interface RunResult {
  summary: RunSummary;
  /** Rows with a change or a conflict, newest first (dry runs only, the page asked for). */
  reports: RowReport[];
}

/** A row that asked for a link (phase 1), kept for phase 3. */
interface Requester {
  side: LinkSide;
  intent: NonNullable<RowOutcome['link']>;
  row: LoadedRow;
  original: RowState;
  final: RowState;
  outcome: RowOutcome;
}

const keyCmp = (a: { posted_on: string; transaction_id: string }, b: { posted_on: string; transaction_id: string }) =>
  a.posted_on < b.posted_on ? -1 : a.posted_on > b.posted_on ? 1 : a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0;

/**
 * The page of a dry run: the `max` reports with the highest (date, id) below
 * `before`, so a dry run over a million rows holds one page, not every change.
 * A later report for the same transaction replaces the earlier one.
 */
export class ReportPage {
  private readonly kept = new Map<string, RowReport>();
  constructor(private readonly before: { d: string; id: string } | undefined, private readonly max: number) {}

  offer(r: RowReport): void {
    if (this.before && keyCmp(r, { posted_on: this.before.d, transaction_id: this.before.id }) >= 0) return;
    this.kept.set(r.transaction_id, r);
    if (this.kept.size > 2 * this.max + 64) this.trim();
  }

  private trim(): RowReport[] {
    const sorted = [...this.kept.values()].sort((a, b) => keyCmp(b, a)).slice(0, this.max);
    this.kept.clear();
    for (const r of sorted) this.kept.set(r.transaction_id, r);
    return sorted;
  }

  /** Newest first. */
  result(): RowReport[] {
    return this.trim();
  }
}

/** Rule names by id, built once per program (a dry run reports up to every row of the ledger). */
const ruleNames = new WeakMap<Program['rules'], Map<string, string>>();
function namesOf(program: Program): Map<string, string> {
  let m = ruleNames.get(program.rules);
  if (!m) ruleNames.set(program.rules, (m = new Map(program.rules.map((r) => [r.id, r.name]))));
  return m;
}

function view(program: Program, t: { row: LoadedRow; original: RowState; final: RowState; matched: string[]; conflicts: Conflict[]; unsettled: boolean; linkedTo: string | null; peer?: string | null }): RowReport {
  const names = namesOf(program);
  const cat = (id: string | null) => (id === null ? null : { id, name: program.categories.get(id) ?? null });
  const changes: FieldChange[] = changedFields(t.original, t.final).map((field) => {
    switch (field) {
      case 'payee':
        return { field, before: t.original.payee, after: t.final.payee };
      case 'category':
        return { field, before: cat(t.original.categoryId), after: cat(t.final.categoryId) };
      case 'notes':
        return { field, before: t.original.notes, after: t.final.notes };
      case 'tags':
        return { field, before: t.original.tags, after: t.final.tags };
      case 'cleared_state':
        return { field, before: t.original.clearedState, after: t.final.clearedState };
      case 'transfer':
        return { field, before: null, after: t.peer ?? null };
      case 'posted_on':
        return { field, before: t.original.postedOn, after: t.final.postedOn };
    }
  });
  return {
    transaction_id: t.row.id,
    account_id: t.row.accountId,
    account_name: t.original.account,
    posted_on: t.original.postedOn,
    amount_minor: Number(t.original.amountMinor),
    currency: t.original.currency,
    payee_name: t.original.payee,
    matched_rules: t.matched.map((id) => ({ id, name: names.get(id) ?? id })),
    changes,
    conflicts: t.conflicts,
    unsettled: t.unsettled,
    linked_to: t.linkedTo,
  };
}

/**
 * Changed rows on their way to the database: add() collects them, flush()
 * sends what was collected as one batch without waiting, done() waits for
 * every batch sent (and raises the first failure). Batches go out one after
 * the other, in order.
 */
class Writer {
  private rows: RowWrite[] = [];
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly ex: Executor, private readonly ledgerId: string) {}

  get size(): number {
    return this.rows.length;
  }

  add(r: RowWrite): void {
    this.rows.push(r);
  }

  flush(): void {
    if (this.rows.length === 0) return;
    const batch = this.rows;
    this.rows = [];
    this.chain = this.chain.then(() => writeStates(this.ex, this.ledgerId, batch));
    // Marked as handled here; done() (or the run's next query on the failed transaction) raises it.
    this.chain.catch(() => {});
  }

  done(): Promise<void> {
    return this.chain;
  }

  /** The error of a failed batch, once every batch sent has finished; undefined if none failed. */
  failure(): Promise<unknown> {
    return this.chain.then(() => undefined, (e: unknown) => e ?? new Error('a rules write failed'));
  }
}

const side = (r: LoadedRow, s: RowState): LinkSide => ({ id: r.id, accountId: r.accountId, currency: s.currency, postedOn: s.postedOn, amountMinor: s.amountMinor, clearedState: s.clearedState });

/**
 * Runs `program` over the rows of `scope`. With write = false nothing is
 * written (a dry run) and every changed or conflicting row is reported.
 * Writing callers own the transaction (and set finhub.rules_apply).
 */
export interface RunOptions {
  /** false: a dry run. */
  write: boolean;
  /** Fields a rule may not change (a new manual transaction keeps what its request set). */
  locked?: ReadonlySet<LockedField> | undefined;
  /** Read chunks as one JSON text each (faster on the embedded engine, see loadRows). */
  json?: boolean | undefined;
  /** Dry runs: which reports to keep (default: all). */
  page?: ReportPage | undefined;
  /** Rows per read (first and later) and per write batch; the defaults are rows.ts's (tests use small ones). */
  sizes?: { first: number; chunk: number; writeBatch: number } | undefined;
}

export async function runOverHistory(ex: Executor, program: Program, scope: Scope, opts: RunOptions): Promise<RunResult> {
  const { write, locked, json } = opts;
  const sizes = opts.sizes ?? { first: FIRST_CHUNK, chunk: CHUNK, writeBatch: WRITE_BATCH };
  const page = opts.page ?? new ReportPage(undefined, Number.MAX_SAFE_INTEGER);
  const perRule = new Map(program.rules.map((r) => [r.id, { matched: 0, changed: 0 }]));
  const summary: RunSummary = { scanned: 0, matched: 0, changed: 0, conflicts: 0, unsettled: 0, links: 0, rules: [], broken_rules: program.broken };
  const requests = new Map<string, Requester>();
  const changedIds = new Set<string>();
  const credit = (ruleIds: Iterable<string>, changed: boolean, matched: boolean) => {
    for (const id of ruleIds) {
      const c = perRule.get(id);
      if (!c) continue;
      if (matched) c.matched++;
      if (changed) c.changed++;
    }
  };
  /** Phase 1 for one row: the rules until it settles (deterministic, so phase 3 can redo it). */
  const settle = (original: RowState) => {
    const work = cloneState(original);
    const outcome = runRules(program.rules, program.catalog, work, locked);
    return { outcome, final: outcome.settled ? work : original };
  };

  // Phase 1. The database and this process work side by side: the next chunk
  // is requested before this one is evaluated, and writes are sent without
  // waiting for them (one statement at a time on the transaction's connection,
  // in order), so evaluating a chunk overlaps with writing the previous one.
  // Changed rows are written in batches of at least sizes.writeBatch rows (and
  // once more at the end): each UPDATE statement has a fixed cost (its join
  // and the statement triggers on transactions), so a run that changes few
  // rows pays it once, not once per chunk.
  const writer = new Writer(ex, program.ledgerId);
  if (program.rules.length > 0) {
    let next: Promise<LoadedRow[]> | undefined = loadRows(ex, program, scope, undefined, sizes.first, json);
    let limit = sizes.first;
    while (next) {
      // A failed write aborts the transaction, so the read after it fails too: raise the write's error (a serialization failure is retried).
      const rows = await next.catch(async (e: unknown) => {
        throw (await writer.failure()) ?? e;
      });
      next = undefined;
      if (rows.length === limit) {
        const last = rows[rows.length - 1]!;
        next = loadRows(ex, program, scope, { d: last.state.postedOn, id: last.id }, (limit = sizes.chunk), json);
        // Not awaited yet; a failure is raised by the await above on the next turn (or discarded with the run).
        next.catch(() => {});
      }
      for (const row of rows) {
        summary.scanned++;
        const original = row.state;
        const { outcome, final } = settle(original);
        if (outcome.matched.length === 0) continue;
        summary.matched++;
        const changed = changedFields(original, final).length > 0;
        credit(outcome.matched, changed, true);
        if (!outcome.settled) summary.unsettled++;
        if (outcome.conflicts.length > 0) summary.conflicts++;
        if (changed) {
          changedIds.add(row.id);
          if (write) writer.add({ id: row.id, before: original, after: final });
        }
        if (outcome.link) requests.set(row.id, { side: side(row, final), intent: outcome.link, row, original, final, outcome });
        if (!write && (changed || outcome.conflicts.length > 0 || !outcome.settled)) {
          page.offer(view(program, { row, original, final, matched: outcome.matched, conflicts: outcome.conflicts, unsettled: !outcome.settled, linkedTo: null }));
        }
      }
      if (writer.size >= sizes.writeBatch) writer.flush();
    }
  }
  writer.flush();
  await writer.done();

  // Phase 2.
  const links: Link[] = requests.size > 0 ? await chooseLinks(ex, program.ledgerId, [...requests.values()], new Set()) : [];
  summary.links = links.length;
  if (links.length === 0) return finish();
  if (write) await writeLinks(ex, program.ledgerId, links);

  // Phase 3: both rows of each link, as they are now (written, or in a dry run: as phase 1 left them, linked).
  const peerOf = new Map<string, { peer: string; date: string; ruleId: string; requester: boolean }>();
  for (const l of links) {
    peerOf.set(l.a.id, { peer: l.b.id, date: l.date, ruleId: l.ruleId, requester: true });
    peerOf.set(l.b.id, { peer: l.a.id, date: l.date, ruleId: l.ruleId, requester: false });
  }
  const ids = [...peerOf.keys()];
  const fresh = new Map<string, LoadedRow>();
  for (let i = 0; i < ids.length; i += CHUNK) for (const r of await loadRows(ex, program, { ids: ids.slice(i, i + CHUNK) }, undefined, CHUNK, json)) fresh.set(r.id, r);
  const writes: { id: string; before: RowState; after: RowState }[] = [];
  for (const id of ids) {
    const link = peerOf.get(id)!;
    const row = fresh.get(id)!;
    const req = requests.get(id);
    // The other side of a link was not necessarily in scope: in a dry run its phase 1 is redone here.
    const first = req ? { outcome: req.outcome, final: req.final } : write ? undefined : settle(row.state);
    const original = req?.original ?? row.state;
    const current = write ? row.state : { ...cloneState(first!.final), isTransfer: true, category: null, categoryId: null, postedOn: link.date };
    const work = cloneState(current);
    const outcome = runRules(program.rules, program.catalog, work, locked);
    const final = outcome.settled ? work : current;
    if (write && changedFields(current, final).length > 0) writes.push({ id, before: current, after: final });
    if (!changedIds.has(id)) {
      changedIds.add(id);
      // Credited to the rule that asked for the link and the rules that matched now.
      credit(new Set([...(req?.outcome.matched ?? []), ...outcome.matched]), true, false);
    }
    if (!write) {
      const matched = [...new Set([...(first?.outcome.matched ?? []), ...(link.requester ? [link.ruleId] : []), ...outcome.matched])];
      page.offer(view(program, {
        row: req?.row ?? row, original, final, matched, conflicts: outcome.conflicts.length > 0 ? outcome.conflicts : (first?.outcome.conflicts ?? []),
        unsettled: !outcome.settled, linkedTo: link.requester ? null : link.peer, peer: link.peer,
      }));
    }
  }
  if (write) await writeStates(ex, program.ledgerId, writes);
  return finish();

  function finish(): RunResult {
    summary.changed = changedIds.size;
    summary.rules = program.rules.map((r) => ({ id: r.id, name: r.name, ...perRule.get(r.id)! }));
    return { summary, reports: write ? [] : page.result() };
  }
}
