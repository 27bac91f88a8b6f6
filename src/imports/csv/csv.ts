// Bank CSV exports -> Statement. Detection (detect.ts) decides how to read
// the file; this turns rows into transactions:
// - sourceLine is the physical line the row starts on.
// - Date: the date column, or the value-date column when a row's date is
//   empty. A date cell that is not date-shaped (totals, footers, "Pending",
//   disclaimers) skips the row with a warning; a date-shaped cell that the
//   chosen format cannot read is MALFORMED_FILE naming line and column.
// - Amount: the amount column (sign from a direction column when there is
//   one, else as written, negated when amountSign is 'inverted'), or
//   credit minus debit from a debit/credit pair (each taken as a magnitude).
//   A row with a date but an unreadable amount is MALFORMED_FILE; a row
//   with no amount at all, or an amount of zero (notices, interest-rate
//   changes), is skipped with a warning.
// - Reference column values become bank ids only when they are unique in the
//   file; otherwise they are dropped with a warning (a repeated "reference"
//   is not an id, and would make dedupe merge different rows).
// - Running balance: see running-balance.ts.
import { parseBankAmount, type AmountOptions } from '../amount.ts';
import { exponentOf } from '../camt/values.ts';
import { isCurrencyCode } from '../../money/currencies.ts';
import { ImportError } from '../errors.ts';
import type { Statement, StatementTransaction } from '../statement.ts';
import { cleanAmountCell, cleanText, directionOf, foldWord, isCurrencyCell } from './cells.ts';
import { looksLikeDate, parseDateCell, DATE_FORMAT_LABELS } from './dates.ts';
import { analyzeCsv, type CsvAnalysis } from './detect.ts';
import { PENDING_WORDS } from './headers.ts';
import type { CsvDetection, CsvOptions } from './options.ts';
import { isBlank, type CsvRecord } from './tokenize.ts';
import { balancesFrom, type BalanceRow as Row } from './running-balance.ts';

export { looksLikeCsv } from './sniff.ts';

export interface CsvContext {
  encoding: Statement['encoding'];
  /** The account's currency; used when the file has no currency column and the options name none. */
  currency?: string;
  csv?: CsvOptions;
  fileName?: string;
}

/** What the parser would do with the file, for the preview UI/CLI; never throws for CSV content problems other than broken quoting. */
export function detectCsv(text: string, options: CsvOptions = {}): CsvDetection {
  return guard(() => analyzeCsv(text, options).detection);
}

export function parseCsv(text: string, ctx: CsvContext): Statement {
  return guard(() => convert(text, ctx));
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError('MALFORMED_FILE', `the CSV file could not be read: ${e instanceof Error ? e.message : String(e)}`, { expected: 'a CSV file' });
  }
}

function mappingRequired(a: CsvAnalysis): ImportError {
  const d = a.detection;
  return new ImportError('CSV_MAPPING_REQUIRED', `the CSV needs a column mapping: ${d.problems.map((p) => p.message).join('; ')}`, {
    expected: d.question ?? 'a column mapping',
    details: { detection: d, question: d.question, problems: d.problems },
  });
}

const cellOf = (r: CsvRecord, i: number | undefined): string => (i === undefined ? '' : (r.cells[i] ?? '').trim());

function joinText(r: CsvRecord, cols: number[]): string {
  let out = '';
  for (const i of cols) {
    const t = cleanText(r.cells[i] ?? '');
    if (t !== '') out = out === '' ? t : `${out} ${t}`;
  }
  return out;
}


