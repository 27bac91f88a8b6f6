import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../errors.ts';
import { detectCsv, looksLikeCsv, parseCsv } from './csv.ts';
import { readCsvMapping, type CsvDetection, type CsvOptions } from './options.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/imports/csv/${name}`, import.meta.url), 'utf8');
const enc = { used: 'utf-8' };
const parse = (text: string, csv?: CsvOptions, currency?: string) =>
  parseCsv(text, { encoding: enc, ...(csv ? { csv } : {}), ...(currency ? { currency } : {}) });

function importError(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    return e as ImportError;
  }
  throw new Error('expected an ImportError');
}

describe('German export: semicolon, decimal comma, preamble, quoted newline', () => {
  const s = parse(fixture('de-preamble-semicolon.csv'));

  it('skips the preamble, finds the header and maps German column names', () => {
    const d = detectCsv(fixture('de-preamble-semicolon.csv'));
    expect(d).toMatchObject({ delimiter: ';', hasHeader: true, headerLine: 4, skipRows: 3, decimal: ',', dateFormat: 'DMY', problems: [] });
    expect(d.roles).toMatchObject({ date: 0, valueDate: 1, payee: [2], memo: [3], amount: 4, currency: 5, balance: 6 });
  });

  it('reads rows with physical line numbers, joined quoted line breaks and decimal-comma amounts', () => {
    expect(s.transactions.map((t) => [t.sourceLine, t.postedOn, t.amountMinor])).toEqual([
      [5, '2024-03-01', 250000n],
      [6, '2024-03-05', -95000n],
      [8, '2024-03-14', -4544n],
      [9, '2024-03-31', -500n],
    ]);
    expect(s.transactions[1]).toMatchObject({ payee: 'Vermieter', memo: 'Miete März Wohnung 3 links' });
    expect(s.transactions[3]?.payee).toBeUndefined();
    expect(s.account.currency).toBe('EUR');
  });

  it('turns the running balance into stated opening and closing balances', () => {
    expect(s.balances).toEqual([
      { kind: 'opening', amountMinor: 50000n, date: '2024-03-01' },
      { kind: 'closing', amountMinor: 199956n, date: '2024-03-31' },
    ]);
  });

  it('skips the undated totals row with a warning naming its line', () => {
    expect(s.warnings).toEqual([expect.stringContaining('line 10')]);
  });
});

describe('debit and credit columns, newest first', () => {
  const s = parse(fixture('en-debit-credit.csv'), undefined, 'GBP');

  it('computes credit minus debit and reads day-first dates', () => {
    expect(s.transactions.map((t) => [t.postedOn, t.amountMinor, t.payee])).toEqual([
      ['2024-03-15', -2350n, 'TESCO STORES 2041'],
      ['2024-03-14', 150000n, 'SALARY ACME LTD'],
      ['2024-03-13', -320n, 'COFFEE HOUSE'],
    ]);
    expect(s.account.currency).toBe('GBP');
  });

  it('takes the closing balance from the newest row', () => {
    expect(s.balances).toContainEqual({ kind: 'closing', amountMinor: 147650n, date: '2024-03-15' });
  });
});

describe('amount with a direction column', () => {
  it('signs unsigned amounts by debit/credit words', () => {
    const s = parse(fixture('en-sign-column.csv'));
    expect(s.transactions.map((t) => t.amountMinor)).toEqual([-2999n, 200000n, 500n]);
  });

  it('reads Dutch Af/Bij with YYYYMMDD dates, currency from the header and the own account column', () => {
    const s = parse(fixture('nl-af-bij.csv'));
    expect(s.transactions.map((t) => [t.postedOn, t.amountMinor, t.payee, t.memo])).toEqual([
      ['2024-02-13', -1234n, 'Albert Heijn 1234', 'Pasvolgnr: 001'],
      ['2024-02-14', 5000n, 'J. Jansen', 'Terugbetaling etentje'],
    ]);
    expect(s.account).toEqual({ currency: 'EUR', accountId: 'NL99INGB0000000001' });
  });

  it('accepts the caller\'s own direction words', () => {
    const text = 'Date,Amount,Flow\n2024-01-02,10.00,OUT\n2024-01-03,5.00,IN\n';
    const s = parse(text, { columns: { direction: 'Flow' }, directionValues: { debit: ['out'], credit: ['in'] } });
    expect(s.transactions.map((t) => t.amountMinor)).toEqual([-1000n, 500n]);
  });
});

