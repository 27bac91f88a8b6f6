// Statement imports as use cases: upload -> parse -> preview -> commit -> undo,
// plus listing, row pages and transfer linking. Routes and the CLI call these;
// nothing here knows about HTTP. Previews are stored server-side (import_rows)
// and committed by batch id.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../../auth/actor.ts';
import type { Config } from '../../config/config.ts';
import type { Db } from '../../db/create-db.ts';
import { IMPORT_DECISIONS, type ImportDecision } from '../../db/schema-parts/imports.ts';
import { requireLedgerRole } from '../../ledger/access.ts';
import { getAccountRow } from '../../ledger/accounts.service.ts';
import { recordAudit } from '../../ops/audit/audit.repository.ts';
import { AppError, invalid, notFound } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid } from '../../shared/ids.ts';
import type { CsvOptions } from '../csv/options.ts';
import { ImportError } from '../errors.ts';
import { IMPORT_FORMATS, type ImportFormat, type Statement } from '../statement.ts';
import { commitBatch, assertCommittable, type RowOverride } from './commit.ts';
import { importErrorToAppError } from './import-errors.ts';
import * as repo from './imports.repository.ts';
import type { ImportMetrics } from './imports.metrics.ts';
import { createPreview, type PreviewMeta, type ProgressFn } from './preview.ts';
import { identityRulesHook, type ImportRulesHook } from './rules-hook.ts';
import { linkPairs, suggestTransfers, type LinkOutcome } from './transfers.ts';
import { undoBatch } from './undo.ts';
import { presentBatch, presentRow, type BatchRow, type ImportBatchOut, type ImportRowOut, type UndoReport } from './views.ts';

export type { PreviewMeta, ProgressFn } from './preview.ts';
export type { RowOverride } from './commit.ts';

/** Rows included in a preview or batch response; the rest are paged with rows(). */
export const DEFAULT_ROWS_IN_RESPONSE = 100;
export const MAX_ROWS_PAGE = 1000;

export type ParseFn = (bytes: Uint8Array, opts: { format?: ImportFormat | 'auto'; fileName?: string; currency?: string; maxBytes?: number; csv?: CsvOptions; statement?: string; preferAccountId?: string }) => Promise<Statement>;

export interface ImportView extends ImportBatchOut {
  rows: ImportRowOut[];
  rows_next_cursor: string | null;
}

export interface UploadInput {
  accountId: string;
  bytes: Uint8Array;
  fileName?: string | undefined;
  format?: ImportFormat | 'auto' | undefined;
  csv?: CsvOptions | undefined;
  dedupeWindowDays?: number | undefined;
  /** Multi-statement files: which statement (1-based number or bank account id); see ParseOptions.statement. */
  statement?: string | undefined;
  rowsLimit?: number | undefined;
  onProgress?: ProgressFn | undefined;
}

export interface ImportsDeps {
  db: Db;
  config: Pick<Config, 'importMaxBytes' | 'importDedupeWindowDays' | 'importPreviewTtlHours'>;
  metrics?: ImportMetrics | undefined;
  /** The statement parser (src/imports/parse.ts); loaded lazily when not given. */
  parse?: ParseFn | undefined;
}

const defaultParse: ParseFn = async (bytes, opts) => (await import('../parse.ts')).parseStatement(bytes, opts);

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function checkWindow(v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0 || v > 60) throw invalid('/body/dedupe_window_days', 'must be a whole number of days from 0 to 60');
  return v;
}

function checkRowsLimit(v: number | undefined): number {
  if (v === undefined) return DEFAULT_ROWS_IN_RESPONSE;
  if (!Number.isInteger(v) || v < 0 || v > MAX_ROWS_PAGE) throw invalid('/query/rows_limit', `must be 0-${MAX_ROWS_PAGE}`);
  return v;
}

