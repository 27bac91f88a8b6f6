// API shapes of import batches and rows (snake_case, amounts as integer minor
// units plus decimal text). The CLI prints the same objects.
import type { Selectable } from 'kysely';
import type { ImportBatchesTable } from '../../db/schema.ts';
import type { ImportDecision } from '../../db/schema-parts/imports.ts';
import { isCurrencyCode, type CurrencyCode } from '../../money/currencies.ts';
import { toDecimalString, type Minor } from '../../money/money.ts';
import type { ImportRowView } from './imports.repository.ts';

export type BatchRow = Selectable<ImportBatchesTable>;

export interface BalanceCheck {
  /** match: finhub agrees with the file; mismatch: see difference_minor; not_stated: the file states no closing balance. */
  status: 'match' | 'mismatch' | 'not_stated';
  /** projected: in a preview (as if committed); actual: after commit. */
  basis: 'projected' | 'actual';
  as_of: string | null;
  stated_minor: number | null;
  finhub_minor: number | null;
  /** finhub minus stated, in minor units. */
  difference_minor: number | null;
  note?: string;
}

export interface TransferSuggestion {
  /** The row of this batch. */
  transaction_id: string;
  account_id: string;
  posted_on: string;
  amount_minor: number;
  /** The other side, in another account of the ledger. */
  peer_id: string;
  peer_account_id: string;
  peer_account_name: string;
  peer_posted_on: string;
  peer_amount_minor: number;
  days_apart: number;
}

export interface UndoReport {
  forced: boolean;
  deleted: number;
  /** Rows edited since the import, kept (unless forced). */
  kept: { transaction_id: string; row_index: number | null; changes: string[] }[];
  /** Pending rows this batch had replaced, set back to their pending values. */
  restored_pending: number;
  /** Replaced pending rows edited since, left as they are. */
  not_restored: { transaction_id: string; reason: string }[];
  opening_restored: boolean;
}

export const num = (v: bigint | number | string): number => Number(v);

function fmt(currency: string | null, minor: bigint): string {
  return currency && isCurrencyCode(currency) ? toDecimalString(minor as Minor, currency as CurrencyCode) : minor.toString();
}

export function presentRow(r: ImportRowView, currency: string | null, status: BatchRow['status']) {
  const amount = BigInt(r.amount_minor);
  const committed = status === 'committed' || status === 'undone';
  return {
    index: r.row_index,
    source_line: r.source_line,
    posted_on: r.posted_on,
    amount_minor: num(amount),
    amount: fmt(currency, amount),
    payee: r.payee,
    memo: r.memo,
    bank_id: r.bank_id,
    check_number: r.check_number,
    pending: r.pending,
    kind: r.kind,
    decision: r.decision as ImportDecision,
    /** What duplicate detection proposed, before any override at commit. */
    proposed: r.proposed as ImportDecision,
    reason_code: r.reason_code,
    reason: r.reason,
    matched_transaction_id: r.matched_transaction_id,
    /** After commit: the transaction this row created (new) or updated (replace_pending). */
    transaction_id: committed ? (r.decision === 'new' ? r.tx_id : r.decision === 'replace_pending' ? r.matched_transaction_id : null) : null,
  };
}

export type ImportRowOut = ReturnType<typeof presentRow>;

export function presentBatch(b: BatchRow) {
  const stated = (b.stated_balances ?? []).map((s) => ({ kind: s.kind, amount_minor: num(s.amount_minor), date: s.date ?? null }));
  const enc = b.encoding as { used: string; declared?: string; note?: string } | null;
  return {
    id: b.id,
    ledger_id: b.ledger_id,
    account_id: b.account_id,
    status: b.status,
    format: b.format,
    encoding: enc ? { used: enc.used, declared: enc.declared ?? null, note: enc.note ?? null } : null,
    file_name: b.file_name,
    file_sha256: b.file_sha256,
    size_bytes: num(b.size_bytes),
    currency: b.currency,
    statement_account: b.statement_account as { bank_id: string | null; account_id: string | null; type: string | null; currency: string | null },
    period: { start: b.period_start, end: b.period_end },
    stated_balances: stated,
    dedupe_window_days: b.dedupe_window_days,
    counts: {
      total: b.count_total,
      new: b.count_new,
      duplicate: b.count_duplicate,
      conflict: b.count_conflict,
      skipped: b.count_skipped,
      pending_replaced: b.count_pending_replaced,
    },
    balance_check: (b.balance_check as BalanceCheck | null) ?? null,
    warnings: b.warnings ?? [],
    csv_mapping: b.csv_mapping ?? null,
    transfer_suggestions: (b.transfer_suggestions ?? []) as unknown as TransferSuggestion[],
    undo: (b.undo_report as UndoReport | null) ?? null,
    created_at: b.created_at,
    created_by: b.created_by,
    expires_at: b.status === 'previewed' ? b.expires_at : null,
    committed_at: b.committed_at,
    undone_at: b.undone_at,
  };
}

export type ImportBatchOut = ReturnType<typeof presentBatch>;