describe('headers in other languages', () => {
  it('French: Date/Libellé/Montant/Devise with space grouping', () => {
    const s = parse(fixture('fr-libelle.csv'));
    expect(s.transactions.map((t) => [t.postedOn, t.amountMinor, t.payee])).toEqual([
      ['2024-01-02', -6420n, 'PRLV SEPA EDF'],
      ['2024-01-28', 215000n, 'VIR SALAIRE'],
    ]);
    expect(s.account.currency).toBe('EUR');
  });

  it('Spanish: Fecha/Concepto/Importe/Saldo', () => {
    const s = parse(fixture('es-concepto.csv'), undefined, 'EUR');
    expect(s.transactions.map((t) => [t.postedOn, t.amountMinor, t.payee])).toEqual([
      ['2024-02-13', 100000n, 'Transferencia recibida'],
      ['2024-02-14', -3590n, 'Compra supermercado'],
    ]);
    expect(s.balances).toContainEqual({ kind: 'closing', amountMinor: 106410n, date: '2024-02-14' });
  });

  it('Polish: Data operacji/Opis operacji/Kwota/Waluta', () => {
    const s = parse(fixture('pl-opis.csv'));
    expect(s.transactions.map((t) => [t.postedOn, t.amountMinor, t.payee])).toEqual([
      ['2024-03-15', 350000n, 'Przelew przychodzący'],
      ['2024-03-16', -123456n, 'Zakup BLIK'],
    ]);
    expect(s.account.currency).toBe('PLN');
  });

  it('English month names, "Pending" in the date column, pound amounts', () => {
    const s = parse(fixture('en-month-names.csv'), undefined, 'GBP');
    expect(s.transactions.map((t) => [t.sourceLine, t.postedOn, t.amountMinor])).toEqual([
      [3, '2019-12-12', 118323n],
      [4, '2020-01-03', -500n],
    ]);
    expect(s.warnings.some((w) => w.includes('pending') && w.includes('line 2'))).toBe(true);
  });
});

describe('ambiguous dates', () => {
  const text = fixture('ambiguous-dates.csv');

  it('asks instead of guessing, with the detection in details', () => {
    const e = importError(() => parse(text));
    expect(e.code).toBe('CSV_MAPPING_REQUIRED');
    const d = (e.details as { detection: CsvDetection }).detection;
    expect(d.dateFormatCandidates).toEqual(['DMY', 'MDY']);
    expect(d.problems.map((p) => p.kind)).toEqual(['AMBIGUOUS_DATE_FORMAT']);
    expect(d.question).toMatch(/day-month-year .* or month-day-year/);
    expect(d.columns[0]).toMatchObject({ header: 'Date', role: 'date', samples: ['03/04/2024', '05/04/2024', '11/04/2024'] });
    expect(d.mapping).toBeUndefined();
    // The details must survive JSON (problem+json).
    expect(JSON.parse(JSON.stringify(e.details))).toEqual(e.details);
  });

  it('is resolved by the caller choosing the format', () => {
    expect(parse(text, { dateFormat: 'DMY' }).transactions.map((t) => t.postedOn)).toEqual(['2024-04-03', '2024-04-05', '2024-04-11']);
    expect(parse(text, { dateFormat: 'MDY' }).transactions.map((t) => t.postedOn)).toEqual(['2024-03-04', '2024-05-04', '2024-11-04']);
  });

  it('is settled by a value-date column written the same way', () => {
    const s = parse('Date,Value date,Amount\n03/04/2024,13/04/2024,1.00\n');
    expect(s.transactions[0]?.postedOn).toBe('2024-04-03');
  });
});

