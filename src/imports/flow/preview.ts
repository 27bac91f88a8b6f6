// Preview: a parsed Statement against the account's existing rows. Validates
// the statement, runs duplicate detection, projects the balance check, and
// stores the batch (status previewed) with one import_rows row per statement
// row, so commit is "commit batch X" and writes exactly what was shown.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Actor } from '../../auth/actor.ts';
import type { ImportDecision } from '../../db/schema-parts/imports.ts';
import type { Database } from '../../db/schema.ts';
import { isCurrencyCode, type CurrencyCode } from '../../money/currencies.ts';
import { isInRange, toDecimalString, type Minor } from '../../money/money.ts';
import { AppError } from '../../shared/app-error.ts';
import { isCalendarDate } from '../../shared/ids.ts';
import type { Statement } from '../statement.ts';
import { matchRows, type ExistingRow, type FileRow } from './dedupe.ts';
import * as repo from './imports.repository.ts';
import { uuid7Sequence } from './uuid7.ts';
import type { BalanceCheck } from './views.ts';

/** How far outside the statement's dates a bank id is still looked up (to report conflicts). */
export const BANK_ID_HORIZON_DAYS = 180;
/** The fingerprint of a statement with no row to match (nothing was looked at). */
export const EMPTY_FINGERPRINT = 'none';
const MAX_TEXT = 1000;

export interface PreviewMeta {
  fileName?: string | null | undefined;
  /** sha256 of the uploaded bytes, lower-case hex. */
  fileHash?: string | null | undefined;
  /** Defaults to statement.format. */
  format?: string | undefined;
  sizeBytes?: number | undefined;
  /** The CSV options to save for this account when the batch is committed. */
  csvMapping?: Record<string, unknown> | null | undefined;
}

export interface AccountForImport {
  id: string;
  ledger_id: string;
  name: string;
  currency: string;
}

export type ProgressFn = (p: { phase: 'parse' | 'match' | 'store' | 'write'; done: number; total: number }) => void;

const clip = (s: string | undefined | null, n = MAX_TEXT) => {
  const t = s?.trim();
  return t ? (t.length > n ? t.slice(0, n) : t) : null;
};


export function amountFormatter(currency: string): (m: bigint) => string {
  return isCurrencyCode(currency) ? (m) => toDecimalString(m as Minor, currency as CurrencyCode) : (m) => m.toString();
}

/** The stated closing balance to check and its as-of date (latest closing; else undefined). */
export function closingBalance(st: Statement): { amount: bigint; date: string; note?: string } | undefined {
  const closings = st.balances.filter((b) => b.kind === 'closing');
  if (closings.length === 0) return undefined;
  const lastTx = st.transactions.reduce<string | undefined>((m, t) => (m === undefined || t.postedOn > m ? t.postedOn : m), undefined);
  const dated = closings.filter((b) => b.date !== undefined && isCalendarDate(b.date)).sort((a, b) => (a.date! < b.date! ? -1 : 1));
  const chosen = dated[dated.length - 1];
  if (chosen) return { amount: chosen.amountMinor, date: chosen.date! };
  const date = (st.period?.end && isCalendarDate(st.period.end) ? st.period.end : undefined) ?? lastTx;
  if (!date) return undefined;
  return { amount: closings[closings.length - 1]!.amountMinor, date, note: `the file gives no date for its closing balance; compared as of ${date} (${st.period?.end ? 'end of the statement period' : 'its last transaction'})` };
}

export function balanceCheck(basis: BalanceCheck['basis'], closing: ReturnType<typeof closingBalance>, finhub: bigint | undefined): BalanceCheck {
  if (!closing || finhub === undefined) return { status: 'not_stated', basis, as_of: null, stated_minor: null, finhub_minor: null, difference_minor: null };
  const diff = finhub - closing.amount;
  return {
    status: diff === 0n ? 'match' : 'mismatch',
    basis,
    as_of: closing.date,
    stated_minor: Number(closing.amount),
    finhub_minor: Number(finhub),
    difference_minor: Number(diff),
    ...(closing.note ? { note: closing.note } : {}),
  };
}

