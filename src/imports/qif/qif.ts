// QIF (Quicken Interchange Format) bank, cash, credit-card and other-asset /
// liability registers to Statements, one per account section.
//
// Records: D date, T (or U) amount, P payee, M memo, N check number (digits;
// words such as ATM/DEP become the kind), C cleared flag, L category and A
// address (ignored), S/E/$/% split lines, ^ end of record. Splits are IGNORED
// with a warning: the record's total T is imported (the sum of the $ lines is
// used only when T is missing, and a total that disagrees with its splits is
// reported). Investment (!Type:Invst) and list sections (categories, classes,
// memorized, securities, prices) are skipped; a file with no register at all
// is UNSUPPORTED_FORMAT. QIF never states a currency: the account currency
// from the caller is used.
//
// DAY/MONTH ORDER is decided once for the whole file from every date in it: a
// first number above 12 proves day-first, a second number above 12 proves
// month-first; both in one file is MALFORMED_FILE. When no date decides it,
// the caller's dateOrder is used, else month-first for '/' and apostrophe dates
// (Quicken's US format) and day-first for '.' dates, with a warning naming
// the assumption. Decimal separator: guessed over all amounts of the file
// (guessDecimalSeparator), so both 1,234.56 and 1.234,56 files work.
import { currencyExponent, isCurrencyCode } from '../../money/currencies.ts';
import { guessDecimalSeparator, parseBankAmount, type DecimalSeparator } from '../amount.ts';
import { ImportError } from '../errors.ts';
import type { Statement, StatementTransaction } from '../statement.ts';
import { WarningList } from '../warnings.ts';
import { resolveQifDate, splitQifDate, type QifDateOrder, type QifDateParts } from './dates.ts';

export type { QifDateOrder } from './dates.ts';

export interface QifContext {
  encoding: Statement['encoding'];
  currency?: string;
  dateOrder?: QifDateOrder;
}

const REGISTER_TYPES: Readonly<Record<string, string>> = {
  bank: 'Bank',
  cash: 'Cash',
  ccard: 'CCard',
  'oth a': 'Oth A',
  'oth l': 'Oth L',
  'oth a/l': 'Oth A/L',
};
const LIST_TYPES = new Set(['cat', 'class', 'memorized', 'security', 'prices', 'invitem', 'template', 'bill', 'budget', 'tax']);
const INVEST_TYPES = new Set(['invst', 'port']);

interface RecordDraft {
  line: number;
  date?: { raw: string; line: number; parts?: QifDateParts | undefined };
  amount?: { raw: string; line: number };
  altAmount?: { raw: string; line: number };
  payee?: string;
  memo?: string;
  num?: string;
  splits: { raw: string; line: number }[];
  fields: number;
}

interface Section {
  account: string | undefined;
  type: string;
  records: RecordDraft[];
  warnings: string[];
}

function lines(text: string, each: (line: string, no: number) => void): void {
  let no = 0;
  let at = 0;
  const n = text.length;
  while (at <= n) {
    let end = at;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (c === 10 || c === 13) break;
      end += 1;
    }
    no += 1;
    each(text.slice(at, end), no);
    if (end >= n) break;
    at = text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
  }
}

class QifReader {
  readonly sections: Section[] = [];
  readonly warnings = new WarningList();
  investRecords = 0;
  sawRegister = false;
  private mode: 'none' | 'register' | 'account' | 'skip' = 'none';
  private section: Section | undefined;
  private record: RecordDraft | undefined;
  private currentAccount: string | undefined;
  private pendingAccount: { name?: string } = {};
  private skippedKinds = new Map<string, number>();

  line(raw: string, no: number): void {
    const line = raw.trimEnd();
    if (line === '') return;
    const code = line[0] as string;
    if (code === '!') {
      this.header(line.trim(), no);
      return;
    }
    if (code === '#' && !this.record) return; // comment lines some exporters write
    if (this.mode === 'account') {
      if (code === '^') {
        // The last account record before a !Type: header names the register that follows (also inside an AutoSwitch list).
        if (this.pendingAccount.name !== undefined) this.currentAccount = this.pendingAccount.name;
        this.pendingAccount = {};
      } else if (code === 'N') this.pendingAccount.name = line.slice(1).trim();
      return;
    }
    if (this.mode === 'skip') {
      if (code === '^' && this.section === undefined && this.skippedRecordKind) {
        this.skippedKinds.set(this.skippedRecordKind, (this.skippedKinds.get(this.skippedRecordKind) ?? 0) + 1);
      }
      return;
    }
    if (this.mode === 'none') {
      throw new ImportError('MALFORMED_FILE', `line ${no}: expected a !Type: header before the first record`, { line: no, expected: '!Type:Bank, !Type:CCard, !Type:Cash, !Type:Oth A or !Type:Oth L' });
    }
    this.field(code, line, no);
  }

  private skippedRecordKind: string | undefined;

