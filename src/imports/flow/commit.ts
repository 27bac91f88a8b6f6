// Commit: writes a previewed batch in the caller's database transaction, so
// every row or none is written. The account row is locked first (imports into
// one account are serialised) and the candidate rows are fingerprinted again:
// if anything duplicate detection looked at has changed since the preview,
// the commit is refused rather than writing decisions that no longer hold.
import { sql } from 'kysely';
import type { Actor } from '../../auth/actor.ts';
import type { ImportDecision, PriorPending } from '../../db/schema-parts/imports.ts';
import type { ClearedState } from '../../db/schema.ts';
import { recordAudit } from '../../ops/audit/audit.repository.ts';
import { AppError, invalid } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/executor.ts';
import { isUuid } from '../../shared/ids.ts';
import * as repo from './imports.repository.ts';
import { BANK_ID_HORIZON_DAYS, EMPTY_FINGERPRINT, balanceCheck, type ProgressFn } from './preview.ts';
import type { DraftRow, ImportRulesHook } from './rules-hook.ts';
import type { WrittenRow } from './transfers.ts';
import type { BatchRow } from './views.ts';

export interface RowOverride {
  rowIndex: number;
  /** skip: do not import this row; import: import it as a new transaction although it was matched. */
  action: 'skip' | 'import';
}

const CLEARED: readonly ClearedState[] = ['uncleared', 'cleared', 'reconciled'];

export function assertCommittable(b: BatchRow, now = new Date()): void {
  if (b.status === 'committed') throw new AppError('CONFLICT', `import ${b.id} was already committed at ${b.committed_at?.toISOString()}`, { details: { batch_status: b.status } });
  if (b.status === 'undone') throw new AppError('CONFLICT', `import ${b.id} was committed and then undone; upload the file again to import it anew`, { details: { batch_status: b.status } });
  if (b.status === 'expired' || (b.expires_at && b.expires_at.getTime() <= now.getTime())) {
    throw new AppError('CONFLICT', `the preview ${b.id} has expired; upload the file again for a fresh preview`, { details: { batch_status: 'expired' } });
  }
}

function checkDrafts(out: DraftRow[], input: DraftRow[]): DraftRow[] {
  if (!Array.isArray(out) || out.length !== input.length) throw new AppError('INTERNAL', 'the import rules hook must return one draft per row');
  const seen = new Set(input.map((d) => d.rowIndex));
  for (const d of out) {
    if (!seen.delete(d.rowIndex)) throw new AppError('INTERNAL', 'the import rules hook returned a row that was not given to it');
    if (d.categoryId !== null && !isUuid(d.categoryId)) throw invalid('/rules/category_id', `row ${d.rowIndex}: category id is not a UUID`);
    if (!CLEARED.includes(d.cleared)) throw invalid('/rules/cleared', `row ${d.rowIndex}: cleared must be one of ${CLEARED.join(', ')}`);
    if (d.tags.length > 20 || d.tags.some((t) => t.length < 1 || t.length > 50 || /[\s,]/.test(t))) throw invalid('/rules/tags', `row ${d.rowIndex}: tags are at most 20 of 1-50 characters without spaces or commas`);
  }
  return out;
}

async function applyOverrides(tx: Executor, batchId: string, overrides: readonly RowOverride[]) {
  if (overrides.length === 0) return;
  const indexes = [...new Set(overrides.map((o) => o.rowIndex))];
  if (indexes.length !== overrides.length) throw invalid('/body/overrides', 'each row may be overridden once');
  const rows = await tx.selectFrom('import_rows').select(['row_index', 'decision', 'reason_code', 'reason']).where('batch_id', '=', batchId).where(sql<boolean>`row_index = any(${indexes}::int[])`).execute();
  const byIndex = new Map(rows.map((r) => [r.row_index, r]));
  const updates: { rowIndex: number; decision: ImportDecision; reasonCode: string; reason: string }[] = [];
  overrides.forEach((o, i) => {
    const r = byIndex.get(o.rowIndex);
    if (!r) throw invalid(`/body/overrides/${i}/row`, `this import has no row ${o.rowIndex}`);
    if (o.action === 'skip') {
      if (r.decision !== 'skipped') updates.push({ rowIndex: o.rowIndex, decision: 'skipped', reasonCode: 'override_skip', reason: `skipped at commit (was ${r.decision}: ${r.reason})` });
    } else {
      if (r.reason_code === 'foreign_currency') throw invalid(`/body/overrides/${i}/action`, `row ${o.rowIndex} is in another currency than the account and cannot be imported`);
      if (r.decision !== 'new') updates.push({ rowIndex: o.rowIndex, decision: 'new', reasonCode: 'override_import', reason: `imported at commit although ${r.decision === 'skipped' ? 'skipped' : `proposed as ${r.decision} (${r.reason})`}` });
    }
  });
  await repo.applyOverrides(tx, batchId, updates);
}

