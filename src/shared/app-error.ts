// Coded domain errors. Services throw AppError; one map (http/plugins/errors.ts)
// turns codes into HTTP status and problem+json, and the CLI turns them into a
// one-line reason and exit code. Nothing below the HTTP layer knows about HTTP.
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid' },
  MALFORMED_REQUEST: { status: 400, title: 'Request could not be read' },
  // Search/rule/report queries (src/query): the text does not parse or names something invalid; `position` says where.
  QUERY_INVALID: { status: 400, title: 'The query is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  SETUP_ALREADY_DONE: { status: 409, title: 'Setup is already complete' },
  SETUP_TOKEN_INVALID: { status: 403, title: 'Setup token is not valid' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  UNPROCESSABLE: { status: 422, title: 'Request cannot be carried out' },
  SPLIT_SUM_MISMATCH: { status: 422, title: 'Split parts do not sum to the transaction amount' },
  TRANSFER_INVALID: { status: 422, title: 'Transfer is not valid' },
  CURRENCY_MISMATCH: { status: 422, title: 'Currencies do not match' },
  // Money conversion (src/fx): no stored rate for the pair on or before the date; the problem names from_currency, to_currency, date.
  FX_RATE_MISSING: { status: 422, title: 'No exchange rate for the currency pair and date' },
  AMOUNT_OUT_OF_RANGE: { status: 422, title: 'Amount is outside the supported range' },
  // Statement imports (src/imports): the file could not be accepted; nothing was written.
  IMPORT_MALFORMED_FILE: { status: 422, title: 'The statement file is malformed' },
  IMPORT_UNSUPPORTED_FORMAT: { status: 422, title: 'The statement file is not in a supported format' },
  IMPORT_FILE_TOO_LARGE: { status: 413, title: 'The statement file is too large' },
  IMPORT_UNSAFE_XML: { status: 422, title: 'The statement file uses unsafe XML features' },
  IMPORT_ARCHIVE_BOMB: { status: 413, title: 'The compressed statement file expands too much' },
  IMPORT_ENCODING: { status: 422, title: 'The statement file cannot be decoded' },
  IMPORT_CSV_MAPPING_REQUIRED: { status: 422, title: 'The CSV file needs a column mapping' },
  IMPORT_AMOUNT_INVALID: { status: 422, title: 'The statement file has an invalid amount' },
  IMPORT_STATEMENT_NOT_FOUND: { status: 422, title: 'The file has no such statement' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  NOT_READY: { status: 503, title: 'Service not ready' },
  MAINTENANCE_MODE: { status: 503, title: 'Down for maintenance' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldProblem {
  /** JSON pointer-ish location, e.g. "/body/amount_minor" or "/query/cursor". */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldProblem[] | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, opts: { errors?: FieldProblem[]; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message ?? ERROR_CODES[code].title, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.errors = opts.errors;
    this.details = opts.details;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${field.split('/').pop()}: ${message}`, { errors: [{ field, message }] });
