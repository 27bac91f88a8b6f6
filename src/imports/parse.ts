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
  /**
   * Which statement of a file that holds several (one per account): its
   * 1-based position, or the bank's account id (the full id or its last
   * digits). Unset: the one whose account id was imported into this account
   * before (preferAccountId), else the first with transactions.
   */
  statement?: string;
  /** The bank account id of this finhub account's previous import (see statement). */
  preferAccountId?: string;
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

/** "2) account 1234 CHECKING: 17 transactions" for messages. */
function describeStatements(statements: readonly Statement[]): string {
  return statements.map((s, i) => `${i + 1}) account ${s.account.accountId ?? '(no account id)'}${s.account.type ? ` ${s.account.type}` : ''}: ${s.transactions.length} transactions`).join('; ');
}

/**
 * The statement to import when a file holds several: the chosen one
 * (`selector`: 1-based position or bank account id, full or its last
 * digits), else the one for `preferAccountId` (what this finhub account
 * imported before), else the first one with transactions (the first one
 * overall if none has any). The others are named in a warning with how to
 * pick one of them.
 */
export function pickStatement(statements: Statement[], selector?: string, preferAccountId?: string): Statement {
  if (statements.length === 0) throw new ImportError('MALFORMED_FILE', 'the file holds no statement', { expected: 'at least one account statement' });
  let chosen: Statement | undefined;
  const sel = selector?.trim();
  if (sel) {
    const byIndex = /^\d{1,3}$/.test(sel) ? statements[Number(sel) - 1] : undefined;
    const byId = statements.filter((s) => s.account.accountId === sel);
    const bySuffix = statements.filter((s) => s.account.accountId?.endsWith(sel));
    chosen = byIndex ?? (byId.length === 1 ? byId[0] : bySuffix.length === 1 ? bySuffix[0] : undefined);
    if (!chosen) {
      const why = bySuffix.length > 1 ? `"${sel}" matches ${bySuffix.length} statements` : `no statement is number ${sel} or for account ${sel}`;
      throw new ImportError('STATEMENT_NOT_FOUND', `${why}; the file holds ${statements.length}: ${describeStatements(statements)}`, {
        expected: 'a statement number from 1 or a bank account id of the file',
        details: { statements: statements.map((s, i) => ({ number: i + 1, account_id: s.account.accountId ?? null, type: s.account.type ?? null, transactions: s.transactions.length })) },
      });
    }
  }
  chosen ??= (preferAccountId ? statements.find((s) => s.account.accountId === preferAccountId) : undefined) ?? statements.find((s) => s.transactions.length > 0) ?? statements[0]!;
  if (statements.length > 1) {
    const n = statements.indexOf(chosen) + 1;
    chosen.warnings.push(`the file holds ${statements.length} statements (${describeStatements(statements)}); imported number ${n}, for account ${chosen.account.accountId ?? '(no account id)'}; choose another with statement=N (CLI --statement N)`);
  }
  return chosen;
}

export async function parseStatement(bytes: Uint8Array, opts: ParseOptions = {}): Promise<Statement> {
  const p = prepare(bytes, opts);
  // CAMT has its own one-statement rule (consecutive same-account statements merged, others named in a warning).
  const statement = p.format === 'camt053' ? parseCamt053(p.text, p.ctx) : pickStatement(parseAll(p, opts), opts.statement, opts.preferAccountId);
  noteArchive([statement], p);
  return statement;
}
