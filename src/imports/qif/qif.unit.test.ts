import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../errors.ts';
import { parseStatement, parseStatements } from '../parse.ts';
import type { Statement } from '../statement.ts';
import { resolveQifDate, splitQifDate } from './dates.ts';
import { parseQif, type QifContext } from './qif.ts';

const FIXTURES = new URL('../../../test/fixtures/imports/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const ctx: QifContext = { encoding: { used: 'utf-8' }, currency: 'USD' };
const qif = (body: string, c: Partial<QifContext> = {}): Statement => parseQif(body, { ...ctx, ...c })[0] as Statement;

function caught(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('expected an ImportError');
}

describe('QIF dates', () => {
  it.each([
    ['1/ 5/98', 'MDY', '1998-01-05'],
    ["01/05'04", 'MDY', '2004-01-05'],
    ["1/5' 4", 'MDY', '2004-01-05'],
    ["3/29' 0", 'MDY', '2000-03-29'],
    ["1/ 1'00", 'MDY', '2000-01-01'],
    ["2/10'2020", 'MDY', '2020-02-10'],
    ['2004-01-05', 'MDY', '2004-01-05'],
    ['2004-01-05', 'DMY', '2004-01-05'],
    ['05.01.2004', 'DMY', '2004-01-05'],
    ['05-01-2004', 'DMY', '2004-01-05'],
    ['20040105', 'DMY', '2004-01-05'],
    ['12/31/69', 'MDY', '2069-12-31'],
    ['12/31/70', 'MDY', '1970-12-31'],
    ['03/25/099', 'MDY', '1999-03-25'],
  ] as const)('%s (%s) -> %s', (raw, order, expected) => {
    const parts = splitQifDate(raw);
    expect(parts).toBeDefined();
    expect(resolveQifDate(parts!, order)).toBe(expected);
  });

  it('rejects what is not a date', () => {
    for (const raw of ['', 'yesterday', '1/5', '13', '1/5/1', '2004-1', '2/30/2004']) {
      const parts = splitQifDate(raw);
      expect(parts === undefined || resolveQifDate(parts, 'MDY') === undefined).toBe(true);
    }
  });
});

describe('QIF bank registers', () => {
  it("reads Quicken's odd forms: padded and apostrophe dates, thousands, splits, check numbers", async () => {
    const st = await parseStatement(fixture('qif-bank-us.qif'), { currency: 'USD' });
    expect(st.format).toBe('qif');
    expect(st.account).toEqual({ type: 'Bank', currency: 'USD' });
    expect(st.balances).toEqual([]);
    expect(st.transactions).toEqual([
      { sourceLine: 2, postedOn: '1998-01-05', amountMinor: -123456n, pending: false, payee: 'Corner Store', memo: 'Groceries for the week', checkNumber: '1001' },
      { sourceLine: 10, postedOn: '2004-01-05', amountMinor: -2000n, pending: false, payee: 'Split dinner' },
      { sourceLine: 21, postedOn: '2004-01-05', amountMinor: 25000n, pending: false, payee: 'Payroll', kind: 'DEP' },
      { sourceLine: 26, postedOn: '2004-01-31', amountMinor: 50n, pending: false, payee: 'Interest' },
      { sourceLine: 30, postedOn: '1999-12-31', amountMinor: -10n, pending: false, payee: 'Fee' },
    ]);
    expect(st.warnings).toEqual(["1 record has split lines; splits are not imported, each record's total is"]);
  });

  it('reads European files: day-first dotted dates and 1.234,56 amounts', async () => {
    const st = await parseStatement(fixture('qif-bank-eu.qif'), { currency: 'EUR' });
    expect(st.encoding.used).toBe('windows-1252');
    expect(st.transactions.map((t) => [t.postedOn, t.amountMinor, t.payee])).toEqual([
      ['2004-01-05', -123456n, 'Kaufhaus Müller'],
      ['2004-02-03', 200000n, 'Gehalt'],
      ['2004-02-04', -1250n, 'Bäckerei'],
    ]);
    // No day above 12 in the file: the dotted-date convention was assumed, and said so.
    expect(st.warnings[0]).toMatch(/no date in the file tells day from month.*day\.month\.year/);
  });

  it('decides the day/month order from any date in the file', () => {
    const body = '!Type:Bank\nD03/04/2024\nT-1\n^\nD25/04/2024\nT-2\n^\n';
    expect(qif(body).transactions.map((t) => t.postedOn)).toEqual(['2024-04-03', '2024-04-25']);
    expect(qif(body).warnings).toEqual([]);
    const us = '!Type:Bank\nD03/04/2024\nT-1\n^\nD04/25/2024\nT-2\n^\n';
    expect(qif(us).transactions.map((t) => t.postedOn)).toEqual(['2024-03-04', '2024-04-25']);
  });

  it('assumes month first when nothing decides, warns, and follows the caller when told', () => {
    const body = '!Type:Bank\nD03/04/2024\nT-1\n^\n';
    const st = qif(body);
    expect(st.transactions[0]?.postedOn).toBe('2024-03-04');
    expect(st.warnings[0]).toMatch(/assumed month\/day\/year/);
    const dmy = qif(body, { dateOrder: 'DMY' });
    expect(dmy.transactions[0]?.postedOn).toBe('2024-04-03');
    expect(dmy.warnings).toEqual([]);
  });

  it('refuses a file mixing day-first and month-first dates', () => {
    const e = caught(() => qif('!Type:Bank\nD25/04/2024\nT-1\n^\nD04/26/2024\nT-2\n^\n'));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/day-first but line 5.*month-first/);
  });

  it('names the line of a bad date, a missing date, a bad amount', () => {
    expect(caught(() => qif('!Type:Bank\nD02/30/2024\nT-1\n^\n')).message).toMatch(/^line 2: "02\/30\/2024" is not a valid month\/day\/year date/);
    expect(caught(() => qif('!Type:Bank\nPNo date\nT-1\n^\n')).message).toBe('line 2: record has no D (date) line');
    const e = caught(() => qif('!Type:Bank\nD1/2/2024\nTtwelve\n^\n'));
    expect(e.code).toBe('AMOUNT_INVALID');
    expect(e.line).toBe(3);
    expect(caught(() => qif('!Type:Bank\nD1/2/2024\nPNo amount\n^\n')).message).toBe('line 2: record has no T (amount) line');
  });

  it('uses the split sum when the total is missing and warns when they disagree', () => {
    const st = qif('!Type:Bank\nD1/2/2024\nSA\n$-1.00\nSB\n$-2.50\n^\nD1/3/2024\nT-5.00\nSA\n$-1.00\n^\n');
    expect(st.transactions.map((t) => t.amountMinor)).toEqual([-350n, -500n]);
    expect(st.warnings.join('\n')).toMatch(/line 8: the splits of this record add up to a different amount/);
  });

  it('accepts Cash, CCard and Oth A/L registers, comments, empty records, a missing final ^', () => {
    for (const type of ['Cash', 'CCard', 'Oth A', 'Oth L', 'Oth A/L', 'Bank ']) {
      const st = qif(`# exported\n!Type:${type}\n^\nD1/2/2024\nT-1.00\nPX\n`);
      expect(st.account.type).toBe(type.trim());
      expect(st.transactions).toHaveLength(1);
    }
  });

  it('refuses records before any header, and files with only investment or list sections', () => {
    expect(caught(() => qif('D1/2/2024\nT-1\n^\n')).message).toMatch(/line 1: expected a !Type: header/);
    expect(caught(() => qif('!Type:Invst\nD1/2/2024\nNBuy\nT10\n^\n')).code).toBe('UNSUPPORTED_FORMAT');
    expect(caught(() => qif('!Type:Cat\nNFood\n^\n')).code).toBe('MALFORMED_FILE');
  });

  it('returns one statement per account register and skips investments with a warning', async () => {
    const all = await parseStatements(fixture('qif-multi-account.qif'), { currency: 'USD' });
    expect(all.map((s) => [s.account.accountId, s.account.type, s.transactions.length])).toEqual([
      ['Checking', 'Bank', 1],
      ['Visa', 'CCard', 2],
    ]);
    expect(all[0]?.warnings).toContain('1 investment record skipped (only bank, cash, credit-card and asset/liability registers are imported)');
    const one = await parseStatement(fixture('qif-multi-account.qif'), { currency: 'USD' });
    expect(one.account.accountId).toBe('Checking');
    expect(one.warnings.at(-1)).toMatch(/holds 2 statements \(.*Visa CCard: 2 transactions.*\); imported number 1/);
  });

  it('reads amounts in the account currency, and says when there is none', () => {
    expect(qif('!Type:Bank\nD1/2/2024\nT-1,234\n^\n', { currency: 'JPY' }).transactions[0]?.amountMinor).toBe(-1234n);
    const none = qif('!Type:Bank\nD1/2/2024\nT-1.50\n^\n', { currency: undefined });
    expect(none.account.currency).toBeUndefined();
    expect(none.transactions[0]?.amountMinor).toBe(-150n);
    expect(none.warnings.join()).toMatch(/state no currency/);
  });

  it('warns about a Quicken opening-balance record', () => {
    expect(qif('!Type:Bank\nD1/2/2024\nT100\nPOpening Balance\nL[Checking]\n^\n').warnings.join()).toMatch(/Opening Balance/);
  });
});