/** Throws a 422 naming the line when the statement has a row finhub cannot store. */
function checkRows(st: Statement) {
  st.transactions.forEach((t, i) => {
    const where = { line: t.sourceLine, row: i };
    if (!isCalendarDate(t.postedOn)) throw new AppError('IMPORT_MALFORMED_FILE', `line ${t.sourceLine}: date ${JSON.stringify(t.postedOn)} is not a calendar date between 1900 and 2999`, { details: { ...where, expected: 'a date' } });
    if (typeof t.amountMinor !== 'bigint' || !isInRange(t.amountMinor)) throw new AppError('IMPORT_AMOUNT_INVALID', `line ${t.sourceLine}: amount ${String(t.amountMinor)} is outside ±9007199254740991 minor units`, { details: { ...where, expected: 'an amount within range' } });
  });
  for (const b of st.balances) {
    if (!isInRange(b.amountMinor)) throw new AppError('IMPORT_AMOUNT_INVALID', `a stated ${b.kind} balance is outside ±9007199254740991 minor units`, { details: { expected: 'an amount within range' } });
  }
}

export interface PreviewResult {
  batchId: string;
}

/**
 * Runs duplicate detection and stores the preview. `ex` is the database (the
 * writes open their own transaction). Throws AppError for a statement that
 * cannot go into this account (currency, bad rows).
 */
