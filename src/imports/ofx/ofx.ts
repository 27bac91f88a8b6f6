// OFX 1.x (SGML), OFX 2.x (XML) and QFX (OFX plus Intuit <INTU.*> tags) to
// Statements. One Statement per account: every STMTRS / CCSTMTRS / INVSTMTRS,
// with the statements of one account (same type, bank id, account id and
// currency: American Express writes one per billing cycle) merged, and
// several BANKTRANLISTs inside one statement merged too. Investment statements
// contribute their cash movements: INVBANKTRAN transactions, and BUY*/SELL*,
// INCOME, INVEXPENSE, MARGININTEREST, RETOFCAP by their TOTAL; share-only
// movements (TRANSFER, REINVEST, SPLIT, JRNL*, CLOSUREOPT) are skipped with a
// warning. Pending transactions come from BANKTRANLISTP/STMTTRNP.
// Strict where it matters (a transaction without a valid DTPOSTED or TRNAMT is
// MALFORMED_FILE with its line), lenient where banks are sloppy (empty or
// invalid balances and period dates are dropped with a warning; an empty
// <STMTTRN> is skipped with a warning; a TRNAMT of only "." reads as 0).
import { isCurrencyCode, currencyExponent } from '../../money/currencies.ts';
import { parseBankAmount } from '../amount.ts';
import { parseOfxDate } from '../calendar.ts';
import { ImportError } from '../errors.ts';
import { assertNoXmlEntities } from '../safety.ts';
import type { ImportFormat, StatedBalance, Statement, StatementTransaction } from '../statement.ts';
import { OfxBuilder, type StmtDraft } from './builder.ts';
import { checkOfxHeader } from './header.ts';
import { OfxScanner } from './scanner.ts';

export interface OfxContext {
  encoding: Statement['encoding'];
  /** Account currency, used when the file states none. */
  currency?: string;
  fileName?: string;
  /** What the caller or the sniffer thinks it is; 'qfx' is kept even without Intuit tags. */
  formatHint?: ImportFormat;
}

function exponentOf(code: string | undefined): number | undefined {
  return code !== undefined && isCurrencyCode(code) ? currencyExponent(code) : undefined;
}

/** OFX amounts never group digits; the decimal mark is '.' or, in some countries, ','. */
function ofxAmount(raw: string, exponent: number, line: number, what: string): bigint {
  const t = raw.trim();
  const decimal = t.includes(',') && !t.includes('.') ? ',' : t.includes(',') ? 'auto' : '.';
  try {
    return parseBankAmount(t, { exponent, decimal });
  } catch (e) {
    if (e instanceof ImportError) throw new ImportError('AMOUNT_INVALID', `line ${line}: ${what}: ${e.message}`, { line, expected: e.expected });
    throw e;
  }
}