async function loadBatch(ex: Executor, ledgerId: string, batchId: string, lock = false): Promise<BatchRow> {
  if (!isUuid(batchId)) throw notFound('import');
  const b = await ex.selectFrom('import_batches').selectAll().where('ledger_id', '=', ledgerId).where('id', '=', batchId).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
  if (!b) throw notFound('import');
  return b;
}

/** A preview past its expiry reads as expired even before the purge has run. */
const effective = (b: BatchRow, now = Date.now()): BatchRow =>
  b.status === 'previewed' && b.expires_at && b.expires_at.getTime() <= now ? { ...b, status: 'expired' } : b;

async function account(ex: Executor, ledgerId: string, accountId: string) {
  const a = await getAccountRow(ex, ledgerId, accountId);
  if (!a) throw invalid('/body/account_id', 'no such account in this ledger');
  return a;
}

export function createImportsService(deps: ImportsDeps) {
  const k = deps.db.kysely;
  const parse = deps.parse ?? defaultParse;
  let rulesHook: ImportRulesHook = identityRulesHook;

  async function view(ex: Executor, b: BatchRow, rowsLimit: number): Promise<ImportView> {
    const eff = effective(b);
    const rows = rowsLimit > 0 && eff.status !== 'expired' ? await repo.listImportRows(ex, b.id, { limit: rowsLimit + 1 }) : [];
    const page = rows.slice(0, rowsLimit);
    const last = page[page.length - 1];
    return {
      ...presentBatch(eff),
      rows: page.map((r) => presentRow(r, b.currency, eff.status)),
      rows_next_cursor: rows.length > rowsLimit && last ? encodeCursor({ i: String(last.row_index) }) : null,
    };
  }

  /** Marks previews past their expiry as expired and deletes their stored rows. */
  async function purgeExpired(limit = 100): Promise<number> {
    const expired = await sql<{ id: string }>`
      update import_batches set status = 'expired'
       where id in (select id from import_batches where status = 'previewed' and expires_at <= now() order by expires_at limit ${limit} for update skip locked)
      returning id`.execute(k);
    const ids = expired.rows.map((r) => r.id);
    if (ids.length > 0) await k.deleteFrom('import_rows').where('batch_id', 'in', ids).execute();
    return ids.length;
  }

  const service = {
    /** Replaces the rules step run before commit (identity by default). */
    setRulesHook(hook: ImportRulesHook | undefined) {
      rulesHook = hook ?? identityRulesHook;
    },

    purgeExpired,

    /**
     * The core: duplicate detection of an already parsed statement against the
     * account, stored as a preview batch. Returns the batch with its first rows.
     */
    async preview(actor: Actor, ledgerId: string, accountId: string, statement: Statement, meta: PreviewMeta = {}, opts: { dedupeWindowDays?: number | undefined; rowsLimit?: number | undefined; onProgress?: ProgressFn | undefined } = {}): Promise<ImportView> {
      const windowDays = checkWindow(opts.dedupeWindowDays, deps.config.importDedupeWindowDays);
      const rowsLimit = checkRowsLimit(opts.rowsLimit);
      await requireLedgerRole(k, actor, ledgerId, 'editor');
      const acc = await account(k, ledgerId, accountId);
      const format = meta.format ?? statement.format;
      let result;
      try {
        result = await createPreview(k, actor, acc, statement, { ...meta, format }, { windowDays, ttlHours: deps.config.importPreviewTtlHours, onProgress: opts.onProgress });
      } catch (e) {
        if (e instanceof AppError && e.status === 422) deps.metrics?.imported(format, 'rejected');
        throw e;
      }
      deps.metrics?.imported(format, 'previewed');
      await purgeExpired().catch(() => 0);
      return view(k, await loadBatch(k, ledgerId, result.batchId), rowsLimit);
    },

    /** Upload path: parse the bytes (with the account's saved CSV mapping as default), then preview. */
    async previewUpload(actor: Actor, ledgerId: string, input: UploadInput): Promise<ImportView> {
      await requireLedgerRole(k, actor, ledgerId, 'editor');
      checkWindow(input.dedupeWindowDays, deps.config.importDedupeWindowDays);
      checkRowsLimit(input.rowsLimit);
      if (input.format !== undefined && input.format !== 'auto' && !(IMPORT_FORMATS as readonly string[]).includes(input.format)) {
        deps.metrics?.imported(undefined, 'rejected');
        throw importErrorToAppError(new ImportError('UNSUPPORTED_FORMAT', `unknown format "${String(input.format)}"; supported formats are ${IMPORT_FORMATS.join(', ')} (or auto)`, { expected: `auto or one of ${IMPORT_FORMATS.join(', ')}` }));
      }
      const acc = await account(k, ledgerId, input.accountId);
      if (input.bytes.byteLength > deps.config.importMaxBytes) {
        deps.metrics?.imported(input.format, 'rejected');
        throw importErrorToAppError(new ImportError('FILE_TOO_LARGE', `the file is ${input.bytes.byteLength} bytes; the limit is ${deps.config.importMaxBytes} (FINHUB_IMPORT_MAX_BYTES)`, { expected: `at most ${deps.config.importMaxBytes} bytes` }), { fileName: input.fileName });
      }
      const saved = await k.selectFrom('csv_mappings').select('options').where('account_id', '=', acc.id).executeTakeFirst();
      const savedCsv = saved?.options as CsvOptions | undefined;
      // The bank account this finhub account was last imported from: preferred in a file with several statements.
      const last = await k.selectFrom('import_batches').select('statement_account').where('account_id', '=', acc.id).where('status', '=', 'committed').orderBy('committed_at', 'desc').limit(1).executeTakeFirst();
      const preferAccountId = (last?.statement_account as { account_id?: string | null } | null | undefined)?.account_id ?? undefined;
      const base = { fileName: input.fileName, currency: acc.currency, maxBytes: deps.config.importMaxBytes, format: input.format ?? ('auto' as const), statement: input.statement, preferAccountId };
      const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
      input.onProgress?.({ phase: 'parse', done: 0, total: input.bytes.byteLength });
      let statement: Statement;
      const extraWarnings: string[] = [];
      try {
        const csv = savedCsv || input.csv ? { ...(savedCsv ?? {}), ...(input.csv ?? {}) } : undefined;
        try {
          statement = await parse(input.bytes, clean({ ...base, csv }));
        } catch (e) {
          // A saved mapping from an older export may not fit this file: read it afresh before giving up.
          if (!(e instanceof ImportError) || !savedCsv) throw e;
          statement = await parse(input.bytes, clean({ ...base, csv: input.csv }));
          extraWarnings.push('the CSV mapping saved for this account did not fit this file; its columns were detected afresh');
        }
      } catch (e) {
        if (e instanceof ImportError) {
          // Only a CSV can need a column mapping; otherwise the format is known only when the caller named it.
          const format = e.code === 'CSV_MAPPING_REQUIRED' ? 'csv' : input.format && input.format !== 'auto' ? input.format : undefined;
          deps.metrics?.imported(format, 'rejected');
          throw importErrorToAppError(e, { format, fileName: input.fileName });
        }
        throw e;
      }
      statement.warnings.push(...extraWarnings);
      input.onProgress?.({ phase: 'parse', done: input.bytes.byteLength, total: input.bytes.byteLength });
      // What to remember for this account's next CSV: what the parser worked out, else what the user told us.
      const carried = (statement as Statement & { csvMapping?: Record<string, unknown> }).csvMapping;
      const csvMapping = statement.format === 'csv' ? (carried ?? (input.csv ? { version: 1, ...(savedCsv ?? {}), ...input.csv } : (savedCsv as Record<string, unknown> | undefined))) : undefined;
      return service.preview(actor, ledgerId, acc.id, statement, { fileName: input.fileName, fileHash: sha256Hex(input.bytes), format: statement.format, sizeBytes: input.bytes.byteLength, csvMapping }, {
        dedupeWindowDays: input.dedupeWindowDays,
        rowsLimit: input.rowsLimit,
        onProgress: input.onProgress,
      });
    },

    /** Writes a previewed batch: all rows or none. Returns the committed batch with transfer suggestions. */
    async commit(actor: Actor, ledgerId: string, batchId: string, opts: { overrides?: readonly RowOverride[] | undefined; rowsLimit?: number | undefined; onProgress?: ProgressFn | undefined } = {}): Promise<ImportView> {
      const rowsLimit = checkRowsLimit(opts.rowsLimit);
      await requireLedgerRole(k, actor, ledgerId, 'editor');
      const pre = await loadBatch(k, ledgerId, batchId);
      if (pre.status === 'previewed') {
        try {
          assertCommittable(pre);
        } catch (e) {
          await purgeExpired();
          throw e;
        }
      }
      const outcome = await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const b = await loadBatch(tx, ledgerId, batchId, true);
        assertCommittable(b);
        return commitBatch(tx, { rulesHook }, actor, b, opts);
      });
      deps.metrics?.imported(pre.format, 'committed');
      deps.metrics?.rows(outcome.counts);
      // Transfer suggestions are advice computed on the committed data; they never fail the commit.
      try {
        const suggestions = await suggestTransfers(k, ledgerId, pre.account_id!, outcome.written, pre.dedupe_window_days);
        await k.updateTable('import_batches').set({ transfer_suggestions: JSON.stringify(suggestions) }).where('id', '=', batchId).execute();
      } catch {
        /* left empty; GET …/imports/{batch} shows none */
      }
      return view(k, await loadBatch(k, ledgerId, batchId), rowsLimit);
    },

    /**
     * DELETE: discards a preview, or undoes a committed batch (rows edited
     * since the import are kept and reported unless force). A batch undone
     * earlier with rows kept can be undone again with force.
     */
    async undo(actor: Actor, ledgerId: string, batchId: string, opts: { force?: boolean | undefined } = {}): Promise<{ batch_id: string; status: 'discarded' | 'undone'; undo: UndoReport | null }> {
      const force = opts.force === true;
      const res = await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const b = await loadBatch(tx, ledgerId, batchId, true);
        if (b.status === 'previewed' || b.status === 'expired') {
          await tx.deleteFrom('import_batches').where('id', '=', b.id).execute();
          await recordAudit(tx, actor, { action: 'import.discard', entityType: 'import_batch', entityId: b.id, ledgerId, details: { file_name: b.file_name, status: b.status } });
          return { format: b.format, status: 'discarded' as const, undo: null };
        }
        if (b.status === 'undone') {
          const left = await tx.selectFrom('transactions').select('id').where('import_batch_id', '=', b.id).limit(1).executeTakeFirst();
          if (!force || !left) {
            throw new AppError('CONFLICT', left ? `import ${b.id} was undone; ${(b.undo_report as UndoReport | null)?.kept.length ?? 'some'} edited row(s) were kept; undo with force to remove them too` : `import ${b.id} was already undone`, { details: { batch_status: b.status } });
          }
          return { format: b.format, status: 'undone' as const, undo: await undoBatch(tx, actor, b, true, true) };
        }
        return { format: b.format, status: 'undone' as const, undo: await undoBatch(tx, actor, b, force) };
      });
      deps.metrics?.imported(res.format, res.status === 'discarded' ? 'discarded' : 'undone');
      return { batch_id: batchId, status: res.status, undo: res.undo };
    },

    async get(actor: Actor, ledgerId: string, batchId: string, opts: { rowsLimit?: number | undefined } = {}): Promise<ImportView> {
      const rowsLimit = checkRowsLimit(opts.rowsLimit);
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return view(k, await loadBatch(k, ledgerId, batchId), rowsLimit);
    },

    async list(actor: Actor, ledgerId: string, q: { cursor?: string | undefined; limit: number; accountId?: string | undefined; status?: BatchRow['status'] | undefined }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      if (q.accountId !== undefined && !isUuid(q.accountId)) throw invalid('/query/account_id', 'must be a UUID');
      const after = decodeCursor(q.cursor, ['t', 'id'] as const);
      if (after && (Number.isNaN(Date.parse(after.t)) || !isUuid(after.id))) throw invalid('/query/cursor', 'not a cursor returned by this list');
      const rows = await k
        .selectFrom('import_batches')
        .selectAll()
        .where('ledger_id', '=', ledgerId)
        .$if(q.accountId !== undefined, (x) => x.where('account_id', '=', q.accountId!))
        .$if(q.status !== undefined, (x) => x.where('status', '=', q.status!))
        .$if(after !== undefined, (x) => x.where(sql<boolean>`(created_at, id) < (${after!.t}::timestamptz, ${after!.id}::uuid)`))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((b) => presentBatch(effective(b))),
        next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
      };
    },

    /** A page of a batch's rows, optionally of one decision, in statement order. */
    async rows(actor: Actor, ledgerId: string, batchId: string, q: { decision?: string | undefined; cursor?: string | undefined; limit: number }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const b = effective(await loadBatch(k, ledgerId, batchId));
      if (q.decision !== undefined && !(IMPORT_DECISIONS as readonly string[]).includes(q.decision)) throw invalid('/query/decision', `must be one of ${IMPORT_DECISIONS.join(', ')}`);
      if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_ROWS_PAGE) throw invalid('/query/limit', `must be 1-${MAX_ROWS_PAGE}`);
      const after = decodeCursor(q.cursor, ['i'] as const);
      const afterIndex = after ? Number(after.i) : undefined;
      if (afterIndex !== undefined && !Number.isInteger(afterIndex)) throw invalid('/query/cursor', 'not a cursor returned by this list');
      if (b.status === 'expired') return { items: [], next_cursor: null };
      const rows = await repo.listImportRows(k, b.id, { decision: q.decision as ImportDecision | undefined, afterIndex, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page.map((r) => presentRow(r, b.currency, b.status)), next_cursor: rows.length > q.limit && last ? encodeCursor({ i: String(last.row_index) }) : null };
    },

    /** Links suggested (or given) pairs as transfers; with no pairs given, every current suggestion of the batch. */
    async linkTransfers(actor: Actor, ledgerId: string, batchId: string, input: { pairs?: readonly { transactionId: string; peerId: string }[] | undefined } = {}): Promise<{ results: LinkOutcome[] }> {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const b = await loadBatch(tx, ledgerId, batchId, true);
        if (b.status !== 'committed') throw new AppError('CONFLICT', `transfers can be linked for committed imports; this one is ${effective(b).status}`, { details: { batch_status: effective(b).status } });
        const suggested = (b.transfer_suggestions ?? []) as unknown as { transaction_id: string; peer_id: string }[];
        const pairs = input.pairs ?? suggested.map((s) => ({ transactionId: s.transaction_id, peerId: s.peer_id }));
        pairs.forEach((p, i) => {
          if (!isUuid(p.transactionId)) throw invalid(`/body/pairs/${i}/transaction_id`, 'must be a UUID');
          if (!isUuid(p.peerId)) throw invalid(`/body/pairs/${i}/peer_id`, 'must be a UUID');
        });
        const results = await linkPairs(tx, ledgerId, batchId, pairs);
        const linked = new Set(results.filter((r) => r.linked).flatMap((r) => [r.transaction_id, r.peer_id]));
        if (linked.size > 0) {
          const left = suggested.filter((s) => !linked.has(s.transaction_id) && !linked.has(s.peer_id));
          await tx.updateTable('import_batches').set({ transfer_suggestions: JSON.stringify(left) }).where('id', '=', b.id).execute();
          await recordAudit(tx, actor, { action: 'import.link_transfers', entityType: 'import_batch', entityId: b.id, ledgerId, details: { pairs: results.filter((r) => r.linked).map((r) => [r.transaction_id, r.peer_id]) } });
        }
        return { results };
      });
    },
  };
  return service;
}

export type ImportsService = ReturnType<typeof createImportsService>;