describe('header-less files', () => {
  it('are read by content when it is clear', () => {
    const s = parse(fixture('headerless-semicolon.csv'));
    expect(s.transactions.map((t) => [t.sourceLine, t.postedOn, t.amountMinor, t.memo])).toEqual([
      [1, '2024-01-12', -2345n, 'Supermarkt Nord'],
      [2, '2024-01-15', 180000n, 'Gehalt Januar'],
      [3, '2024-01-20', -6100n, 'Stromversorger'],
    ]);
  });

  it('follow explicit options (column indices, format, decimal)', () => {
    const s = parse(fixture('headerless-semicolon.csv'), {
      delimiter: ';', hasHeader: false, dateFormat: 'DMY', decimal: ',', columns: { date: 0, amount: 2, payee: 1, currency: 3 },
    });
    expect(s.transactions.map((t) => [t.amountMinor, t.payee])).toEqual([[-2345n, 'Supermarkt Nord'], [180000n, 'Gehalt Januar'], [-6100n, 'Stromversorger']]);
  });

  it('ask which of two complementary amount columns is the debit', () => {
    const text = '01.02.2024\tShop\t\t12,50\n02.02.2024\tRefund\t3,00\t\n03.02.2024\tCafe\t\t2,10\n';
    const e = importError(() => parse(text));
    expect(e.code).toBe('CSV_MAPPING_REQUIRED');
    expect((e.details as { problems: Array<{ kind: string }> }).problems[0]?.kind).toBe('AMBIGUOUS_DEBIT_CREDIT');
    const s = parse(text, { columns: { credit: 2, debit: 3 } });
    expect(s.transactions.map((t) => t.amountMinor)).toEqual([-1250n, 300n, -210n]);
  });
});

describe('sign convention', () => {
  it('negates every amount when charges are positive', () => {
    const text = fixture('card-positive-charges.csv');
    expect(parse(text).transactions.map((t) => t.amountMinor)).toEqual([1599n, -20000n, 4210n]);
    expect(parse(text, { amountSign: 'inverted' }).transactions.map((t) => t.amountMinor)).toEqual([-1599n, 20000n, -4210n]);
  });
});

describe('saved mappings', () => {
  it('detection yields a JSON-safe, versioned mapping that reads back and parses the same', () => {
    const text = fixture('de-preamble-semicolon.csv');
    const d = detectCsv(text);
    expect(d.mapping).toMatchObject({ version: 1, delimiter: ';', hasHeader: true, decimal: ',', dateFormat: 'DMY' });
    expect(d.mapping?.columns).toMatchObject({ date: 'Buchungstag', amount: 'Betrag', payee: 'Auftraggeber/Empfänger' });
    const stored = readCsvMapping(JSON.parse(JSON.stringify(d.mapping)));
    expect(stored).toEqual(d.mapping);
    expect(parse(text, stored)).toEqual(parse(text));
  });

  it('rejects malformed or unknown-version mappings', () => {
    expect(readCsvMapping({ version: 2 })).toBeUndefined();
    expect(readCsvMapping({ version: 1, delimiter: 'x' })).toBeUndefined();
    expect(readCsvMapping({ version: 1, columns: { date: { $gt: 1 } } })).toBeUndefined();
    expect(readCsvMapping({ version: 1, columns: { nonsense: 1 } })).toBeUndefined();
    expect(readCsvMapping('{"version":1}')).toBeUndefined();
    expect(readCsvMapping({ version: 1, columns: { memo: ['A', 2] }, amountSign: 'inverted' })).toEqual({ version: 1, columns: { memo: ['A', 2] }, amountSign: 'inverted' });
  });

  it('a mapping naming a column the file lacks asks again', () => {
    const e = importError(() => parse(fixture('fr-libelle.csv'), { columns: { amount: 'Betrag' } }));
    expect(e.code).toBe('CSV_MAPPING_REQUIRED');
    expect(e.message).toContain('Betrag');
  });
});

