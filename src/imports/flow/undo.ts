// Undo of a committed batch, in the caller's transaction: deletes the rows the
// batch created, except rows edited since the import (they are reported and
// kept unless forced), puts pending rows the batch had replaced back to their
// pending values (never one split or linked as a transfer since), and
// restores an opening balance the batch had set.
import { sql } from 'kysely';
import type { Actor } from '../../auth/actor.ts';
import type { PriorPending } from '../../db/schema-parts/imports.ts';
import { recordAudit } from '../../ops/audit/audit.repository.ts';
import type { Executor } from '../../shared/executor.ts';
import type { BatchRow, UndoReport } from './views.ts';

/** `again`: the batch was undone before and kept edited rows; a forced second undo removes only those. */
export async function undoBatch(tx: Executor, actor: Actor, b: BatchRow, force: boolean, again = false): Promise<UndoReport> {
  // Only edited rows need their import row (to say what changed); they are few, so no join over the batch.
  const edited = await tx
    .selectFrom('transactions')
    .select(['id', 'is_split', 'transfer_peer_id', 'cleared_state', 'posted_on', 'amount_minor'])
    .where('ledger_id', '=', b.ledger_id)
    .where('import_batch_id', '=', b.id)
    .where('parent_id', 'is', null)
    .where('import_edited_at', 'is not', null)
    .execute();
  const origins = edited.length === 0 ? [] : await tx
    .selectFrom('import_rows')
    .select(['tx_id', 'row_index', 'posted_on', 'amount_minor'])
    .where('batch_id', '=', b.id)
    .where(sql<boolean>`tx_id = any(${edited.map((t) => t.id)}::uuid[])`)
    .execute();
  const originOf = new Map(origins.map((o) => [o.tx_id, o]));

  const kept: UndoReport['kept'] = [];
  for (const t of edited) {
    const o = originOf.get(t.id);
    const changes: string[] = [];
    if (o && t.posted_on !== o.posted_on) changes.push(`date ${o.posted_on} -> ${t.posted_on}`);
    if (o && BigInt(t.amount_minor) !== BigInt(o.amount_minor)) changes.push(`amount ${o.amount_minor} -> ${t.amount_minor}`);
    if (t.is_split) changes.push('split');
    if (t.transfer_peer_id) changes.push('linked as a transfer');
    if (t.cleared_state === 'reconciled') changes.push('reconciled');
    if (changes.length === 0) changes.push('payee, category, notes, tags or cleared state changed');
    kept.push({ transaction_id: t.id, row_index: o?.row_index ?? null, changes });
  }

  if (force) {
    // A transfer's other side lives on in its own account: unlink it first (deleting would cascade to it).
    await sql`
      update transactions set transfer_peer_id = null
       where ledger_id = ${b.ledger_id}::uuid
         and (id in (select id from transactions where import_batch_id = ${b.id}::uuid and transfer_peer_id is not null)
              or id in (select transfer_peer_id from transactions where import_batch_id = ${b.id}::uuid and transfer_peer_id is not null))`.execute(tx);
  }
  const del = await tx
    .deleteFrom('transactions')
    .where('ledger_id', '=', b.ledger_id)
    .where('import_batch_id', '=', b.id)
    .where('parent_id', 'is', null)
    .$if(!force, (q) => q.where('import_edited_at', 'is', null))
    .executeTakeFirst();
  const deleted = Number(del.numDeletedRows ?? 0n);

  // Pending rows this batch replaced: back to their pending values unless edited since.
  const replaced = again ? { rows: [] } : await sql<{ row_index: number; matched_transaction_id: string; prior: PriorPending | string | null; posted_on: string; amount_minor: bigint; bank_id: string | null; t_id: string | null; t_date: string | null; t_amount: bigint | null; t_imported_id: string | null; t_pending: boolean | null; t_split: boolean | null; t_peer: string | null }>`
    select r.row_index, r.matched_transaction_id, r.prior, r.posted_on, r.amount_minor, r.bank_id,
           t.id as t_id, t.posted_on as t_date, t.amount_minor as t_amount, t.imported_id as t_imported_id, t.pending as t_pending,
           t.is_split as t_split, t.transfer_peer_id as t_peer
      from import_rows r left join transactions t on t.id = r.matched_transaction_id and t.ledger_id = ${b.ledger_id}::uuid
     where r.batch_id = ${b.id}::uuid and r.decision = 'replace_pending'`.execute(tx);
  let restored = 0;
  const notRestored: UndoReport['not_restored'] = [];
  for (const r of replaced.rows) {
    const prior = (typeof r.prior === 'string' ? JSON.parse(r.prior) : r.prior) as PriorPending | null;
    if (!r.t_id || !prior) {
      notRestored.push({ transaction_id: r.matched_transaction_id, reason: 'the transaction no longer exists' });
      continue;
    }
    // Split or linked as a transfer since: its date and amount are tied to its parts or its other
    // side, so the pending values cannot be put back without breaking the split or the transfer.
    if (r.t_split || r.t_peer) {
      notRestored.push({ transaction_id: r.t_id, reason: `it was ${r.t_split ? 'split' : 'linked as a transfer'} after the import; its pending values cannot be put back, so it is left as it is` });
      continue;
    }
    const asImported = r.t_date === r.posted_on && BigInt(r.t_amount ?? 0n) === BigInt(r.amount_minor) && r.t_pending === false && r.t_imported_id === (r.bank_id ?? prior.imported_id);
    if (!asImported && !force) {
      notRestored.push({ transaction_id: r.t_id, reason: 'its date, amount or bank id was changed after the import; left as it is' });
      continue;
    }
    await sql`
      update transactions
         set posted_on = ${prior.posted_on}::date, amount_minor = ${prior.amount_minor}::bigint, imported_id = ${prior.imported_id},
             import_payee_raw = ${prior.import_payee_raw}, pending = ${prior.pending}, cleared_state = ${prior.cleared_state},
             import_edited_at = ${prior.import_edited_at}::timestamptz, updated_at = now()
       where id = ${r.t_id}::uuid and ledger_id = ${b.ledger_id}::uuid`.execute(tx);
    restored++;
  }

  // An opening balance this batch set, unless changed since.
  let openingRestored = false;
  const before = b.account_before as { opened_on: string | null; opening_balance_minor: string; set: { opened_on: string; opening_balance_minor: string } } | null;
  if (before && b.account_id && !again) {
    const r = await tx
      .updateTable('accounts')
      .set({ opened_on: before.opened_on, opening_balance_minor: BigInt(before.opening_balance_minor), updated_at: sql`now()` })
      .where('id', '=', b.account_id)
      .where('opened_on', '=', before.set.opened_on)
      .where('opening_balance_minor', '=', BigInt(before.set.opening_balance_minor))
      .executeTakeFirst();
    openingRestored = Number(r.numUpdatedRows ?? 0n) > 0;
  }

  const earlier = again ? (b.undo_report as UndoReport | null) : null;
  const report: UndoReport = {
    forced: force,
    deleted: deleted + (earlier?.deleted ?? 0),
    kept: force ? [] : kept,
    restored_pending: restored + (earlier?.restored_pending ?? 0),
    not_restored: earlier?.not_restored ?? notRestored,
    opening_restored: openingRestored || (earlier?.opening_restored ?? false),
  };
  await tx
    .updateTable('import_batches')
    .set({ status: 'undone', undone_at: sql<Date>`now()`, undone_by: actor.userId, undo_report: JSON.stringify(report) })
    .where('id', '=', b.id)
    .execute();
  await recordAudit(tx, actor, {
    action: 'import.undo',
    entityType: 'import_batch',
    entityId: b.id,
    ledgerId: b.ledger_id,
    details: { forced: force, deleted, kept: report.kept.length, restored_pending: restored, not_restored: notRestored.length, opening_restored: openingRestored },
  });
  return report;
}
