import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect.ts';
import { ImportError } from './errors.ts';
import { parseStatement, parseStatements, pickStatement } from './parse.ts';
import type { Statement } from './statement.ts';

const FIXTURES = new URL('../../test/fixtures/imports/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function caught(fn: () => Promise<unknown>): Promise<ImportError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('expected an ImportError');
}

const CAMT = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId><CreDtTm>2024-01-31T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2024-01-31T10:00:00</CreDtTm><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-05</Dt></BookgDt><ValDt><Dt>2024-01-05</Dt></ValDt><AcctSvcrRef>R1</AcctSvcrRef><BkTxCd/></Ntry>
</Stmt></BkToCstmrStmt></Document>`;

describe('detectFormat', () => {
  it.each([
    ['OFXHEADER:100\nDATA:OFXSGML\n\n<OFX>', undefined, 'ofx1'],
    ['\r\n\r\n  OFXHEADER:100\r\n<OFX>', undefined, 'ofx1'],
    ['<OFX><SIGNONMSGSRSV1>', undefined, 'ofx1'],
    ['<?xml version="1.0"?><?OFX OFXHEADER="200"?><OFX>', undefined, 'ofx2'],
    ['<?OFX OFXHEADER="200" VERSION="202"?>\n<OFX>', undefined, 'ofx2'],
    ['OFXHEADER:100\n<OFX><SIGNONMSGSRSV1><SONRS><INTU.BID>3000', undefined, 'qfx'],
    ['OFXHEADER:100\n<OFX>', 'bank.QFX', 'qfx'],
    ['!Type:Bank\nD1/1/24\n', undefined, 'qif'],
    ['# comment\n!Option:AutoSwitch\n!Account\n', undefined, 'qif'],
    [CAMT, undefined, 'camt053'],
    ['Date,Payee,Amount\n2024-01-05,Shop,-1.00\n2024-01-06,Shop,-2.00\n', undefined, 'csv'],
    ['Datum;Betrag\n05.01.2024;-1,00\n', 'export.csv', 'csv'],
  ])('%j -> %s', (text, name, format) => {
    expect(detectFormat(text, name)).toBe(format);
  });

  it.each([
    ['%PDF-1.7 binary', /PDF/],
    ['{"transactions": []}', /JSON/],
    ['<html><body>Your statement</body></html>', /neither OFX nor CAMT\.053/],
    ['<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>', /pain\.001/],
    ['just some words\nwithout any structure\n', /not recognised/],
  ])('refuses %j with the list of supported formats', (text, why) => {
    try {
      detectFormat(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ImportError);
      expect((e as ImportError).code).toBe('UNSUPPORTED_FORMAT');
      expect((e as ImportError).message).toMatch(why);
      expect((e as ImportError).message).toMatch(/supported formats are OFX 1\.x \(SGML\), OFX 2\.x \(XML\), QFX, QIF, CAMT\.053 \(XML\) and CSV/);
    }
  });

  it('calls an empty file malformed', () => {
    expect(() => detectFormat('  \r\n')).toThrow(/empty/);
  });
});

describe('parseStatement dispatch', () => {
  it('honours an explicit format and refuses an unknown one', async () => {
    const st = await parseStatement(fixture('qif-bank-eu.qif'), { format: 'qif', currency: 'EUR' });
    expect(st.format).toBe('qif');
    const e = await caught(() => parseStatement(fixture('qif-bank-eu.qif'), { format: 'mt940' as never }));
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toMatch(/unknown format "mt940"/);
  });

  it('hands CAMT.053 to the CAMT parser with the decoded text', async () => {
    const st = await parseStatement(utf8(CAMT));
    expect(st.format).toBe('camt053');
    expect(st.encoding).toMatchObject({ used: 'utf-8', declared: 'UTF-8' });
    expect(st.account.accountId).toBe('DE89370400440532013000');
    expect(st.transactions[0]).toMatchObject({ postedOn: '2024-01-05', amountMinor: -1250n });
  });

  it('hands CSV to the CSV parser with the options', async () => {
    const csv = 'Date,Payee,Amount\n2024-01-05,Shop,-1.00\n2024-01-06,Other,-2.00\n';
    const st = await parseStatement(utf8(csv), { currency: 'USD', fileName: 'x.csv' });
    expect(st.format).toBe('csv');
    expect(st.transactions.map((t) => t.amountMinor)).toEqual([-100n, -200n]);
  });

  it('decodes UTF-16 statements before sniffing', async () => {
    const text = Buffer.from(fixture('qif-bank-eu.qif')).toString('latin1');
    const bytes = new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const st = await parseStatement(bytes, { currency: 'EUR' });
    expect(st.encoding.used).toBe('utf-16le');
    expect(st.transactions[0]?.payee).toBe('Kaufhaus Müller');
  });

  it('parseStatements returns every account; pickStatement needs at least one', async () => {
    expect(await parseStatements(fixture('ofx1-multi-account.ofx'))).toHaveLength(2);
    expect(() => pickStatement([])).toThrow(ImportError);
    const lone: Statement = { format: 'qif', encoding: { used: 'utf-8' }, account: {}, balances: [], transactions: [], warnings: [] };
    expect(pickStatement([lone])).toBe(lone);
    expect(lone.warnings).toEqual([]);
  });

  it('pickStatement: by number, by bank account id or its last digits, by the previous import, else the first with transactions', async () => {
    const fresh = async () => parseStatements(fixture('ofx1-multi-account.ofx'));
    const ids = (await fresh()).map((s) => s.account.accountId);
    expect(ids).toEqual(['EMPTY-1', 'CHK-2']);
    const auto = pickStatement(await fresh());
    expect(auto.account.accountId).toBe('CHK-2');
    expect(auto.warnings.at(-1)).toMatch(/holds 2 statements \(1\) account EMPTY-1 SAVINGS: 0 transactions; 2\) account CHK-2 CHECKING: 2 transactions\); imported number 2.*statement=N/);
    expect(pickStatement(await fresh(), '1').account.accountId).toBe('EMPTY-1');
    expect(pickStatement(await fresh(), 'CHK-2').account.accountId).toBe('CHK-2');
    expect(pickStatement(await fresh(), 'Y-1').account.accountId).toBe('EMPTY-1');
    expect(pickStatement(await fresh(), undefined, 'EMPTY-1').account.accountId).toBe('EMPTY-1');
    // An explicit choice wins over the previous import.
    expect(pickStatement(await fresh(), '2', 'EMPTY-1').account.accountId).toBe('CHK-2');
    for (const bad of ['3', 'NOPE', '-']) {
      let err: unknown;
      try {
        pickStatement(await fresh(), bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ImportError);
      expect((err as ImportError).code).toBe('STATEMENT_NOT_FOUND');
      expect((err as ImportError).message).toMatch(/the file holds 2: 1\) account EMPTY-1/);
    }
  });
});
