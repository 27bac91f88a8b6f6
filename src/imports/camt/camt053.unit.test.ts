import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../errors.ts';
import { looksLikeCamt053, parseCamt053, parseCamt053All } from './camt053.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/imports/camt/${name}`, import.meta.url), 'utf8');
const ctx = { encoding: { used: 'utf-8' } };

function importError(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    return e as ImportError;
  }
  throw new Error('expected an ImportError');
}

describe('camt.053.001.02', () => {
  const s = parseCamt053(fixture('v02-basic.xml'), ctx);

  it('reads account, servicer BIC, currency and period', () => {
    expect(s.format).toBe('camt053');
    expect(s.account).toEqual({ accountId: 'DE89370400440532013000', currency: 'EUR', bankId: 'COBADEFFXXX' });
    expect(s.period).toEqual({ start: '2024-02-01', end: '2024-02-29' });
    expect(s.warnings).toEqual([]);
  });

  it('maps OPBD, CLBD and CLAV balances with their dates', () => {
    expect(s.balances).toEqual([
      { kind: 'opening', amountMinor: 100000n, date: '2024-02-01' },
      { kind: 'closing', amountMinor: 245755n, date: '2024-02-29' },
      { kind: 'available', amountMinor: 240000n, date: '2024-02-29' },
    ]);
  });

  it('signs DBIT negative, uses the booking date and the creditor as payee of a debit', () => {
    const t = s.transactions[0];
    expect(t).toMatchObject({
      postedOn: '2024-02-05',
      amountMinor: -4245n,
      payee: 'Stadtwerke Musterstadt',
      memo: 'Abschlag Strom Februar Kundennummer 4711 Vertrag 0815',
      bankId: '2024020500001',
      kind: 'PMNT/ICDT/ESCT',
      pending: false,
    });
    expect(t?.sourceLine).toBe(39);
    expect(t?.reversal).toBeUndefined();
  });

  it('reads amounts without decimals, the debtor as payee of a credit, the structured reference as memo', () => {
    const t = s.transactions[1];
    expect(t).toMatchObject({ postedOn: '2024-02-27', amountMinor: 150000n, payee: 'Muster GmbH', memo: 'RF18539007547034', bankId: '2024022700002' });
  });
});

describe('camt.053.001.04 with a namespace prefix', () => {
  const s = parseCamt053(fixture('v04-batch-reversal.xml'), ctx);

  it('splits a batch entry into one transaction per TxDtls when the amounts add up', () => {
    const batch = s.transactions.slice(0, 3);
    expect(batch.map((t) => t.amountMinor)).toEqual([10000n, 25000n, -5000n]);
    expect(batch.map((t) => t.payee)).toEqual(['Alice', 'Bob', 'Bank fee']);
    // Own TxDtls reference first; otherwise the entry reference numbered by position.
    expect(batch.map((t) => t.bankId)).toEqual(['BATCH-1#1', 'TX-B', 'BATCH-1#3']);
    expect(batch[0]?.memo).toBe('Membership Alice');
    // Each part points at the line of its own TxDtls.
    expect(new Set(batch.map((t) => t.sourceLine)).size).toBe(3);
    expect(batch.every((t) => t.postedOn === '2024-04-01')).toBe(true);
  });

  it('books a reversal with the bank-given indicator and marks it', () => {
    const t = s.transactions[3];
    expect(t).toMatchObject({ amountMinor: -6450n, reversal: true, payee: 'Gym Club', bankId: 'RVSL-1', pending: false });
  });

  it('marks PDNG entries pending and falls back to the value date and NtryRef', () => {
    const t = s.transactions[4];
    expect(t).toMatchObject({ amountMinor: -1000n, pending: true, postedOn: '2024-04-02', bankId: 'PEND-7', memo: 'Card payment Bakery' });
  });

  it('keeps a batch whose parts do not add up as one transaction, with a warning', () => {
    const t = s.transactions[5];
    expect(t).toMatchObject({ amountMinor: -2000n, bankId: 'BAD-BATCH', memo: 'Collective debit' });
    expect(s.transactions).toHaveLength(6);
    expect(s.warnings.some((w) => w.includes('kept as one transaction') && w.includes('add up'))).toBe(true);
  });

  it('takes the currency from the amounts, signs a DBIT balance, rounds extra decimals, ignores a balance in another currency', () => {
    expect(s.account.currency).toBe('EUR');
    expect(s.account.bankId).toBe('ABNANL2A');
    expect(s.balances).toEqual([
      { kind: 'opening', amountMinor: -10000n, date: '2024-03-31' },
      { kind: 'closing', amountMinor: 22551n, date: '2024-04-01' },
    ]);
    expect(s.warnings.some((w) => w.includes('USD'))).toBe(true);
  });
});