function buildStatement(d: StmtDraft, b: OfxBuilder, ctx: OfxContext, format: ImportFormat): Statement {
  const warnings = d.warnings;
  const curdef = d.curdef?.trim().toUpperCase();
  let currency: string | undefined;
  if (curdef && isCurrencyCode(curdef)) currency = curdef;
  else {
    // Without CURDEF: the account currency, else the one currency every transaction names (non-standard CURRENCY leaves).
    const rowCodes = new Set(d.txns.map((t) => t.currency?.trim().toUpperCase()).filter((c): c is string => c !== undefined && isCurrencyCode(c)));
    const fromRows = rowCodes.size === 1 && d.txns.every((t) => t.empty || t.currency !== undefined) ? [...rowCodes][0] : undefined;
    const fallback = ctx.currency && isCurrencyCode(ctx.currency) ? ctx.currency : fromRows;
    const using = fallback ? `; using ${fallback === ctx.currency ? 'the account currency' : "the transactions' currency"} ${fallback}` : '';
    if (curdef) warnings.push(`line ${d.line}: CURDEF "${d.curdef}" is not an ISO 4217 currency code${using}`);
    else warnings.push(`the statement states no currency (empty or missing CURDEF)${using}`);
    currency = fallback;
  }
  const exponent = exponentOf(currency) ?? 2;
  if (!currency) warnings.push('no currency known: amounts read with 2 decimal places');

  const account: Statement['account'] = {};
  if (d.bankId) account.bankId = d.bankId;
  if (d.accountId) account.accountId = d.accountId;
  const type = d.tag === 'CCSTMTRS' ? 'CREDITCARD' : d.tag === 'INVSTMTRS' ? 'INVESTMENT' : d.acctType || undefined;
  if (type) account.type = type.toUpperCase();
  if (currency) account.currency = currency;

  const balances: StatedBalance[] = [];
  for (const bal of d.balances) {
    const label = bal.kind === 'closing' ? 'LEDGERBAL' : bal.kind === 'available' ? 'AVAILBAL' : 'INVBAL/AVAILCASH';
    if (bal.amount === undefined || bal.amount.trim() === '') {
      warnings.push(`line ${bal.line}: ${label} has no amount; ignored`);
      continue;
    }
    let amountMinor: bigint;
    try {
      amountMinor = ofxAmount(bal.amount, exponent, bal.line, label);
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
      warnings.push(`${e.message}; balance ignored`);
      continue;
    }
    const out: StatedBalance = { kind: bal.kind, amountMinor };
    const date = parseOfxDate(bal.date);
    if (date) out.date = date;
    else if (bal.date !== undefined && bal.date.trim() !== '') warnings.push(`line ${bal.line}: ${label} DTASOF "${bal.date}" is not a valid date; balance kept without a date`);
    balances.push(out);
  }

  const starts = d.starts.map(parseOfxDate).filter((x): x is string => x !== undefined).sort();
  const ends = d.ends.map(parseOfxDate).filter((x): x is string => x !== undefined).sort();
  const period: { start?: string; end?: string } = {};
  if (starts[0]) period.start = starts[0];
  if (ends.length > 0) period.end = ends[ends.length - 1];

  const transactions: StatementTransaction[] = [];
  let origCurrency = 0;
  let emptyTxns = 0;
  for (const t of d.txns) {
    if (t.empty) {
      emptyTxns += 1;
      continue;
    }
    const what = t.invKind && t.invKind !== 'INVBANKTRAN' ? t.invKind : 'STMTTRN';
    if (t.correctAction === 'DELETE') {
      warnings.push(`line ${t.line}: correction deleting transaction ${t.correctFitId ?? '(no CORRECTFITID)'} skipped; remove that transaction by hand if it was imported`);
      continue;
    }
    let postedOn = parseOfxDate(t.posted);
    if (!postedOn) {
      const user = parseOfxDate(t.user);
      if (user && (t.posted === undefined || t.posted.trim() === '')) {
        postedOn = user;
        warnings.push(`line ${t.line}: ${what} has no posting date; used ${t.invKind ? 'DTSETTLE' : 'DTUSER'} ${user}`);
      } else {
        const got = t.posted === undefined ? 'it is missing' : `got "${t.posted.slice(0, 40)}"`;
        const tag = what === 'STMTTRN' ? 'DTPOSTED' : 'DTTRADE';
        throw new ImportError('MALFORMED_FILE', `line ${t.line}: ${what} needs a valid ${tag} date (${got})`, { line: t.line, expected: `${tag} as YYYYMMDD[HHMMSS[.XXX][TZ]]` });
      }
    }
    if (t.amount === undefined) {
      const tag = what === 'STMTTRN' ? 'TRNAMT' : 'TOTAL';
      throw new ImportError('MALFORMED_FILE', `line ${t.line}: ${what} has no ${tag}`, { line: t.line, expected: `<${tag}> with the amount` });
    }
    const rowCurrency = t.currency?.trim().toUpperCase();
    const rowExp = rowCurrency && rowCurrency !== currency ? exponentOf(rowCurrency) : undefined;
    let amountMinor: bigint;
    if (/^[\s.,]*$/.test(t.amount)) {
      amountMinor = 0n;
      warnings.push(`line ${t.line}: amount "${t.amount.trim()}" has no digits; read as 0`);
    } else {
      amountMinor = ofxAmount(t.amount, rowExp ?? exponent, t.line, what === 'STMTTRN' ? 'TRNAMT' : 'TOTAL');
    }
    const tx: StatementTransaction = { sourceLine: t.line, postedOn, amountMinor, pending: t.pending };
    const payee = t.name || t.payeeName || t.extdName;
    if (payee) tx.payee = payee;
    if (t.memo) tx.memo = t.memo;
    else if (t.invKind && t.invKind !== 'INVBANKTRAN' && t.secId) tx.memo = `${t.invKind} ${t.secId}`;
    if (t.fitId) tx.bankId = t.fitId;
    if (t.checkNum && !/^0+$/.test(t.checkNum)) tx.checkNumber = t.checkNum;
    const kind = t.invKind && t.invKind !== 'INVBANKTRAN' ? t.invKind : t.trnType;
    if (kind) tx.kind = kind.toUpperCase();
    if (rowCurrency && rowCurrency !== currency) {
      if (rowExp === undefined) warnings.push(`line ${t.line}: transaction currency "${t.currency}" is not an ISO 4217 code; amount read in ${currency ?? 'the account currency'}`);
      else tx.currency = rowCurrency;
    }
    if (t.origCurrency) origCurrency += 1;
    if (t.correctAction === 'REPLACE') warnings.push(`line ${t.line}: transaction ${t.fitId ?? ''} replaces ${t.correctFitId ?? 'an earlier transaction'} (OFX correction)`);
    transactions.push(tx);
  }
  if (emptyTxns > 0) warnings.push(`${emptyTxns} <STMTTRN> without any fields skipped`);
  if (origCurrency > 0) warnings.push(`${origCurrency} transaction${origCurrency === 1 ? '' : 's'} state an original currency (ORIGCURRENCY); amounts are in ${currency ?? 'the statement currency'}`);
  if (d.tag === 'INVSTMTRS') warnings.push(...b.skippedInvestWarnings());

  const st: Statement = { format, encoding: ctx.encoding, account, balances, transactions, warnings: warnings.toArray() };
  if (period.start || period.end) st.period = period;
  return st;
}