describe('rows and errors', () => {
  it('a dated row with an unreadable amount is MALFORMED_FILE naming line and column', () => {
    const e = importError(() => parse('Date,Payee,Amount\n2024-01-02,A,1.00\n2024-01-03,B,12x.5\n'));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.line).toBe(3);
    expect(e.message).toContain('column 3');
    expect(e.details).toEqual({ column: 3 });
  });

  it('a date-shaped value the format cannot read is MALFORMED_FILE', () => {
    const e = importError(() => parse('Date,Amount\n2024-01-02,1.00\n2024-02-30,2.00\n'));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.line).toBe(3);
  });

  it('skips blank lines, undated totals, zero amounts and pending-status rows are flagged', () => {
    const text = 'Date,Description,Amount,Status\n2024-01-02,A,1.00,Posted\n\n2024-01-03,B,0.00,Posted\n,Total,1.00,\n2024-01-04,C,-2.00,Pending\n';
    const s = parse(text);
    expect(s.transactions.map((t) => [t.sourceLine, t.amountMinor, t.pending])).toEqual([[2, 100n, false], [6, -200n, true]]);
    expect(s.warnings).toEqual(expect.arrayContaining([expect.stringContaining('zero amount (line 4)'), 'skipped 1 blank line(s)']));
    expect(s.warnings.some((w) => w.includes('line 5'))).toBe(true);
  });

  it('uses a unique reference column as bank id, drops a repeating one', () => {
    const unique = parse('Date,Amount,Reference\n2024-01-02,1.00,R1\n2024-01-03,2.00,R2\n');
    expect(unique.transactions.map((t) => t.bankId)).toEqual(['R1', 'R2']);
    const repeated = parse('Date,Amount,Reference\n2024-01-02,1.00,R1\n2024-01-03,2.00,R1\n');
    expect(repeated.transactions.map((t) => t.bankId)).toEqual([undefined, undefined]);
    expect(repeated.warnings.some((w) => w.includes('repeats'))).toBe(true);
  });

  it('asks which account when rows belong to several, and filters when told', () => {
    const text = 'Date,Account Number,Amount\n2024-01-02,111,1.00\n2024-01-03,222,2.00\n2024-01-04,111,3.00\n';
    const e = importError(() => parse(text));
    expect((e.details as { problems: Array<{ kind: string; candidates: unknown[] }> }).problems[0]).toMatchObject({ kind: 'MULTIPLE_ACCOUNTS', candidates: ['111', '222'] });
    const s = parse(text, { account: '111' });
    expect(s.transactions.map((t) => t.amountMinor)).toEqual([100n, 300n]);
    expect(s.account.accountId).toBe('111');
  });

  it('refuses a quote opened after spaces and an unterminated quote', () => {
    const e = importError(() => parse('Date,Memo,Amount\n2024-01-02, "x, y",1.00\n'));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.line).toBe(2);
    expect(importError(() => parse('Date,Memo,Amount\n2024-01-02,"open,1.00\n')).code).toBe('MALFORMED_FILE');
  });

  it('handles a BOM, CR CR LF line ends, tabs and pipes', () => {
    const crcrlf = '\ufeffDate,Amount\r\r\n2024-01-02,1.00\r\r\n2024-01-03,2.00\r\r\n';
    expect(parse(crcrlf).transactions.map((t) => [t.sourceLine, t.amountMinor])).toEqual([[2, 100n], [3, 200n]]);
    expect(parse('Date\tAmount\n2024-01-02\t-1,50\n2024-01-03\t2,25\n').transactions.map((t) => t.amountMinor)).toEqual([-150n, 225n]);
    expect(parse('Date|Amount\n2024-01-02|7.00\n2024-01-03|8.00\n').transactions.map((t) => t.amountMinor)).toEqual([700n, 800n]);
  });

  it('says what it needs when no date or amount column exists', () => {
    const e = importError(() => parse('Name,Comment\nA,B\nC,D\n'));
    expect(e.code).toBe('CSV_MAPPING_REQUIRED');
    const kinds = (e.details as { problems: Array<{ kind: string }> }).problems.map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining(['NO_DATE_COLUMN', 'NO_AMOUNT_COLUMN']));
  });

  it('uses the currency exponent of the currency column', () => {
    const s = parse('Date,Amount,Currency\n2024-01-02,1500,JPY\n2024-01-03,1.234,KWD\n');
    expect(s.account.currency).toBe('JPY');
    expect(s.transactions.map((t) => [t.amountMinor, t.currency])).toEqual([[1500n, undefined], [1234n, 'KWD']]);
  });

  it('ignores a caller currency that is not an ISO code', () => {
    const s = parse('Date,Amount\n2024-01-02,1.00\n2024-01-03,2.00\n', { currency: 'usd' }, 'E€R');
    expect(s.account.currency).toBeUndefined();
    expect(s.warnings.filter((w) => w.startsWith('ignored the currency'))).toHaveLength(2);
  });
});

describe('looksLikeCsv', () => {
  it('accepts tabular text and refuses XML, OFX and QIF', () => {
    expect(looksLikeCsv(fixture('de-preamble-semicolon.csv'))).toBe(true);
    expect(looksLikeCsv(fixture('en-debit-credit.csv'))).toBe(true);
    expect(looksLikeCsv('<?xml version="1.0"?><Document/>')).toBe(false);
    expect(looksLikeCsv('OFXHEADER:100\nDATA:OFXSGML\n')).toBe(false);
    expect(looksLikeCsv('!Type:Bank\nD01/02/2024\nT-1.00\n^\n')).toBe(false);
    expect(looksLikeCsv('just one line of prose')).toBe(false);
  });
});