describe('QIF robustness', () => {
  it('throws only ImportError on mutated files', () => {
    const seeds = ['qif-bank-us.qif', 'qif-bank-eu.qif', 'qif-multi-account.qif'].map((n) => Buffer.from(fixture(n)).toString('latin1'));
    const tokens = ['\n', '^', '!Type:Bank\n', '!Type:Invst\n', '!Account\n', 'D', 'T', '$', "'", '/', '.', ',', '-', '31', '99'];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.nat(10), fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 3 }))), { minLength: 1, maxLength: 6 }),
        (seed, edits) => {
          let t = seed;
          for (const [at, del, ins] of edits) {
            const p = at % (t.length + 1);
            t = t.slice(0, p) + ins + t.slice(p + del);
          }
          try {
            for (const st of parseQif(t, ctx)) for (const tx of st.transactions) expect(tx.postedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          } catch (e) {
            if (!(e instanceof ImportError)) throw e;
            // The parser's safety net turns a bug into MALFORMED_FILE "could not be read": none may happen here.
            expect(e.message).not.toMatch(/could not be read/);
          }
        },
      ),
      { numRuns: 1500, seed: 5 },
    );
  });

  it('is linear on long lines of spaces', () => {
    const e = caught(() => qif('!Type:Bank\nD1/1/2020\nT' + ' '.repeat(2_000_000) + 'x\n^\n'));
    expect(e.code).toBe('AMOUNT_INVALID');
  });
});
