// The one error map: AppError codes, Fastify's own errors and database errors
// all become RFC 9457 problem+json with a stable `code` and the request id.
// 5xx details are logged, never sent.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MoneyFormatError, MoneyRangeError } from '../../money/money.ts';
import { AppError, ERROR_CODES, type ErrorCode, type FieldProblem } from '../../shared/app-error.ts';

export const PROBLEM_TYPE_BASE = 'https://finhub.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  request_id: string;
  errors?: FieldProblem[];
  [k: string]: unknown;
}

interface PgError {
  code?: string;
  constraint?: string;
  message: string;
  detail?: string;
  column?: string;
}

function fromValidation(err: FastifyError): AppError {
  const ctx = err.validationContext ?? 'body';
  const errors = (err.validation ?? []).map((v) => {
    const base = `/${ctx}${v.instancePath}`;
    const p = v.params as Record<string, unknown>;
    if (v.keyword === 'required') return { field: `${base}/${String(p.missingProperty)}`, message: 'is required' };
    if (v.keyword === 'additionalProperties') return { field: `${base}/${String(p.additionalProperty)}`, message: 'is not a known property' };
    return { field: base, message: v.message ?? 'is not valid' };
  });
  const first = errors[0];
  return new AppError('VALIDATION_FAILED', first ? `${first.field}: ${first.message}` : err.message, { errors });
}

function fromPg(e: PgError): AppError | undefined {
  switch (e.code) {
    case '23505':
      return new AppError('CONFLICT', 'a record with the same unique value already exists', { details: { constraint: e.constraint } });
    case '23503':
      return new AppError('UNPROCESSABLE', 'a referenced record does not exist in this ledger', { details: { constraint: e.constraint } });
    case '23514':
      if (e.constraint === 'transactions_split_sum') return new AppError('SPLIT_SUM_MISMATCH', e.message);
      if (e.constraint === 'transactions_transfer_pair') return new AppError('TRANSFER_INVALID', e.message);
      return new AppError('UNPROCESSABLE', 'a value breaks a rule of the data', { details: { constraint: e.constraint } });
    case '22001':
      return new AppError('VALIDATION_FAILED', 'a text value is too long');
    case '22003':
      return new AppError('AMOUNT_OUT_OF_RANGE', 'a number is out of range');
    case '22007':
    case '22008':
      return new AppError('VALIDATION_FAILED', 'a date or time is not valid');
    case '22P02':
    case '22P05':
    case '22021':
      return new AppError('VALIDATION_FAILED', 'a value has the wrong form');
    case '40001':
    case '40P01':
      return new AppError('CONFLICT', 'the change collided with another one; retry it');
    default:
      return undefined;
  }
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CHARSET: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'MALFORMED_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'MALFORMED_REQUEST',
};

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof MoneyRangeError) return new AppError('AMOUNT_OUT_OF_RANGE', err.message);
  if (err instanceof MoneyFormatError) return new AppError('VALIDATION_FAILED', err.message);
  const fe = err as FastifyError & PgError;
  if (fe && typeof fe === 'object') {
    if (fe.validation) return fromValidation(fe);
    if (fe.code && FASTIFY_CODES[fe.code]) return new AppError(FASTIFY_CODES[fe.code]!, fe.message);
    if (err instanceof SyntaxError) return new AppError('MALFORMED_REQUEST', 'body is not valid JSON');
    const pgErr = typeof fe.code === 'string' && /^[0-9A-Z]{5}$/.test(fe.code) ? fromPg(fe) : undefined;
    if (pgErr) return pgErr;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const byStatus = (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => ERROR_CODES[c].status === fe.statusCode);
      return new AppError(byStatus ?? 'MALFORMED_REQUEST', fe.message);
    }
  }
  return new AppError('INTERNAL', 'internal error', { cause: err });
}

export function problemOf(e: AppError, req: FastifyRequest): Problem {
  const internal = e.status >= 500;
  return {
    type: PROBLEM_TYPE_BASE + e.code.toLowerCase().replaceAll('_', '-'),
    title: ERROR_CODES[e.code].title,
    status: e.status,
    detail: internal ? 'The server failed to handle this request; the request id identifies it in the logs.' : e.message,
    instance: req.url.split('?')[0] ?? req.url,
    code: e.code,
    request_id: req.id,
    ...(e.errors && !internal ? { errors: e.errors } : {}),
    ...(e.details && !internal ? e.details : {}),
  };
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, e: AppError) {
  return reply.code(e.status).header('x-request-id', req.id).type('application/problem+json').send(problemOf(e, req));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const e = toAppError(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: e.code, detail: e.message }, 'request rejected');
    return sendProblem(reply, req, e);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, new AppError('ROUTE_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)));
}
