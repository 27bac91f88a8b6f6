// The one entry point from bytes to a normalized Statement: safety limits and
// archive unwrapping, charset decoding, format sniffing, dispatch.
//
// Files with several accounts (OFX with several STMTRS, QIF with several
// !Account registers, CAMT with several <Stmt>): parseStatements returns one
// Statement per account; parseStatement returns the one to import. For OFX
// and CAMT, statements of the same account are merged first (a bank that puts
// every billing cycle or every day in its own statement); of the remaining
// accounts parseStatement takes the first that has transactions (else the
// first) and names the others in a warning. Nothing here throws anything but
// ImportError for bad input.
import { parseCamt053, parseCamt053All } from './camt/camt053.ts';
import { parseCsv } from './csv/csv.ts';
import type { CsvOptions } from './csv/options.ts';
import { detectFormat, SUPPORTED_FORMATS_TEXT } from './detect.ts';
import { decodeBytes, sniffDeclaredCharset } from './encoding.ts';
import { ImportError } from './errors.ts';
import { parseOfx } from './ofx/ofx.ts';
import { parseQif, type QifDateOrder } from './qif/qif.ts';
import { unpack } from './safety.ts';
import { IMPORT_FORMATS, type ImportFormat, type Statement } from './statement.ts';

export interface ParseOptions {
  format?: ImportFormat | 'auto';
  fileName?: string;
  /** The account's currency, used when the file does not state one. */
  currency?: string;
  /** Size limit for the upload and for its decompressed content; default 50 MB. */
  maxBytes?: number;
  /** Passed through to the CSV parser. */
  csv?: CsvOptions;
  /** QIF only: day/month order when the file's dates leave it open (default: month first as US Quicken writes, day first for dotted dates). */
  qifDateOrder?: QifDateOrder;
}

/** What the CAMT and CSV parsers receive next to the decoded text. */
export interface ParseContext {
  encoding: Statement['encoding'];
  currency?: string;
  csv?: CsvOptions;
  fileName?: string;
}

interface Prepared {
  text: string;
  format: ImportFormat;
  ctx: ParseContext;
  archiveNote?: string;
}

function checkFormatOption(format: unknown): ImportFormat | 'auto' {
  if (format === undefined || format === 'auto') return 'auto';
  if (typeof format === 'string' && (IMPORT_FORMATS as readonly string[]).includes(format)) return format as ImportFormat;
  throw new ImportError('UNSUPPORTED_FORMAT', `unknown format "${String(format)}"; supported formats are ${SUPPORTED_FORMATS_TEXT}`, {
    expected: `auto or one of ${IMPORT_FORMATS.join(', ')}`,
  });
}

function prepare(bytes: Uint8Array, opts: ParseOptions): Prepared {
  const wanted = checkFormatOption(opts.format);
  const unpacked = unpack(bytes, { maxBytes: opts.maxBytes, fileName: opts.fileName });
  const fileName = unpacked.innerName ?? opts.fileName;
  // QIF and CSV declare nothing; OFX headers and XML prologs are sniffed whatever the format, as they are unambiguous.
  const declared = wanted === 'qif' || wanted === 'csv' ? undefined : sniffDeclaredCharset(unpacked.bytes);
  const decoded = decodeBytes(unpacked.bytes, declared);
  const encoding: Statement['encoding'] = { used: decoded.used };
  if (decoded.declared !== undefined) encoding.declared = decoded.declared;
  if (decoded.note !== undefined) encoding.note = decoded.note;
  const format = wanted === 'auto' ? detectFormat(decoded.text, fileName) : wanted;
  const ctx: ParseContext = { encoding };
  if (opts.currency !== undefined) ctx.currency = opts.currency;
  if (opts.csv !== undefined) ctx.csv = opts.csv;
  if (fileName !== undefined) ctx.fileName = fileName;
  const out: Prepared = { text: decoded.text, format, ctx };
  if (unpacked.archive) out.archiveNote = `unpacked from a ${unpacked.archive} archive${unpacked.innerName ? ` (${unpacked.innerName})` : ''}`;
  return out;
}

function parseAll(p: Prepared, opts: ParseOptions): Statement[] {
  switch (p.format) {
    case 'ofx1':
    case 'ofx2':
    case 'qfx':
      return parseOfx(p.text, { ...p.ctx, formatHint: p.format });
    case 'qif':
      return parseQif(p.text, { encoding: p.ctx.encoding, currency: p.ctx.currency, dateOrder: opts.qifDateOrder });
    case 'camt053':
      return parseCamt053All(p.text, p.ctx);
    case 'csv':
      return [parseCsv(p.text, p.ctx)];
  }
}

function noteArchive(statements: Statement[], p: Prepared): void {
  if (p.archiveNote) for (const s of statements) s.warnings.unshift(p.archiveNote);
}

/** Every statement in the file (one per account section). */
export async function parseStatements(bytes: Uint8Array, opts: ParseOptions = {}): Promise<Statement[]> {
  const p = prepare(bytes, opts);
  const statements = parseAll(p, opts);
  noteArchive(statements, p);
  return statements;
}

/**
 * The statement to import when a file holds several: the first one with
 * transactions (the first one overall if none has any). The others are named
 * in a warning so the user knows to split the file or use another account.
 */
export function pickStatement(statements: Statement[]): Statement {
  const chosen = statements.find((s) => s.transactions.length > 0) ?? statements[0];
  if (!chosen) throw new ImportError('MALFORMED_FILE', 'the file holds no statement', { expected: 'at least one account statement' });
  if (statements.length > 1) {
    const others = statements
      .filter((s) => s !== chosen)
      .map((s) => `${s.account.accountId ?? '(no account id)'}${s.account.type ? ` ${s.account.type}` : ''}: ${s.transactions.length} transactions`);
    chosen.warnings.push(`the file holds ${statements.length} statements; imported the one for account ${chosen.account.accountId ?? '(no account id)'}, skipped ${others.join('; ')}`);
  }
  return chosen;
}

export async function parseStatement(bytes: Uint8Array, opts: ParseOptions = {}): Promise<Statement> {
  const p = prepare(bytes, opts);
  // CAMT has its own one-statement rule (consecutive same-account statements merged, others named in a warning).
  const statement = p.format === 'camt053' ? parseCamt053(p.text, p.ctx) : pickStatement(parseAll(p, opts));
  noteArchive([statement], p);
  return statement;
}
