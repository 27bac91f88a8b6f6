// TypeBox schemas of the import routes (request validation, response
// serialisation and the OpenAPI document).
import { Type } from '@sinclair/typebox';
import { DateOnly, MinorUnits, Timestamp, Uuid } from '../../http/schemas.ts';
import { IMPORT_FORMATS } from '../statement.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const NullableStr = Type.Union([Type.String(), Type.Null()]);
const JsonObject = Type.Object({}, { additionalProperties: true });

// A string rather than an enum, so an unknown value gets IMPORT_UNSUPPORTED_FORMAT listing the formats, as from a form field.
export const FormatParam = Type.String({ maxLength: 40, description: `file format: auto (default, detected from the content) or one of ${IMPORT_FORMATS.join(', ')}` });
export const Decision = Type.Union([Type.Literal('new'), Type.Literal('duplicate'), Type.Literal('conflict'), Type.Literal('skipped'), Type.Literal('replace_pending')]);
export const BatchStatus = Type.Union([Type.Literal('previewed'), Type.Literal('committed'), Type.Literal('undone'), Type.Literal('expired')]);

export const ImportRow = Type.Object({
  index: Type.Integer({ description: '0-based position in the statement' }),
  source_line: Type.Integer({ description: '1-based line in the file where the row starts (0 when unknown)' }),
  posted_on: DateOnly,
  amount_minor: MinorUnits,
  amount: Type.String({ description: 'decimal text of amount_minor' }),
  payee: NullableStr,
  memo: NullableStr,
  bank_id: NullableStr,
  check_number: NullableStr,
  pending: Type.Boolean(),
  kind: NullableStr,
  decision: Decision,
  proposed: Decision,
  reason_code: Type.String({ description: 'bank_id, bank_id_posted, bank_id_conflict, amount_date_payee, amount_date, pending_posted, pending_posted_linked, pending_posted_reconciled, no_match, twin_rows, different_bank_id, foreign_currency, zero_amount, override_skip, override_import' }),
  reason: Type.String(),
  matched_transaction_id: Nullable(Uuid),
  transaction_id: Nullable(Uuid),
});

const BalanceCheck = Type.Object({
  status: Type.Union([Type.Literal('match'), Type.Literal('mismatch'), Type.Literal('not_stated')]),
  basis: Type.Union([Type.Literal('projected'), Type.Literal('actual')]),
  as_of: Type.Union([DateOnly, Type.Null()]),
  stated_minor: NullableInt,
  finhub_minor: NullableInt,
  difference_minor: Type.Union([Type.Integer({ description: 'finhub minus stated, minor units' }), Type.Null()]),
  note: Type.Optional(Type.String()),
});

const TransferSuggestion = Type.Object({
  transaction_id: Uuid,
  account_id: Uuid,
  posted_on: DateOnly,
  amount_minor: MinorUnits,
  peer_id: Uuid,
  peer_account_id: Uuid,
  peer_account_name: Type.String(),
  peer_posted_on: DateOnly,
  peer_amount_minor: MinorUnits,
  days_apart: Type.Integer(),
});

const UndoReport = Type.Object({
  forced: Type.Boolean(),
  deleted: Type.Integer(),
  kept: Type.Array(Type.Object({ transaction_id: Uuid, row_index: NullableInt, changes: Type.Array(Type.String()) })),
  restored_pending: Type.Integer(),
  not_restored: Type.Array(Type.Object({ transaction_id: Type.String(), reason: Type.String() })),
  opening_restored: Type.Boolean(),
});

