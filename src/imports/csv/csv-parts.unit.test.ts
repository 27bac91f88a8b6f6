import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../errors.ts';
import { parseCsv, detectCsv } from './csv.ts';
import { dateMask, formatsOf, parseDateCell } from './dates.ts';
import { headerScore } from './headers.ts';
import { sniffDelimiter } from './sniff.ts';
import { tokenize } from './tokenize.ts';

const fixturesDir = new URL('../../../test/fixtures/imports/csv/', import.meta.url);
const fixtures = readdirSync(fixturesDir).map((f) => readFileSync(new URL(f, fixturesDir), 'utf8'));

describe('tokenize', () => {
  it('reads RFC 4180 quoting with doubled quotes and embedded line breaks, tracking physical lines', () => {
    const { records } = tokenize('a,"b ""q"", c"\r\n"multi\nline",x\n\nlast,', ',', { strict: true });
    expect(records).toEqual([
      { line: 1, cells: ['a', 'b "q", c'] },
      { line: 2, cells: ['multi\nline', 'x'] },
      { line: 4, cells: [''] },
      { line: 5, cells: ['last', ''] },
    ]);
  });

  it('counts lone CRs and CR CR LF as line breaks', () => {
    expect(tokenize('a\rb\r\r\nc', ',', { strict: true }).records.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it('repairs a record whose opening quote was lost', () => {
    expect(tokenize('NL01","EUR"\n', ',', { strict: true }).records[0]?.cells).toEqual(['NL01', 'EUR']);
  });

  it('in lenient mode reports instead of throwing', () => {
    const r = tokenize('"a"b,c\n', ',', { strict: false });
    expect(r.problem).toMatchObject({ line: 1 });
    expect(() => tokenize('"a"b,c\n', ',', { strict: true })).toThrow(ImportError);
  });
});

describe('sniffDelimiter', () => {
  it('prefers the delimiter giving steady multi-field rows', () => {
    expect(sniffDelimiter('a;b;c\n1,5;2,5;3\n4,5;5,5;6\n')).toBe(';');
    expect(sniffDelimiter('"a","b","c"\n"1,5","2","3"\n')).toBe(',');
    expect(sniffDelimiter('a\tb\tc\n1,5\t2\t3\n')).toBe('\t');
    expect(sniffDelimiter('a|b|c\n1|2|3\n')).toBe('|');
  });
});

describe('dates', () => {
  it('finds every format a value fits', () => {
    expect(formatsOf(dateMask('2024-03-04'))).toEqual(['YMD']);
    expect(formatsOf(dateMask('03/04/2024'))).toEqual(['DMY', 'MDY']);
    expect(formatsOf(dateMask('13/04/2024'))).toEqual(['DMY']);
    expect(formatsOf(dateMask('04/13/2024'))).toEqual(['MDY']);
    expect(formatsOf(dateMask('03.04.2024'))).toEqual(['DMY']);
    expect(formatsOf(dateMask('20240304'))).toEqual(['YYYYMMDD']);
    expect(formatsOf(dateMask('12-Dec-2019'))).toEqual(['DMY']);
    expect(formatsOf(dateMask('Dec 12, 2019'))).toEqual(['MDY']);
    expect(formatsOf(dateMask('3 janv. 2024'))).toEqual(['DMY']);
    expect(formatsOf(dateMask('15. März 2024'))).toEqual(['DMY']);
    expect(formatsOf(dateMask('2019.04.19.'))).toEqual(['YMD']);
    expect(dateMask('1111/11/11')).toBe(0);
    expect(dateMask('31/02/2024')).toBe(0);
    expect(dateMask('1.234,56')).toBe(0);
  });

  it('reads 2-digit years with a 1970 pivot and keeps only the leading date of a cell', () => {
    expect(parseDateCell('20.02.18', 'DMY')).toBe('2018-02-20');
    expect(parseDateCell('01/02/75', 'MDY')).toBe('1975-01-02');
    expect(parseDateCell('04/17/2023 as of 04/15/2023', 'MDY')).toBe('2023-04-17');
    expect(parseDateCell('2020-01-01T13:00:00', 'YMD')).toBe('2020-01-01');
    expect(parseDateCell('29.02.2023', 'DMY')).toBeUndefined();
    expect(parseDateCell('29.02.2024', 'DMY')).toBe('2024-02-29');
  });
});

describe('headers', () => {
  it('recognises role names in several languages and keeps look-alikes apart', () => {
    for (const h of ['Buchungstag', 'Date', 'Fecha', 'Data operacji', 'Datum', 'Transactiedatum']) expect(headerScore(h, 'date')).toBeGreaterThan(0);
    for (const h of ['Betrag', 'Montant', 'Bedrag (EUR)', 'Importe', 'Kwota', 'Amount ($)']) expect(headerScore(h, 'amount')).toBeGreaterThan(0);
    for (const h of ['Verwendungszweck', 'Mededelingen', 'Memo']) expect(headerScore(h, 'memo')).toBeGreaterThan(0);
    for (const h of ['Empfänger', 'Auftraggeber/Empfänger', 'Naam tegenpartij', 'Payee']) expect(headerScore(h, 'payee')).toBeGreaterThan(0);
    expect(headerScore('Originalbetrag', 'amount')).toBe(0);
    expect(headerScore('Amount (fee)', 'amount')).toBe(0);
    expect(headerScore('Valutadatum', 'date')).toBe(0);
    expect(headerScore('Tegenrekening IBAN/BBAN', 'account')).toBe(0);
    expect(headerScore('Buchungstag', 'date')).toBeGreaterThan(headerScore('Datum', 'date'));
  });
});

const onlyImportErrors = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof ImportError) return true;
    throw e;
  }
};

describe('robustness', () => {
  it('never throws anything but ImportError for mutated fixtures', () => {
    const arb = fc.tuple(fc.constantFrom(...fixtures), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 6 }));
    fc.assert(
      fc.property(arb, ([base, edits]) => {
        let text = base;
        for (const [at, del, ins] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ins + text.slice(i + del);
        }
        return onlyImportErrors(() => parseCsv(text, { encoding: { used: 'utf-8' } })) && onlyImportErrors(() => detectCsv(text));
      }),
      { numRuns: 200, seed: 20261124 },
    );
  });

  it('stays linear on hostile shapes', { timeout: 30_000 }, () => {
    const n = 200_000;
    const inputs = [
      '\r'.repeat(n),
      `"${'\r'.repeat(n)}"`,
      ','.repeat(n),
      `${'a;'.repeat(n / 2)}\n`,
      `"${'""'.repeat(n / 2)}`,
      ` ${' '.repeat(n)}"x"`,
      `Date,Amount\n${'2024-01-01,1.00\n'.repeat(n / 10)}`,
      `${'1'.repeat(n)},${'2'.repeat(n)}\n`,
      `Date,Memo,Amount\n2024-01-01,${'é'.repeat(n)},1.00\n`,
    ];
    for (const text of inputs) expect(onlyImportErrors(() => parseCsv(text, { encoding: { used: 'utf-8' } }))).toBe(true);
  });
});