export async function createPreview(
  db: Kysely<Database>,
  actor: Actor,
  account: AccountForImport,
  st: Statement,
  meta: PreviewMeta,
  opts: { windowDays: number; ttlHours: number; onProgress?: ProgressFn | undefined },
): Promise<PreviewResult> {
  const fileCurrency = st.account.currency?.trim().toUpperCase();
  if (fileCurrency && fileCurrency !== account.currency) {
    throw new AppError('CURRENCY_MISMATCH', `the file is in ${fileCurrency} but account "${account.name}" is in ${account.currency}; import it into an account in ${fileCurrency}`, {
      details: { file_currency: fileCurrency, account_currency: account.currency },
    });
  }
  checkRows(st);
  const w = opts.windowDays;
  const fmt = amountFormatter(account.currency);
  const txs = st.transactions;
  const total = txs.length;
  opts.onProgress?.({ phase: 'match', done: 0, total });

  // Rows in another currency than the account cannot be stored as they are;
  // zero-amount rows (notices, rate changes, authorisation checks) move no money.
  const foreign = txs.map((t) => t.currency !== undefined && t.currency.toUpperCase() !== account.currency);
  const zero = txs.map((t, i) => !foreign[i] && t.amountMinor === 0n);
  const idx: number[] = [];
  const fileRows: FileRow[] = [];
  txs.forEach((t, i) => {
    if (foreign[i] || zero[i]) return;
    idx.push(i);
    fileRows.push({ postedOn: t.postedOn, amountMinor: t.amountMinor, payee: clip(t.payee) ?? undefined, memo: clip(t.memo) ?? undefined, bankId: clip(t.bankId, 255) ?? undefined, pending: t.pending === true });
  });

  let existing: ExistingRow[] = [];
  let fingerprint = EMPTY_FINGERPRINT;
  const q = repo.candidateQuery(account.id, fileRows, w, Math.max(w, BANK_ID_HORIZON_DAYS));
  if (q) {
    // One snapshot for the rows and their fingerprint; commit refuses if the fingerprint changed.
    ({ rows: existing, fingerprint } = await db.transaction().setIsolationLevel('repeatable read').execute((tx) => repo.fetchCandidates(tx, q)));
  }
  const decisions = matchRows(fileRows, existing, { accountId: account.id, windowDays: w, formatAmount: fmt });
  opts.onProgress?.({ phase: 'match', done: total, total });

  const nextId = uuid7Sequence();
  const rows: repo.ImportRowInsert[] = txs.map((t, i) => ({
    rowIndex: i,
    sourceLine: Number.isInteger(t.sourceLine) && t.sourceLine > 0 && t.sourceLine < 2 ** 31 ? t.sourceLine : 0,
    postedOn: t.postedOn,
    amountMinor: t.amountMinor,
    payee: clip(t.payee),
    memo: clip(t.memo, 10_000),
    bankId: clip(t.bankId, 255),
    checkNumber: clip(t.checkNumber, 100),
    pending: t.pending === true,
    kind: clip(t.kind, 100),
    decision: 'skipped' as ImportDecision,
    reasonCode: zero[i] ? 'zero_amount' : 'foreign_currency',
    reason: zero[i] ? 'the amount is zero; nothing to import (import it with an override if it matters)' : `the row is in ${t.currency ?? '?'} but the account is in ${account.currency}`,
    matchedId: null,
    txId: zero[i] ? nextId() : null,
  }));
  decisions.forEach((d, j) => {
    const r = rows[idx[j]!]!;
    r.decision = d.decision;
    r.reasonCode = d.reasonCode;
    r.reason = d.reason;
    r.matchedId = d.matchedId ?? null;
    // The id a new row gets at commit (also for rows the user may force in).
    r.txId = d.decision === 'replace_pending' ? null : nextId();
  });

  // Balance as finhub would show it after commit.
  const closing = closingBalance(st);
  let projected: bigint | undefined;
  if (closing) {
    projected = await repo.balanceAsOf(db, account.id, closing.date);
    decisions.forEach((d, j) => {
      const f = fileRows[j]!;
      if (d.decision === 'new' && f.postedOn <= closing.date) projected! += f.amountMinor;
      if (d.decision === 'replace_pending') {
        const e = existing[d.matched!]!;
        if (e.postedOn <= closing.date) projected! -= e.amountMinor;
        if (f.postedOn <= closing.date) projected! += f.amountMinor;
      }
    });
  }
  const check = balanceCheck('projected', closing, projected);
  // Matching is done: let the candidate rows go before the rows are written (peak memory on big files).
  existing.length = 0;
  fileRows.length = 0;
  decisions.length = 0;

  const counts = { new: 0, duplicate: 0, conflict: 0, skipped: 0, replace_pending: 0 } as Record<ImportDecision, number>;
  for (const r of rows) counts[r.decision]++;

  const warnings = [...st.warnings];
  const [earlier, lastIdentity] = await Promise.all([
    meta.fileHash
      ? db.selectFrom('import_batches').select(['id', 'committed_at']).where('account_id', '=', account.id).where('file_sha256', '=', meta.fileHash).where('status', '=', 'committed').orderBy('committed_at', 'desc').limit(3).execute()
      : Promise.resolve([]),
    db.selectFrom('import_batches').select(['statement_account']).where('account_id', '=', account.id).where('status', '=', 'committed').orderBy('committed_at', 'desc').limit(1).executeTakeFirst(),
  ]);
  if (earlier.length > 0) warnings.push(`this exact file was already imported into "${account.name}" (batch ${earlier.map((e) => e.id).join(', ')}); its rows show as duplicates`);
  const previousAccountId = (lastIdentity?.statement_account as { account_id?: string | null } | undefined)?.account_id;
  if (st.account.accountId && previousAccountId && previousAccountId !== st.account.accountId) {
    warnings.push(`the file is for bank account ${st.account.accountId}, but the last import into "${account.name}" came from ${previousAccountId}; check that this is the right account`);
  }
  if (foreign.some(Boolean)) warnings.push(`${foreign.filter(Boolean).length} row(s) in another currency than ${account.currency} are skipped`);
  if (zero.some(Boolean)) warnings.push(`${zero.filter(Boolean).length} row(s) with a zero amount are skipped`);

  const batchId = randomUUID();
  opts.onProgress?.({ phase: 'store', done: 0, total });
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('import_batches')
      .values({
        id: batchId,
        ledger_id: account.ledger_id,
        account_id: account.id,
        status: 'previewed',
        file_name: clip(meta.fileName, 500),
        file_sha256: meta.fileHash ?? null,
        format: meta.format ?? st.format,
        encoding: JSON.stringify(st.encoding),
        size_bytes: BigInt(meta.sizeBytes ?? 0),
        currency: account.currency,
        statement_account: JSON.stringify({ bank_id: st.account.bankId ?? null, account_id: st.account.accountId ?? null, type: st.account.type ?? null, currency: st.account.currency ?? null }),
        stated_balances: JSON.stringify(st.balances.map((b) => ({ kind: b.kind, amount_minor: b.amountMinor.toString(), ...(b.date ? { date: b.date } : {}) }))),
        period_start: st.period?.start && isCalendarDate(st.period.start) ? st.period.start : null,
        period_end: st.period?.end && isCalendarDate(st.period.end) ? st.period.end : null,
        dedupe_window_days: w,
        count_total: total,
        count_new: counts.new,
        count_duplicate: counts.duplicate,
        count_conflict: counts.conflict,
        count_skipped: counts.skipped,
        count_pending_replaced: counts.replace_pending,
        balance_check: JSON.stringify(check),
        csv_mapping: meta.csvMapping ? JSON.stringify(meta.csvMapping) : null,
        warnings: JSON.stringify(warnings.slice(0, 200)),
        candidates_fingerprint: fingerprint,
        created_by: actor.userId,
        expires_at: sql<Date>`now() + make_interval(hours => ${opts.ttlHours}::int)`,
      })
      .execute();
    await repo.insertImportRows(tx, batchId, rows);
  });
  opts.onProgress?.({ phase: 'store', done: total, total });
  return { batchId };
}