describe('camt.053.001.08', () => {
  const s = parseCamt053(fixture('v08-status-code.xml'), ctx);

  it('reads Othr account ids, BICFI, account type and ITAV', () => {
    expect(s.account).toEqual({ accountId: '0042-1234567-89', type: 'CACC', currency: 'CHF', bankId: 'UBSWCHZH80A' });
    expect(s.balances.map((b) => [b.kind, b.amountMinor])).toEqual([
      ['opening', 50000n],
      ['available', 38000n],
      ['closing', 40000n],
    ]);
  });

  it('reads Sts/Cd, party names under Pty and prefers the TxDtls AcctSvcrRef', () => {
    expect(s.transactions[0]).toMatchObject({ amountMinor: -10000n, pending: false, payee: 'Hausverwaltung Zürich AG', bankId: 'TX-08-1', memo: 'Miete Mai' });
    expect(s.transactions[1]).toMatchObject({ amountMinor: -2000n, pending: true, bankId: 'CARD-0501', memo: 'Kartenzahlung Migros' });
  });
});

describe('several statements in one file', () => {
  it('parseCamt053All returns one Statement per <Stmt>', () => {
    const all = parseCamt053All(fixture('multi-statement.xml'), ctx);
    expect(all.map((s) => s.account.accountId)).toEqual(['FR7630006000011234567890189', 'FR7630006000011234567890189', 'FR7630006000019876543210123']);
    expect(all.map((s) => s.transactions.length)).toEqual([1, 1, 1]);
  });

  it('parseCamt053 merges consecutive statements of the first account and names the others', () => {
    const s = parseCamt053(fixture('multi-statement.xml'), ctx);
    expect(s.transactions.map((t) => t.bankId)).toEqual(['D1-1', 'D2-1']);
    expect(s.balances).toEqual([
      { kind: 'opening', amountMinor: 1000n, date: '2024-06-01' },
      { kind: 'closing', amountMinor: 1250n, date: '2024-06-02' },
    ]);
    expect(s.period).toEqual({ start: '2024-06-01', end: '2024-06-02' });
    expect(s.warnings.some((w) => w.includes('FR7630006000019876543210123') && w.includes('not imported'))).toBe(true);
  });
});

