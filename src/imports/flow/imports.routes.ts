// /api/v1/ledgers/{ledgerId}/imports: upload (preview), commit, undo, list,
// rows, transfer linking. The upload accepts multipart/form-data (a browser or
// curl -F), a raw application/octet-stream body with query parameters
// (scripts), or JSON with the file base64-encoded. Multipart and the raw body
// parser are registered in this plugin's scope only.
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Container } from '../../app/container.ts';
import { requireActor } from '../../http/plugins/auth.ts';
import { LedgerParams, Page, PageQuery } from '../../http/schemas.ts';
import { AppError, invalid } from '../../shared/app-error.ts';
import { readCsvMapping, type CsvOptions } from '../csv/options.ts';
import { ImportError } from '../errors.ts';
import { IMPORT_FORMATS, type ImportFormat } from '../statement.ts';
import { importErrorToAppError } from './import-errors.ts';
import { MAX_ROWS_PAGE } from './imports.service.ts';
import {
  BatchParams, BatchStatus, CommitBody, Decision, ImportBatch, ImportRow, ImportView, TransfersBody, TransfersResult, UndoResult, UploadJsonBody, UploadQuery,
} from './imports.schemas.ts';

interface Upload {
  accountId: string | undefined;
  bytes: Uint8Array | undefined;
  fileName: string | undefined;
  format: string | undefined;
  csv: unknown;
  dedupeWindowDays: number | undefined;
  statement?: string | undefined;
}

function tooLarge(max: number): AppError {
  return importErrorToAppError(new ImportError('FILE_TOO_LARGE', `the file is larger than ${max} bytes (FINHUB_IMPORT_MAX_BYTES)`, { expected: `at most ${max} bytes` }));
}

function csvOptions(field: string, raw: unknown): CsvOptions | undefined {
  if (raw === undefined || raw === '') return undefined;
  let v = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      throw invalid(field, 'must be a JSON object of CSV options');
    }
  }
  const m = readCsvMapping(typeof v === 'object' && v !== null && !Array.isArray(v) ? { version: 1, ...(v as object) } : undefined);
  if (!m) throw invalid(field, 'is not a valid set of CSV options (see docs/imports.md: delimiter, hasHeader, skipRows, decimal, dateFormat, columns, amountSign, directionValues, pendingValues, currency)');
  const { version: _v, headerSignature: _h, ...opts } = m;
  return opts;
}

function windowDays(field: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : /^\d{1,3}$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 60) throw invalid(field, 'must be a whole number of days from 0 to 60');
  return n;
}

async function readMultipart(req: FastifyRequest, max: number): Promise<Upload> {
  const out: Upload = { accountId: undefined, bytes: undefined, fileName: undefined, format: undefined, csv: undefined, dedupeWindowDays: undefined };
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (out.bytes) {
          part.file.resume();
          throw invalid('/body/file', 'send exactly one file per upload');
        }
        out.bytes = await part.toBuffer();
        out.fileName ??= part.filename || undefined;
      } else {
        const value = typeof part.value === 'string' ? part.value : String(part.value);
        if (part.fieldname === 'account_id') out.accountId = value;
        else if (part.fieldname === 'format') out.format = value;
        else if (part.fieldname === 'file_name') out.fileName = value;
        else if (part.fieldname === 'csv') out.csv = value;
        else if (part.fieldname === 'dedupe_window_days') out.dedupeWindowDays = windowDays('/body/dedupe_window_days', value);
        else if (part.fieldname === 'statement') {
          if (value.trim().length < 1 || value.length > 64) throw invalid('/body/statement', 'must be a statement number or a bank account id of 1-64 characters');
          out.statement = value;
        } else throw invalid(`/body/${part.fieldname}`, 'is not a known field (account_id, format, file_name, csv, dedupe_window_days, statement, file)');
      }
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(max);
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new AppError('VALIDATION_FAILED', 'too many parts in the upload: send the fields and one file');
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_NO_FORM_DATA') throw new AppError('MALFORMED_REQUEST', 'the multipart body could not be read');
    throw e;
  }
  return out;
}

