// Errors a parser or the import flow raises for a file it cannot accept. Each has
// a stable code and says where (1-based line, or byte offset) and what was
// expected; the HTTP layer answers 422 (413 for size) problem+json with these
// fields, the CLI prints them. Nothing is written when one is thrown.

export type ImportErrorCode =
  | 'MALFORMED_FILE' // syntax error in a supported format
  | 'UNSUPPORTED_FORMAT' // not one of the supported formats
  | 'FILE_TOO_LARGE' // over FINHUB_IMPORT_MAX_BYTES (also after decompression)
  | 'UNSAFE_XML' // DOCTYPE entity declarations, external entities, entity expansion
  | 'ARCHIVE_BOMB' // compressed input whose expansion ratio or size is out of bounds
  | 'ENCODING' // bytes that cannot be decoded in any supported charset
  | 'CSV_MAPPING_REQUIRED' // CSV needs the user to choose (ambiguous date format, unknown columns)
  | 'CURRENCY_MISMATCH' // the file is for another currency than the account
  | 'AMOUNT_INVALID' // an amount that is not a decimal number or is out of range
  | 'STATEMENT_NOT_FOUND'; // the chosen statement of a multi-statement file does not exist

export class ImportError extends Error {
  readonly code: ImportErrorCode;
  readonly line: number | undefined;
  readonly offset: number | undefined;
  readonly expected: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ImportErrorCode, message: string, where: { line?: number; offset?: number; expected?: string; details?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'ImportError';
    this.code = code;
    this.line = where.line;
    this.offset = where.offset;
    this.expected = where.expected;
    this.details = where.details;
  }
}