describe('errors', () => {
  it('refuses entity declarations (billion laughs) and external DTDs as UNSAFE_XML', () => {
    expect(importError(() => parseCamt053(fixture('billion-laughs.xml'), ctx)).code).toBe('UNSAFE_XML');
    expect(importError(() => parseCamt053(fixture('external-entity.xml'), ctx)).code).toBe('UNSAFE_XML');
  });

  it('names another ISO 20022 message type', () => {
    const e = importError(() => parseCamt053(fixture('camt052-report.xml'), ctx));
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toContain('camt.052');
  });

  it('reports malformed XML with line and column', () => {
    const text = fixture('v02-basic.xml').replace('<CdtDbtInd>DBIT</CdtDbtInd>', '<CdtDbtInd>DBIT</CdtDbtIndX>');
    const e = importError(() => parseCamt053(text, ctx));
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.line).toBe(41);
    expect(e.message).toMatch(/line 41, column \d+/);
  });

  it('rejects a document without <Stmt>, a missing indicator and a bad amount with their lines', () => {
    const empty = '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>';
    expect(importError(() => parseCamt053(empty, ctx)).message).toContain('no <Stmt>');
    const noInd = fixture('v02-basic.xml').replace('<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>', '<Sts>');
    const e1 = importError(() => parseCamt053(noInd, ctx));
    expect(e1.code).toBe('MALFORMED_FILE');
    expect(e1.line).toBe(39);
    const badAmt = fixture('v02-basic.xml').replace('>42.45<', '>42,45<');
    const e2 = importError(() => parseCamt053(badAmt, ctx));
    expect(e2.code).toBe('AMOUNT_INVALID');
    expect(e2.line).toBe(40);
  });

  it('rejects a currency that is not an ISO code', () => {
    const text = fixture('v02-basic.xml').replace('<Ccy>EUR</Ccy>', '<Ccy>E€R</Ccy>');
    expect(importError(() => parseCamt053(text, ctx)).code).toBe('MALFORMED_FILE');
  });

  it('never throws anything but ImportError on junk', () => {
    for (const junk of ['', 'not xml', '<a>', '<?xml version="1.0"?><Document/>', '<Document><BkToCstmrStmt><Stmt><Ntry></Ntry></Stmt></BkToCstmrStmt></Document>']) {
      importError(() => parseCamt053(junk, ctx));
    }
  });
});

describe('looksLikeCamt053', () => {
  it('recognises camt documents and nothing else', () => {
    expect(looksLikeCamt053(fixture('v02-basic.xml'))).toBe(true);
    expect(looksLikeCamt053(fixture('v04-batch-reversal.xml'))).toBe(true);
    expect(looksLikeCamt053(fixture('camt052-report.xml'))).toBe(true);
    expect(looksLikeCamt053('<?xml version="1.0"?><OFX><SIGNONMSGSRSV1/></OFX>')).toBe(false);
    expect(looksLikeCamt053('Date,Amount\n2024-01-01,1.00\n')).toBe(false);
  });
});

describe('robustness', () => {
  const bases = ['v02-basic.xml', 'v04-batch-reversal.xml', 'v08-status-code.xml', 'multi-statement.xml'].map(fixture);
  const onlyImportErrors = (text: string): boolean => {
    try {
      parseCamt053All(text, ctx);
      return true;
    } catch (e) {
      if (e instanceof ImportError) return true;
      throw e;
    }
  };

  it('never throws anything but ImportError for mutated statements', () => {
    const arb = fc.tuple(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 30 }), fc.string({ unit: 'binary', maxLength: 10 })), { maxLength: 5 }));
    fc.assert(
      fc.property(arb, ([base, edits]) => {
        let text = base;
        for (const [at, del, ins] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ins + text.slice(i + del);
        }
        return onlyImportErrors(text);
      }),
      { numRuns: 200, seed: 20261124 },
    );
  });

  it('handles deep nesting, huge batches and many balances in bounded time', { timeout: 30_000 }, () => {
    const head = '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>X</IBAN></Id><Ccy>EUR</Ccy></Acct>';
    const tail = '</Stmt></BkToCstmrStmt></Document>';
    expect(onlyImportErrors(`${head}${'<Ntry>'.repeat(100_000)}`)).toBe(true);
    const tx = '<TxDtls><Amt Ccy="EUR">0.01</Amt></TxDtls>';
    const batch = `${head}<Ntry><Amt Ccy="EUR">200.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt><AcctSvcrRef>B</AcctSvcrRef><NtryDtls>${tx.repeat(20_000)}</NtryDtls></Ntry>${tail}`;
    const s = parseCamt053(batch, ctx);
    expect(s.transactions).toHaveLength(20_000);
    expect(new Set(s.transactions.map((t) => t.bankId)).size).toBe(20_000);
    const bal = '<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>';
    expect(parseCamt053(`${head}${bal.repeat(20_000)}${tail}`, ctx).balances).toHaveLength(20_000);
  });
});