function convert(text: string, ctx: CsvContext): Statement {
  const opts = ctx.csv ?? {};
  const a = analyzeCsv(text, opts);
  if (a.detection.problems.length > 0) throw mappingRequired(a);
  const { roles, header } = a;
  const dateFormat = a.dateFormat as NonNullable<CsvAnalysis['dateFormat']>;
  const warnings: string[] = [];
  const colName = (i: number | undefined): string => {
    if (i === undefined) return '?';
    const h = header?.[i];
    return h ? `column ${i + 1} ("${h}")` : `column ${i + 1}`;
  };

  // Statement currency: the options, else the dominant value of a currency column, else the caller's.
  const callerCurrency = (code: string | undefined, who: string): string | undefined => {
    if (code === undefined) return undefined;
    if (isCurrencyCode(code)) return code;
    warnings.push(`ignored the currency "${String(code).slice(0, 20)}" given by the ${who}: not an ISO 4217 code`);
    return undefined;
  };
  let currency = callerCurrency(opts.currency, 'CSV options');
  if (currency === undefined && roles.currency !== undefined) {
    const counts = new Map<string, number>();
    for (const r of a.rows) {
      const v = cellOf(r, roles.currency).toUpperCase();
      if (isCurrencyCell(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    let best = 0;
    for (const [c, n] of counts) {
      if (n > best) {
        best = n;
        currency = c;
      }
    }
  }
  currency ??= currencyInHeader(header, [roles.amount, roles.debit, roles.credit]) ?? callerCurrency(ctx.currency, 'caller');
  if (currency === undefined) warnings.push('the file states no currency; amounts were read with 2 decimals');
  else if (!exponentOf(currency).known) warnings.push(`currency ${currency} is not an ISO 4217 currency with minor units; amounts were read with 2 decimals`);

  const pendingWords = (opts.pendingValues ?? PENDING_WORDS).map(foldWord);
  const isPendingWord = (v: string): boolean => v !== '' && pendingWords.includes(foldWord(v));
  const sign = opts.amountSign === 'inverted' ? -1n : 1n;
  const optsByCurrency = new Map<string | undefined, AmountOptions>();
  const amountOpts = (cur: string | undefined): AmountOptions => {
    let o = optsByCurrency.get(cur);
    if (o === undefined) {
      o = { exponent: cur === undefined ? 2 : exponentOf(cur).exponent, decimal: a.decimal ?? 'auto' };
      optsByCurrency.set(cur, o);
    }
    return o;
  };

  const readAmount = (r: CsvRecord, col: number, cur: string | undefined): bigint => {
    const raw = cellOf(r, col);
    try {
      return parseBankAmount(cleanAmountCell(raw), amountOpts(cur));
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
      throw new ImportError('MALFORMED_FILE', `CSV line ${r.line}, ${colName(col)}: ${JSON.stringify(raw.slice(0, 40))} is not an amount (${e.message})`, {
        line: r.line,
        expected: `an amount${a.decimal ? ` with "${a.decimal}" as decimal separator` : ''}`,
        details: { column: col + 1 },
      });
    }
  };

  let blank = 0;
  const noDateNoAmount: number[] = [];
  const notDated: number[] = [];
  const pendingUndated: number[] = [];
  const noAmount: number[] = [];
  const zero: number[] = [];
  let otherAccounts = 0;
  let unknownDirection = 0;
  const out: Row[] = [];
  // Few distinct dates, many rows: parse each once.
  const dates = new Map<string, string>();

  for (const r of a.rows) {
    if (isBlank(r)) {
      blank += 1;
      continue;
    }
    if (opts.account !== undefined && roles.account !== undefined && cellOf(r, roles.account) !== opts.account.trim()) {
      otherAccounts += 1;
      continue;
    }
    let dateCol = roles.date as number;
    let dateCell = cellOf(r, dateCol);
    if (dateCell === '' && roles.valueDate !== undefined) {
      dateCol = roles.valueDate;
      dateCell = cellOf(r, dateCol);
    }
    const hasAmount = roles.amount !== undefined ? cellOf(r, roles.amount) !== '' : cellOf(r, roles.debit) !== '' || cellOf(r, roles.credit) !== '';
    if (dateCell === '') {
      (hasAmount ? notDated : noDateNoAmount).push(r.line);
      continue;
    }
    let postedOn = dates.get(dateCell);
    if (postedOn === undefined) {
      postedOn = parseDateCell(dateCell, dateFormat);
      if (postedOn !== undefined) {
        if (dates.size >= 4096) dates.clear();
        dates.set(dateCell, postedOn);
      }
    }
    if (postedOn === undefined) {
      if (isPendingWord(dateCell)) {
        pendingUndated.push(r.line);
        continue;
      }
      if (!looksLikeDate(dateCell)) {
        notDated.push(r.line);
        continue;
      }
      throw new ImportError('MALFORMED_FILE', `CSV line ${r.line}, ${colName(dateCol)}: "${dateCell.slice(0, 40)}" is not a valid ${DATE_FORMAT_LABELS[dateFormat]} date`, {
        line: r.line,
        expected: `a date in the format ${DATE_FORMAT_LABELS[dateFormat]}`,
        details: { column: dateCol + 1 },
      });
    }
    if (!hasAmount) {
      noAmount.push(r.line);
      continue;
    }
    let rowCurrency = currency;
    if (roles.currency !== undefined) {
      const v = cellOf(r, roles.currency);
      if (v !== currency) {
        const up = v.toUpperCase();
        if (isCurrencyCell(up)) rowCurrency = up;
      }
    }
    let amount: bigint;
    if (roles.amount !== undefined) {
      amount = readAmount(r, roles.amount, rowCurrency);
      if (roles.direction !== undefined) {
        const dir = directionOf(cellOf(r, roles.direction), opts.directionValues);
        const mag = amount < 0n ? -amount : amount;
        if (dir === 'debit') amount = -mag;
        else if (dir === 'credit') amount = mag;
        else unknownDirection += 1;
      } else amount *= sign;
    } else {
      const debit = cellOf(r, roles.debit) === '' ? 0n : readAmount(r, roles.debit as number, rowCurrency);
      const credit = cellOf(r, roles.credit) === '' ? 0n : readAmount(r, roles.credit as number, rowCurrency);
      amount = (credit < 0n ? -credit : credit) - (debit < 0n ? -debit : debit);
    }
    if (amount === 0n) {
      zero.push(r.line);
      continue;
    }
    const tx: StatementTransaction = { sourceLine: r.line, postedOn, amountMinor: amount, pending: false };
    const payee = joinText(r, roles.payee);
    if (payee !== '') tx.payee = payee;
    const memo = joinText(r, roles.memo);
    if (memo !== '') tx.memo = memo;
    const ref = cellOf(r, roles.reference);
    if (ref !== '') tx.bankId = ref;
    const check = cellOf(r, roles.checkNumber);
    if (check !== '') tx.checkNumber = check;
    if (roles.status !== undefined && isPendingWord(cellOf(r, roles.status))) tx.pending = true;
    if (rowCurrency !== undefined && rowCurrency !== currency) tx.currency = rowCurrency;
    const row: Row = { record: r, tx };
    if (roles.balance !== undefined && cellOf(r, roles.balance) !== '') {
      try {
        row.balance = parseBankAmount(cleanAmountCell(cellOf(r, roles.balance)), amountOpts(rowCurrency));
      } catch (e) {
        if (!(e instanceof ImportError)) throw e;
      }
    }
    out.push(row);
  }

  const lines = (xs: number[]): string => `line${xs.length > 1 ? 's' : ''} ${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ', …' : ''}`;
  if (noDateNoAmount.length > 0) warnings.push(`skipped ${noDateNoAmount.length} row(s) without date and amount (${lines(noDateNoAmount)})`);
  if (notDated.length > 0) warnings.push(`skipped ${notDated.length} row(s) whose date column holds no date, e.g. totals or notes (${lines(notDated)})`);
  if (pendingUndated.length > 0) warnings.push(`skipped ${pendingUndated.length} pending row(s) that have no date yet (${lines(pendingUndated)}); they will come in once posted`);
  if (noAmount.length > 0) warnings.push(`skipped ${noAmount.length} row(s) with a date but no amount (${lines(noAmount)})`);
  if (zero.length > 0) warnings.push(`skipped ${zero.length} row(s) with a zero amount (${lines(zero)})`);
  if (blank > 0) warnings.push(`skipped ${blank} blank line(s)`);
  if (otherAccounts > 0) warnings.push(`skipped ${otherAccounts} row(s) for other accounts than ${opts.account}`);
  if (unknownDirection > 0) warnings.push(`${unknownDirection} row(s) have an unrecognised value in the debit/credit column ${colName(roles.direction)}; their amounts were kept as written`);

  const txs = out.map((r) => r.tx);
  dropRepeatedReferences(txs, warnings, colName(roles.reference));
  if (roles.direction === undefined && roles.debit === undefined && txs.length >= 5 && txs.every((t) => t.amountMinor > 0n)) {
    warnings.push('every amount is positive; if this is a card export where charges are positive, import it with amountSign "inverted"');
  }

  const st: Statement = {
    format: 'csv',
    encoding: ctx.encoding,
    account: {},
    balances: roles.balance !== undefined ? balancesFrom(out, warnings) : [],
    transactions: txs,
    warnings,
  };
  if (currency !== undefined) st.account.currency = currency;
  if (roles.account !== undefined) {
    const acct = opts.account?.trim() ?? out.map((r) => cellOf(r.record, roles.account)).find((v) => v !== '');
    if (acct !== undefined && acct !== '') st.account.accountId = acct;
  }
  return st;
}

/** "Bedrag (EUR)", "Částka CZK": an ISO code written into the amount column's name. */
function currencyInHeader(header: string[] | undefined, cols: Array<number | undefined>): string | undefined {
  for (const c of cols) {
    if (c === undefined) continue;
    for (const w of (header?.[c] ?? '').split(/[^A-Za-z]+/)) if (w.length === 3 && w === w.toUpperCase() && isCurrencyCode(w)) return w;
  }
  return undefined;
}

function dropRepeatedReferences(txs: StatementTransaction[], warnings: string[], col: string): void {
  const seen = new Set<string>();
  let repeated = false;
  for (const t of txs) {
    if (t.bankId === undefined) continue;
    if (seen.has(t.bankId)) {
      repeated = true;
      break;
    }
    seen.add(t.bankId);
  }
  if (!repeated) return;
  for (const t of txs) delete t.bankId;
  warnings.push(`the reference ${col} repeats between rows, so it was not used as the bank's transaction id`);
}