export const importsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const s = c.imports;
  const max = c.config.importMaxBytes;
  await app.register(multipart, { limits: { fileSize: max, files: 1, fields: 10, fieldSize: 100_000, parts: 12 }, throwFileSizeLimit: true });
  // Raw uploads for scripts (curl --data-binary @file -H 'content-type: application/octet-stream').
  app.addContentTypeParser('application/octet-stream', { bodyLimit: max + 1 }, async (_req: FastifyRequest, payload: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw tooLarge(max);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  });

  const base = '/ledgers/:ledgerId/imports';
  app.post(base, {
    // JSON carries the file base64-encoded (a third larger), so its limit is raised for this route.
    bodyLimit: Math.ceil((max * 4) / 3) + 65_536,
    // A body refused while it is read is a file too large, said with the import's own code;
    // everything else goes on to the app's error handler.
    errorHandler: (err) => {
      throw (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooLarge(max) : err;
    },
    schema: {
      tags: ['imports'],
      summary: 'Upload a statement file; returns the preview (nothing is imported until commit)',
      description: 'multipart/form-data with fields account_id, format, csv (JSON), dedupe_window_days, statement and one file; or application/octet-stream with those as query parameters; or JSON with content_base64. Rows are decided new / duplicate / conflict / skipped / replace_pending, each with a reason.',
      params: LedgerParams,
      querystring: UploadQuery,
      consumes: ['multipart/form-data', 'application/octet-stream', 'application/json'],
      body: { content: { 'application/json': { schema: UploadJsonBody } } } as unknown as typeof UploadJsonBody,
      response: { 201: ImportView },
    },
  }, async (req, reply) => {
    const actor = requireActor(req);
    const q = req.query;
    let up: Upload;
    if (req.isMultipart()) {
      up = await readMultipart(req, max);
    } else if (Buffer.isBuffer(req.body)) {
      up = { accountId: undefined, bytes: req.body, fileName: undefined, format: undefined, csv: undefined, dedupeWindowDays: undefined };
    } else {
      const body = req.body as { account_id?: string; content_base64?: string; file_name?: string; format?: string; csv?: unknown; dedupe_window_days?: number; statement?: string } | undefined;
      if (!body || typeof body.content_base64 !== 'string') throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the file as multipart/form-data, application/octet-stream, or JSON with content_base64');
      if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(body.content_base64)) throw invalid('/body/content_base64', 'is not base64');
      up = { accountId: body.account_id, bytes: Buffer.from(body.content_base64, 'base64'), fileName: body.file_name, format: body.format, csv: body.csv, dedupeWindowDays: body.dedupe_window_days, statement: body.statement };
    }
    const accountId = up.accountId ?? q.account_id;
    if (!accountId) throw invalid('/body/account_id', 'is required (a form field, a JSON property, or ?account_id= for raw uploads)');
    if (!up.bytes) throw invalid('/body/file', 'is required: attach the statement file');
    const format = up.format ?? q.format;
    if (format !== undefined && format !== 'auto' && !(IMPORT_FORMATS as readonly string[]).includes(format)) {
      throw importErrorToAppError(new ImportError('UNSUPPORTED_FORMAT', `unknown format "${format}"; supported formats are ${IMPORT_FORMATS.join(', ')} (or auto)`, { expected: `auto or one of ${IMPORT_FORMATS.join(', ')}` }));
    }
    const view = await s.previewUpload(actor, req.params.ledgerId, {
      accountId,
      bytes: up.bytes,
      fileName: up.fileName ?? q.file_name,
      format: format as ImportFormat | 'auto' | undefined,
      csv: csvOptions(up.csv !== undefined ? '/body/csv' : '/query/csv', up.csv ?? q.csv),
      dedupeWindowDays: up.dedupeWindowDays ?? windowDays('/query/dedupe_window_days', q.dedupe_window_days),
      statement: up.statement ?? q.statement,
      rowsLimit: q.rows_limit,
    });
    return reply.code(201).send(view);
  });

  app.get(base, {
    schema: {
      tags: ['imports'], summary: 'Import batches of the ledger, newest first', params: LedgerParams,
      querystring: Type.Object({ ...PageQuery, account_id: Type.Optional(Type.String({ maxLength: 64 })), status: Type.Optional(BatchStatus) }),
      response: { 200: Page(ImportBatch) },
    },
  }, async (req) => s.list(requireActor(req), req.params.ledgerId, { cursor: req.query.cursor, limit: req.query.limit, accountId: req.query.account_id, status: req.query.status }));

  app.get(`${base}/:batchId`, {
    schema: { tags: ['imports'], summary: 'One import batch with its first rows', params: BatchParams, querystring: Type.Object({ rows_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ROWS_PAGE })) }), response: { 200: ImportView } },
  }, async (req) => s.get(requireActor(req), req.params.ledgerId, req.params.batchId, { rowsLimit: req.query.rows_limit }));

  app.get(`${base}/:batchId/rows`, {
    schema: {
      tags: ['imports'], summary: 'Rows of an import batch in statement order, optionally of one decision', params: BatchParams,
      querystring: Type.Object({ decision: Type.Optional(Decision), cursor: Type.Optional(Type.String({ maxLength: 400 })), limit: Type.Integer({ minimum: 1, maximum: MAX_ROWS_PAGE, default: 100 }) }),
      response: { 200: Page(ImportRow) },
    },
  }, async (req) => s.rows(requireActor(req), req.params.ledgerId, req.params.batchId, req.query));

  // A POST without a body means "no options"; validate it as {}.
  const emptyBody = async (req: FastifyRequest) => {
    if (req.body === undefined || req.body === null) req.body = {};
  };

  app.post(`${base}/:batchId/commit`, {
    preValidation: emptyBody,
    schema: {
      tags: ['imports'], summary: 'Commit a preview: all rows or none (optionally skip rows or force matched rows in)', params: BatchParams,
      querystring: Type.Object({ rows_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ROWS_PAGE })) }),
      body: CommitBody, response: { 200: ImportView },
    },
  }, async (req) => s.commit(requireActor(req), req.params.ledgerId, req.params.batchId, { overrides: req.body.overrides?.map((o) => ({ rowIndex: o.row, action: o.action })), rowsLimit: req.query.rows_limit }));

  app.delete(`${base}/:batchId`, {
    schema: {
      tags: ['imports'], summary: 'Undo a committed import (edited rows are kept unless force=true), or discard a preview', params: BatchParams,
      querystring: Type.Object({ force: Type.Optional(Type.Boolean({ description: 'also delete rows edited since the import' })) }),
      response: { 200: UndoResult },
    },
  }, async (req) => s.undo(requireActor(req), req.params.ledgerId, req.params.batchId, { force: req.query.force }));

  app.post(`${base}/:batchId/transfers`, {
    preValidation: emptyBody,
    schema: { tags: ['imports'], summary: 'Link suggested transfer pairs (all current suggestions when no pairs are given)', params: BatchParams, body: TransfersBody, response: { 200: TransfersResult } },
  }, async (req) => s.linkTransfers(requireActor(req), req.params.ledgerId, req.params.batchId, { pairs: req.body.pairs?.map((p) => ({ transactionId: p.transaction_id, peerId: p.peer_id })) }));
};