  private header(line: string, no: number): void {
    this.endRecord();
    const lower = line.toLowerCase();
    if (lower.startsWith('!type:')) {
      const type = lower.slice(6).trim();
      const register = REGISTER_TYPES[type.replace(/\s+/g, ' ')];
      if (register) {
        this.mode = 'register';
        this.sawRegister = true;
        const last = this.sections[this.sections.length - 1];
        if (last && last.account === this.currentAccount && last.type === register) this.section = last;
        else {
          this.section = { account: this.currentAccount, type: register, records: [], warnings: [] };
          this.sections.push(this.section);
        }
        return;
      }
      this.section = undefined;
      this.mode = 'skip';
      this.skippedRecordKind = INVEST_TYPES.has(type) ? 'investment' : LIST_TYPES.has(type) ? undefined : `!Type:${line.slice(6).trim()}`;
      return;
    }
    if (lower === '!account') {
      this.mode = 'account';
      this.section = undefined;
      this.pendingAccount = {};
      return;
    }
    if (lower.startsWith('!option:') || lower.startsWith('!clear:')) return;
    this.warnings.push(`line ${no}: unknown QIF header "${line.slice(0, 40)}" ignored`);
    this.mode = 'skip';
    this.section = undefined;
    this.skippedRecordKind = undefined;
  }

  private field(code: string, line: string, no: number): void {
    if (code === '^') {
      this.endRecord();
      return;
    }
    const value = line.slice(1);
    let r = this.record;
    if (!r) {
      r = { line: no, splits: [], fields: 0 };
      this.record = r;
    }
    r.fields += 1;
    switch (code) {
      case 'D':
        r.date = { raw: value, line: no };
        break;
      case 'T':
        r.amount = { raw: value, line: no };
        break;
      case 'U':
        r.altAmount = { raw: value, line: no };
        break;
      case 'P':
        r.payee = value.trim();
        break;
      case 'M':
        r.memo = value.trim();
        break;
      case 'N':
        r.num = value.trim();
        break;
      case '$':
        r.splits.push({ raw: value, line: no });
        break;
      default:
        // C cleared, L category, A address, S/E/% split parts, F flag, ...: not part of a Statement.
        break;
    }
  }

  endRecord(): void {
    const r = this.record;
    this.record = undefined;
    if (r && this.section) this.section.records.push(r);
  }

  skippedWarnings(): string[] {
    return [...this.skippedKinds].map(([k, n]) => `${n} ${k} record${n === 1 ? '' : 's'} skipped (only bank, cash, credit-card and asset/liability registers are imported)`);
  }
}

interface DateDecision {
  order: QifDateOrder;
  warning?: string;
}

function decideOrder(dates: { parts: QifDateParts; line: number; raw: string }[], preferred: QifDateOrder | undefined): DateDecision {
  let dayFirst: (typeof dates)[number] | undefined;
  let monthFirst: (typeof dates)[number] | undefined;
  let open = false;
  let dots = 0;
  for (const d of dates) {
    const { a, b } = d.parts;
    if (a === undefined || b === undefined) continue;
    if (a > 12 && b <= 12) dayFirst ??= d;
    else if (b > 12 && a <= 12) monthFirst ??= d;
    else if (a !== b) open = true;
    if (d.parts.separator === '.') dots += 1;
  }
  if (dayFirst && monthFirst) {
    throw new ImportError(
      'MALFORMED_FILE',
      `line ${dayFirst.line}: date "${dayFirst.raw.trim()}" is day-first but line ${monthFirst.line}: date "${monthFirst.raw.trim()}" is month-first; one file must use one order`,
      { line: dayFirst.line, expected: 'all dates in the same day/month order' },
    );
  }
  if (dayFirst) return { order: 'DMY' };
  if (monthFirst) return { order: 'MDY' };
  if (preferred) return { order: preferred };
  const order: QifDateOrder = dots > 0 && dots * 2 >= dates.length ? 'DMY' : 'MDY';
  if (!open) return { order };
  return {
    order,
    warning:
      order === 'MDY'
        ? 'no date in the file tells day from month (none has a number above 12); assumed month/day/year as US Quicken writes it — re-import with the day-first order if dates look wrong'
        : 'no date in the file tells day from month (none has a number above 12); assumed day.month.year for dotted dates — re-import with the month-first order if dates look wrong',
  };
}

function amountOf(raw: string, line: number, exponent: number, decimal: DecimalSeparator | 'auto'): bigint {
  try {
    return parseBankAmount(raw.trim(), { exponent, decimal });
  } catch (e) {
    if (e instanceof ImportError) throw new ImportError('AMOUNT_INVALID', `line ${line}: ${e.message}`, { line, expected: e.expected });
    throw e;
  }
}

export function parseQif(text: string, ctx: QifContext): Statement[] {
  try {
    return readQif(text, ctx);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    // A bug must not turn bad input into a 500: report it as a file problem, with the cause.
    throw new ImportError('MALFORMED_FILE', `the QIF file could not be read: ${e instanceof Error ? e.message : String(e)}`, { expected: 'a QIF file' });
  }
}