/** Why a pending row matched for replacement can no longer be replaced (undefined: it still can). */
function notReplaceable(t: { pending: boolean; cleared_state: ClearedState; is_split: boolean; transfer_peer_id: string | null } | undefined): string | undefined {
  if (!t) return 'was deleted';
  if (t.is_split) return 'was split';
  if (t.transfer_peer_id) return 'was linked as a transfer';
  if (!t.pending) return 'is no longer pending';
  if (t.cleared_state === 'reconciled') return 'was reconciled';
  return undefined;
}

function replaceConflict(rowIndex: number, transactionId: string, why: string): AppError {
  return new AppError('CONFLICT', `row ${rowIndex}: the pending transaction ${transactionId} this import would replace ${why} since the preview; upload the file again for a fresh preview`, {
    details: { batch_status: 'stale', row_index: rowIndex, transaction_id: transactionId },
  });
}

export interface CommitDeps {
  rulesHook: ImportRulesHook;
}

export interface CommitOutcome {
  counts: Record<ImportDecision, number>;
  inserted: number;
  replaced: number;
  /** The new transactions (for transfer suggestions). */
  written: WrittenRow[];
}

/** Runs inside the caller's transaction; the batch row is already locked and committable. */
export async function commitBatch(tx: Executor, deps: CommitDeps, actor: Actor, b: BatchRow, opts: { overrides?: readonly RowOverride[] | undefined; onProgress?: ProgressFn | undefined }): Promise<CommitOutcome> {
  const accountId = b.account_id!;
  const ledgerId = b.ledger_id;
  const account = await tx.selectFrom('accounts').select(['id', 'name', 'currency', 'opened_on', 'opening_balance_minor']).where('id', '=', accountId).forUpdate().executeTakeFirst();
  if (!account) throw new AppError('CONFLICT', 'the account of this import no longer exists');

  const q = await repo.candidateQueryOfBatch(tx, b.id, accountId, b.dedupe_window_days, Math.max(b.dedupe_window_days, BANK_ID_HORIZON_DAYS));
  const fp = q ? await repo.candidatesFingerprint(tx, q) : EMPTY_FINGERPRINT;
  if (fp !== b.candidates_fingerprint) {
    // Name the row when a pending transaction this batch would replace can no longer be replaced.
    const gone = await tx
      .selectFrom('import_rows as r')
      .leftJoin('transactions as t', (j) => j.onRef('t.id', '=', 'r.matched_transaction_id').on('t.ledger_id', '=', ledgerId))
      .select(['r.row_index', 'r.matched_transaction_id', 't.id', 't.pending', 't.cleared_state', 't.is_split', 't.transfer_peer_id'])
      .where('r.batch_id', '=', b.id)
      .where('r.decision', '=', 'replace_pending')
      .orderBy('r.row_index')
      .execute();
    for (const g of gone) {
      const why = notReplaceable(g.id === null ? undefined : { pending: g.pending!, cleared_state: g.cleared_state!, is_split: g.is_split!, transfer_peer_id: g.transfer_peer_id });
      if (why) throw replaceConflict(g.row_index, g.matched_transaction_id!, why);
    }
    throw new AppError('CONFLICT', `transactions of account "${account.name}" changed since this preview was made, so its duplicate decisions may be wrong; upload the file again for a fresh preview`, { details: { batch_status: 'stale' } });
  }
  await applyOverrides(tx, b.id, opts.overrides ?? []);

  const hadRows = await tx.selectFrom('transactions').select('id').where('account_id', '=', accountId).limit(1).executeTakeFirst();
  const replacing = await tx
    .selectFrom('import_rows')
    .select(['row_index', 'posted_on', 'amount_minor', 'payee', 'memo', 'bank_id', 'pending', 'matched_transaction_id'])
    .where('batch_id', '=', b.id)
    .where('decision', '=', 'replace_pending')
    .orderBy('row_index')
    .execute();
  const freshTotal = (await repo.decisionCounts(tx, b.id)).new;
  const total = freshTotal + replacing.length;
  opts.onProgress?.({ phase: 'write', done: 0, total });

  // New rows, one page at a time (memory stays bounded on big files): the
  // rules step, payees by name, then one multi-row insert per page.
  const asOf = (b.balance_check as { as_of?: string | null } | null)?.as_of ?? null;
  let inserted = 0;
  const written: WrittenRow[] = [];
  let firstDate: string | undefined;
  let upToAsOf = 0n;
  let afterIndex = -1;
  for (;;) {
    const page = await tx
      .selectFrom('import_rows')
      .select(['row_index', 'posted_on', 'amount_minor', 'payee', 'memo', 'bank_id', 'pending', 'tx_id'])
      .where('batch_id', '=', b.id)
      .where('decision', '=', 'new')
      .where('row_index', '>', afterIndex)
      .orderBy('row_index')
      .limit(repo.CHUNK)
      .execute();
    if (page.length === 0) break;
    afterIndex = page[page.length - 1]!.row_index;
    const drafts: DraftRow[] = page.map((r) => ({
      rowIndex: r.row_index,
      postedOn: r.posted_on,
      amountMinor: BigInt(r.amount_minor),
      bankPayee: r.payee,
      memo: r.memo,
      bankId: r.bank_id,
      pending: r.pending,
      payeeName: r.payee ?? null,
      categoryId: null,
      notes: r.memo && r.memo !== r.payee ? r.memo : null,
      tags: [],
      cleared: r.pending ? 'uncleared' : 'cleared',
    }));
    const ruled = checkDrafts(await deps.rulesHook(drafts.map((d) => ({ ...d, tags: [...d.tags] })), { ledgerId, accountId }), drafts);
    const byIndex = new Map(ruled.map((d) => [d.rowIndex, d]));
    const nameOf = (d: DraftRow) => d.payeeName?.trim().slice(0, 500) || undefined;
    const payeeIds = await repo.upsertPayees(tx, ledgerId, ruled.flatMap((d) => nameOf(d) ?? []));
    const inserts: repo.TxInsert[] = page.map((r) => {
      const d = byIndex.get(r.row_index)!;
      const name = nameOf(d);
      const amount = BigInt(r.amount_minor);
      if (firstDate === undefined || r.posted_on < firstDate) firstDate = r.posted_on;
      if (asOf !== null && r.posted_on <= asOf) upToAsOf += amount;
      return {
        id: r.tx_id!,
        postedOn: r.posted_on,
        amountMinor: amount,
        payeeId: name ? payeeIds.get(name) ?? null : null,
        categoryId: d.categoryId,
        notes: d.notes ? d.notes.slice(0, 10_000) : null,
        tags: [...new Set(d.tags)],
        cleared: d.cleared,
        bankId: r.bank_id,
        pending: r.pending,
        rawPayee: r.payee ?? r.memo?.slice(0, 1000) ?? null,
      };
    });
    await repo.insertTransactions(tx, ledgerId, accountId, b.id, inserts);
    for (const r of inserts) written.push({ id: r.id, postedOn: r.postedOn, amountMinor: r.amountMinor });
    inserted += inserts.length;
    opts.onProgress?.({ phase: 'write', done: inserted, total });
  }

  // Pending rows that have posted: updated in place (category, notes, payee kept).
  if (replacing.length > 0) {
    const targets = await tx
      .selectFrom('transactions')
      .select(['id', 'posted_on', 'amount_minor', 'imported_id', 'import_payee_raw', 'pending', 'cleared_state', 'import_edited_at', 'is_split', 'transfer_peer_id'])
      .where('ledger_id', '=', ledgerId)
      .where('account_id', '=', accountId)
      .where(sql<boolean>`id = any(${replacing.map((r) => r.matched_transaction_id!)}::uuid[])`)
      .forUpdate()
      .execute();
    const byId = new Map(targets.map((t) => [t.id, t]));
    const priors: { rowIndex: number; prior: PriorPending }[] = [];
    for (const r of replacing) {
      const t = byId.get(r.matched_transaction_id!);
      const why = notReplaceable(t);
      if (!t || why) throw replaceConflict(r.row_index, r.matched_transaction_id!, why ?? 'was deleted');
      priors.push({
        rowIndex: r.row_index,
        prior: {
          posted_on: t.posted_on, amount_minor: String(t.amount_minor), imported_id: t.imported_id, import_payee_raw: t.import_payee_raw,
          pending: t.pending, cleared_state: t.cleared_state, import_edited_at: t.import_edited_at ? t.import_edited_at.toISOString() : null,
        },
      });
    }
    await sql`
      update transactions t
         set posted_on = u.d, amount_minor = u.a, imported_id = coalesce(u.b, t.imported_id), pending = u.pe,
             import_payee_raw = coalesce(u.r, t.import_payee_raw),
             cleared_state = case when t.cleared_state = 'uncleared' and not u.pe then 'cleared' else t.cleared_state end,
             updated_at = now()
        from unnest(${replacing.map((r) => r.matched_transaction_id)}::uuid[], ${replacing.map((r) => r.posted_on)}::date[],
                    ${replacing.map((r) => BigInt(r.amount_minor))}::bigint[], ${replacing.map((r) => r.bank_id)}::text[],
                    ${replacing.map((r) => r.pending)}::bool[], ${replacing.map((r) => r.payee ?? r.memo ?? null)}::text[]) as u(id, d, a, b, pe, r)
       where t.id = u.id and t.ledger_id = ${ledgerId}::uuid`.execute(tx);
    await repo.savePriors(tx, b.id, priors);
  }
  opts.onProgress?.({ phase: 'write', done: total, total });

  // Opening state of an account that had nothing before this import.
  let accountBefore: Record<string, unknown> | null = null;
  if (!hadRows && account.opened_on === null && BigInt(account.opening_balance_minor) === 0n && firstDate !== undefined) {
    const stated = b.stated_balances ?? [];
    const opening = stated.filter((s) => s.kind === 'opening').sort((x, y) => ((x.date ?? '') < (y.date ?? '') ? -1 : 1))[0];
    const closing = b.balance_check as { as_of?: string | null; stated_minor?: number | null } | null;
    let openingMinor = 0n;
    let source = 'none';
    if (opening) {
      openingMinor = BigInt(opening.amount_minor);
      source = 'stated opening balance';
    } else if (closing?.as_of && closing.stated_minor !== null && closing.stated_minor !== undefined) {
      openingMinor = BigInt(closing.stated_minor) - upToAsOf;
      source = 'stated closing balance minus the imported rows';
    }
    const openedOn = opening?.date && opening.date < firstDate ? opening.date : firstDate;
    await tx.updateTable('accounts').set({ opened_on: openedOn, opening_balance_minor: openingMinor, updated_at: sql`now()` }).where('id', '=', accountId).execute();
    accountBefore = { opened_on: null, opening_balance_minor: '0', set: { opened_on: openedOn, opening_balance_minor: openingMinor.toString(), source } };
  }

  // Balance check on the committed data.
  const prior = b.balance_check as { as_of?: string | null; stated_minor?: number | null; note?: string } | null;
  const check = prior?.as_of && prior.stated_minor !== null && prior.stated_minor !== undefined
    ? balanceCheck('actual', { amount: BigInt(prior.stated_minor), date: prior.as_of, ...(prior.note ? { note: prior.note } : {}) }, await repo.balanceAsOf(tx, accountId, prior.as_of))
    : balanceCheck('actual', undefined, undefined);

  const counts = await repo.decisionCounts(tx, b.id);
  await tx
    .updateTable('import_batches')
    .set({
      status: 'committed',
      count_new: counts.new,
      count_duplicate: counts.duplicate,
      count_conflict: counts.conflict,
      count_skipped: counts.skipped,
      count_pending_replaced: counts.replace_pending,
      balance_check: JSON.stringify(check),
      account_before: accountBefore ? JSON.stringify(accountBefore) : null,
      committed_at: sql<Date>`now()`,
      committed_by: actor.userId,
    })
    .where('id', '=', b.id)
    .execute();
  if (b.csv_mapping && b.format === 'csv') {
    await tx
      .insertInto('csv_mappings')
      .values({ ledger_id: ledgerId, account_id: accountId, options: JSON.stringify(b.csv_mapping), updated_by: actor.userId })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ options: JSON.stringify(b.csv_mapping), updated_at: sql`now()`, updated_by: actor.userId }))
      .execute();
  }
  await recordAudit(tx, actor, {
    action: 'import.commit',
    entityType: 'import_batch',
    entityId: b.id,
    ledgerId,
    details: { account_id: accountId, file_name: b.file_name, file_sha256: b.file_sha256, format: b.format, counts, overrides: (opts.overrides ?? []).length, opening_set: accountBefore !== null },
  });
  return { counts, inserted, replaced: replacing.length, written };
}
