// ImportError (parsers, safety checks) -> AppError (HTTP and CLI). The problem
// document carries where (line or byte offset), what was expected and the
// format; CSV_MAPPING_REQUIRED carries the parser's detection so a client can
// ask the user and retry with `csv` options.
import { AppError, type ErrorCode } from '../../shared/app-error.ts';
import { ImportError, type ImportErrorCode } from '../errors.ts';
import { IMPORT_FORMATS } from '../statement.ts';

const CODE: Record<ImportErrorCode, ErrorCode> = {
  MALFORMED_FILE: 'IMPORT_MALFORMED_FILE',
  UNSUPPORTED_FORMAT: 'IMPORT_UNSUPPORTED_FORMAT',
  FILE_TOO_LARGE: 'IMPORT_FILE_TOO_LARGE',
  UNSAFE_XML: 'IMPORT_UNSAFE_XML',
  ARCHIVE_BOMB: 'IMPORT_ARCHIVE_BOMB',
  ENCODING: 'IMPORT_ENCODING',
  CSV_MAPPING_REQUIRED: 'IMPORT_CSV_MAPPING_REQUIRED',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  AMOUNT_INVALID: 'IMPORT_AMOUNT_INVALID',
  STATEMENT_NOT_FOUND: 'IMPORT_STATEMENT_NOT_FOUND',
};

export function importErrorToAppError(e: ImportError, ctx: { format?: string | undefined; fileName?: string | undefined } = {}): AppError {
  const where = e.line !== undefined ? ` (line ${e.line})` : e.offset !== undefined ? ` (byte offset ${e.offset})` : '';
  const details: Record<string, unknown> = {};
  if (e.line !== undefined) details.line = e.line;
  if (e.offset !== undefined) details.offset = e.offset;
  if (e.expected !== undefined) details.expected = e.expected;
  if (ctx.format !== undefined) details.format = ctx.format;
  if (ctx.fileName !== undefined) details.file_name = ctx.fileName;
  if (e.code === 'UNSUPPORTED_FORMAT') details.supported_formats = [...IMPORT_FORMATS];
  if (e.details !== undefined) {
    if (e.code === 'CSV_MAPPING_REQUIRED') details.csv = e.details;
    else details.details = e.details;
  }
  const message = e.message.includes(`line ${e.line}`) || where === '' ? e.message : `${e.message}${where}`;
  return new AppError(CODE[e.code], message, { details, cause: e });
}

/** Runs fn, turning an ImportError into the matching AppError. */
export async function asAppError<T>(fn: () => Promise<T>, ctx: { format?: string | undefined; fileName?: string | undefined } = {}): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ImportError) throw importErrorToAppError(e, ctx);
    throw e;
  }
}