function readQif(text: string, ctx: QifContext): Statement[] {
  const reader = new QifReader();
  lines(text, (l, no) => reader.line(l, no));
  reader.endRecord();

  if (!reader.sawRegister) {
    if (reader.skippedWarnings().some((w) => w.includes('investment'))) {
      throw new ImportError('UNSUPPORTED_FORMAT', 'this QIF file holds only investment accounts (!Type:Invst), which finhub does not import', {
        expected: 'a QIF bank, cash, credit-card or asset/liability register (!Type:Bank, !Type:CCard, !Type:Cash, !Type:Oth A, !Type:Oth L)',
      });
    }
    throw new ImportError('MALFORMED_FILE', 'the QIF file has no transaction register', { expected: '!Type:Bank, !Type:CCard, !Type:Cash, !Type:Oth A or !Type:Oth L' });
  }

  const currency = ctx.currency && isCurrencyCode(ctx.currency) ? ctx.currency : undefined;
  const exponent = currency ? currencyExponent(currency) : 2;

  const allDates: { parts: QifDateParts; line: number; raw: string }[] = [];
  const amounts: string[] = [];
  for (const s of reader.sections) {
    for (const r of s.records) {
      if (r.date) {
        const parts = splitQifDate(r.date.raw);
        r.date.parts = parts;
        if (parts) allDates.push({ parts, line: r.date.line, raw: r.date.raw });
      }
      if (r.amount) amounts.push(r.amount.raw);
      if (r.altAmount) amounts.push(r.altAmount.raw);
      for (const sp of r.splits) amounts.push(sp.raw);
    }
  }
  const decision = decideOrder(allDates, ctx.dateOrder);
  const decimal = guessDecimalSeparator(amounts).decimal ?? 'auto';

  const fileWarnings = [...reader.warnings.toArray(), ...reader.skippedWarnings()];
  if (decision.warning) fileWarnings.push(decision.warning);
  if (!currency) fileWarnings.push('QIF files state no currency and no account currency was given: amounts read with 2 decimal places');

  return reader.sections.map((s, i) => {
    const warnings = new WarningList();
    if (i === 0) warnings.push(...fileWarnings);
    const transactions: StatementTransaction[] = [];
    let splitRecords = 0;
    for (const r of s.records) {
      if (!r.date && !r.amount && !r.altAmount && r.splits.length === 0 && r.payee === undefined && r.memo === undefined) continue; // empty / flags-only record
      if (!r.date) throw new ImportError('MALFORMED_FILE', `line ${r.line}: record has no D (date) line`, { line: r.line, expected: 'a D line such as D01/31/2024' });
      const parts = r.date.parts;
      const postedOn = parts ? resolveQifDate(parts, decision.order) : undefined;
      if (!parts || !postedOn) {
        throw new ImportError('MALFORMED_FILE', `line ${r.date.line}: "${r.date.raw.trim().slice(0, 40)}" is not a valid ${decision.order === 'MDY' ? 'month/day/year' : 'day/month/year'} date`, {
          line: r.date.line,
          expected: decision.order === 'MDY' ? 'a date such as 01/31/2024, 1/31\'24 or 2024-01-31' : 'a date such as 31.01.2024, 31/01/2024 or 2024-01-31',
        });
      }
      if (parts.trailing !== '') warnings.push(`line ${r.date.line}: text after the date ignored ("${parts.trailing.slice(0, 40)}")`);
      const amountField = r.amount ?? r.altAmount;
      let splitSum: bigint | undefined;
      if (r.splits.length > 0) {
        splitRecords += 1;
        // An empty $ line (a split with only a category) adds nothing.
        splitSum = r.splits.reduce((sum, sp) => (sp.raw.trim() === '' ? sum : sum + amountOf(sp.raw, sp.line, exponent, decimal)), 0n);
      }
      let amountMinor: bigint;
      if (amountField && amountField.raw.trim() !== '') amountMinor = amountOf(amountField.raw, amountField.line, exponent, decimal);
      else if (splitSum !== undefined) amountMinor = splitSum;
      else throw new ImportError('MALFORMED_FILE', `line ${r.line}: record has no T (amount) line`, { line: r.line, expected: 'a T line such as T-12.34' });
      if (splitSum !== undefined && splitSum !== amountMinor) {
        warnings.push(`line ${r.line}: the splits of this record add up to a different amount than its total; the total was imported`);
      }
      const tx: StatementTransaction = { sourceLine: r.line, postedOn, amountMinor, pending: false };
      if (r.payee) tx.payee = r.payee;
      if (r.payee && /^opening balance$/i.test(r.payee)) {
        warnings.push(`line ${r.line}: Quicken "Opening Balance" record imported as a transaction; delete it if the account already has this balance`);
      }
      if (r.memo) tx.memo = r.memo;
      if (r.num) {
        if (/^\d{1,20}$/.test(r.num)) tx.checkNumber = r.num;
        else tx.kind = r.num.toUpperCase();
      }
      transactions.push(tx);
    }
    if (splitRecords > 0) warnings.push(`${splitRecords} record${splitRecords === 1 ? ' has' : 's have'} split lines; splits are not imported, each record's total is`);
    const account: Statement['account'] = { type: s.type };
    if (s.account) account.accountId = s.account;
    if (currency) account.currency = currency;
    return { format: 'qif' as const, encoding: ctx.encoding, account, balances: [], transactions, warnings: warnings.toArray() };
  });
}