/** Parses an OFX/QFX document into one Statement per account statement it contains. */
export function parseOfx(text: string, ctx: OfxContext): Statement[] {
  try {
    return readOfx(text, ctx);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    // A bug must not turn bad input into a 500: report it as a file problem, with the cause.
    throw new ImportError('MALFORMED_FILE', `the OFX file could not be read: ${e instanceof Error ? e.message : String(e)}`, { expected: 'an OFX file' });
  }
}

function readOfx(text: string, ctx: OfxContext): Statement[] {
  assertNoXmlEntities(text);
  const start = text.search(/<ofx\s*>/i);
  if (start < 0) throw new ImportError('MALFORMED_FILE', 'no <OFX> element found', { line: 1, expected: '<OFX>' });
  const header = checkOfxHeader(text.slice(0, start));
  const scanner = new OfxScanner(text);
  const builder = new OfxBuilder();
  const scan = scanner.scan(start, builder);
  const scanWarnings = scan.warnings;

  // No header at all: a body whose leaves all carry close tags is XML (OFX 2).
  const xml = header.xml || (header.empty && scan.openLeaves === 0 && scan.closedLeaves > 0);
  const qfx = builder.intuit || ctx.formatHint === 'qfx' || /\.qfx$/i.test(ctx.fileName ?? '');
  const format: ImportFormat = qfx ? 'qfx' : xml ? 'ofx2' : 'ofx1';

  if (builder.statements.length === 0) {
    const error = builder.statuses.find((s) => (s.severity ?? '').toUpperCase() === 'ERROR' || (s.code !== undefined && s.code !== '0' && (s.severity ?? '').toUpperCase() !== 'INFO'));
    if (error) {
      throw new ImportError('MALFORMED_FILE', `the bank's OFX response reports an error instead of a statement: code ${error.code ?? '?'} (${error.severity ?? 'ERROR'})${error.message ? `: ${error.message}` : ''}`, {
        expected: 'an OFX response that contains a statement',
        details: { ofxStatus: error },
      });
    }
    if (builder.acctInfo) throw new ImportError('MALFORMED_FILE', 'the file is an OFX account list (ACCTINFORS), not a statement', { expected: 'a bank, credit-card or investment statement (STMTRS, CCSTMTRS or INVSTMTRS)' });
    throw new ImportError('MALFORMED_FILE', 'the OFX file contains no statement', { expected: 'a bank, credit-card or investment statement (STMTRS, CCSTMTRS or INVSTMTRS)' });
  }
  const statuses = builder.statuses.filter((s) => (s.severity ?? '').toUpperCase() === 'ERROR');
  const statements = mergeSameAccount(builder.statements.map((d) => buildStatement(d, builder, ctx, format)));
  (statements[0] as Statement).warnings.unshift(
    ...header.warnings,
    ...scanWarnings,
    ...statuses.map((s) => `the bank reports ${s.where} status ${s.code ?? '?'} ERROR${s.message ? `: ${s.message}` : ''}`),
  );
  return statements;
}

/**
 * Several statements for the same account in one file (American Express puts
 * every billing cycle in its own CCSTMTRS) become one: transactions in file
 * order, the widest period, and per balance kind the latest-dated balance.
 */
function mergeSameAccount(statements: Statement[]): Statement[] {
  const byKey = new Map<string, Statement>();
  const counts = new Map<Statement, number>();
  const out: Statement[] = [];
  for (const st of statements) {
    const key = [st.account.type, st.account.bankId, st.account.accountId, st.account.currency].join('\u0000');
    const into = st.account.accountId ? byKey.get(key) : undefined;
    if (!into) {
      if (st.account.accountId) byKey.set(key, st);
      out.push(st);
      continue;
    }
    counts.set(into, (counts.get(into) ?? 1) + 1);
    for (const t of st.transactions) into.transactions.push(t);
    into.warnings.push(...st.warnings);
    if (st.period) {
      const p = (into.period ??= {});
      if (st.period.start && (!p.start || st.period.start < p.start)) p.start = st.period.start;
      if (st.period.end && (!p.end || st.period.end > p.end)) p.end = st.period.end;
    }
    for (const b of st.balances) {
      const i = into.balances.findIndex((x) => x.kind === b.kind);
      const cur = i >= 0 ? into.balances[i] : undefined;
      if (!cur) into.balances.push(b);
      else if (b.date && (!cur.date || b.date >= cur.date)) into.balances[i] = b;
    }
  }
  for (const [st, n] of counts) st.warnings.push(`${n} statements for account ${st.account.accountId} were merged into one`);
  return out;
}