const batchProps = {
  id: Uuid,
  ledger_id: Uuid,
  account_id: Nullable(Uuid),
  status: BatchStatus,
  format: NullableStr,
  encoding: Type.Union([Type.Object({ used: Type.String(), declared: NullableStr, note: NullableStr }), Type.Null()]),
  file_name: NullableStr,
  file_sha256: NullableStr,
  size_bytes: Type.Integer(),
  currency: NullableStr,
  statement_account: Type.Object({ bank_id: NullableStr, account_id: NullableStr, type: NullableStr, currency: NullableStr }, { description: 'account identity as the file states it' }),
  period: Type.Object({ start: Type.Union([DateOnly, Type.Null()]), end: Type.Union([DateOnly, Type.Null()]) }),
  stated_balances: Type.Array(Type.Object({ kind: Type.String(), amount_minor: MinorUnits, date: Type.Union([DateOnly, Type.Null()]) })),
  dedupe_window_days: Type.Integer(),
  counts: Type.Object({ total: Type.Integer(), new: Type.Integer(), duplicate: Type.Integer(), conflict: Type.Integer(), skipped: Type.Integer(), pending_replaced: Type.Integer() }),
  balance_check: Type.Union([BalanceCheck, Type.Null()]),
  warnings: Type.Array(Type.String()),
  csv_mapping: Type.Union([JsonObject, Type.Null()], { description: 'CSV options used (saved for the account on commit)' }),
  transfer_suggestions: Type.Array(TransferSuggestion),
  undo: Type.Union([UndoReport, Type.Null()]),
  created_at: Timestamp,
  created_by: Nullable(Uuid),
  expires_at: Type.Union([Timestamp, Type.Null()]),
  committed_at: Type.Union([Timestamp, Type.Null()]),
  undone_at: Type.Union([Timestamp, Type.Null()]),
};

export const ImportBatch = Type.Object(batchProps);
export const ImportView = Type.Object({
  ...batchProps,
  rows: Type.Array(ImportRow, { description: 'the first rows; page through the rest with GET …/imports/{batch}/rows' }),
  rows_next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const UploadQuery = Type.Object({
  account_id: Type.Optional(Type.String({ maxLength: 64, description: 'target account (raw octet-stream uploads; multipart and JSON bodies carry it as a field)' })),
  format: Type.Optional(FormatParam),
  file_name: Type.Optional(Type.String({ maxLength: 500 })),
  csv: Type.Optional(Type.String({ maxLength: 20_000, description: 'CSV options as JSON (see docs/imports.md)' })),
  dedupe_window_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
  statement: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'for a file holding several statements (one per bank account): the 1-based statement number or the bank account id (or its last digits); default: the account this finhub account imported before, else the first with transactions' })),
  rows_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'rows included in the response (default 100)' })),
});

export const UploadJsonBody = Type.Object(
  {
    account_id: Type.String({ maxLength: 64 }),
    content_base64: Type.String({ description: 'the file, base64-encoded' }),
    file_name: Type.Optional(Type.String({ maxLength: 500 })),
    format: Type.Optional(FormatParam),
    csv: Type.Optional(JsonObject),
    dedupe_window_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
    statement: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'for a file holding several statements (one per bank account): the 1-based statement number or the bank account id (or its last digits); default: the account this finhub account imported before, else the first with transactions' })),
  },
  { additionalProperties: false },
);

export const CommitBody = Type.Object(
  {
    overrides: Type.Optional(
      Type.Array(
        Type.Object({ row: Type.Integer({ minimum: 0, description: 'row index' }), action: Type.Union([Type.Literal('skip'), Type.Literal('import')], { description: 'skip: leave the row out; import: import it as new although it was matched' }) }, { additionalProperties: false }),
        { maxItems: 100_000 },
      ),
    ),
  },
  { additionalProperties: false },
);

export const TransfersBody = Type.Object(
  {
    pairs: Type.Optional(Type.Array(Type.Object({ transaction_id: Type.String({ maxLength: 64 }), peer_id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }), { maxItems: 1000, description: 'pairs to link; omitted = every current suggestion of the batch' })),
  },
  { additionalProperties: false },
);

export const TransfersResult = Type.Object({
  results: Type.Array(Type.Object({ transaction_id: Type.String(), peer_id: Type.String(), linked: Type.Boolean(), posted_on: Type.Optional(DateOnly), reason: Type.Optional(Type.String()) })),
});

export const UndoResult = Type.Object({
  batch_id: Uuid,
  status: Type.Union([Type.Literal('discarded'), Type.Literal('undone')]),
  undo: Type.Union([UndoReport, Type.Null()]),
});

export const BatchParams = Type.Object({ ledgerId: Type.String({ maxLength: 64 }), batchId: Type.String({ maxLength: 64 }) });
