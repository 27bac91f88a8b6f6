// Generators of the large statement files the import benchmark uploads: an OFX
// 1.02 (SGML) checking statement and a bank CSV export, both with N rows. Same
// (rows, seed, end date) -> same bytes. Rows look like a real checking account:
// merchants from the benchmark's payee list written the way banks print them
// (upper case, store numbers, city, cut at 32 characters in OFX), long-tailed
// card amounts, a payroll deposit twice a month, the odd check, fee and refund,
// and a unique bank id (FITID / reference) per row.
import { createPrng, type Prng } from '../src/demo/prng.ts';
import { payeeFixtures } from './fixtures.ts';

export interface GenOptions {
  rows: number;
  seed?: number;
  /** Last posting date, YYYY-MM-DD (default: today, UTC, so the rows overlap the loaded ledger's recent years). */
  endDate?: string;
  /** Days the rows are spread over, ending at endDate (default 730). */
  days?: number;
  accountId?: string;
}

export interface GenRow {
  date: string;
  amountMinor: bigint;
  payee: string;
  memo: string | undefined;
  bankId: string;
  kind: 'DEBIT' | 'CREDIT' | 'POS' | 'CHECK' | 'FEE' | 'DIRECTDEP';
  checkNumber: string | undefined;
}

const CITIES = ['SEATTLE WA', 'PORTLAND OR', 'OAKLAND CA', 'AUSTIN TX', 'DENVER CO', 'CHICAGO IL', 'BROOKLYN NY', 'BOSTON MA', 'ATLANTA GA', 'MADISON WI'];

function isoDay(epochDay: number): string {
  return new Date(epochDay * 86_400_000).toISOString().slice(0, 10);
}

function epochDayOf(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}

/** Card amounts: many small, few large (cents). */
function spend(r: Prng): bigint {
  const u = r.int(0, 1_000_000) / 1_000_000;
  return -BigInt(100 + Math.floor(u * u * u * 39_900) + r.int(0, 99));
}

/** The rows of a statement in posting order. */
export function generateRows(o: GenOptions): GenRow[] {
  const r = createPrng(`bench-import:${o.seed ?? 1}`);
  const end = epochDayOf(o.endDate ?? new Date().toISOString().slice(0, 10));
  const days = o.days ?? 730;
  const merchants = payeeFixtures().slice(10).map((p) => p.name.toUpperCase().replace(/[^A-Z0-9 &'.-]/g, ''));
  // Skewed popularity: a few merchants carry most card payments.
  const weighted = merchants.map((m, i) => [m, Math.max(1, Math.floor(400 / (i + 4)))] as const);
  const rows: GenRow[] = [];
  let check = 1000 + r.int(0, 500);
  for (let i = 0; i < o.rows; i++) {
    // Evenly spread over the period, in order, so each day holds about rows/days transactions.
    const day = end - days + 1 + Math.floor((i * days) / o.rows);
    const date = isoDay(day);
    const seq = String(i).padStart(7, '0');
    const bankId = `${date.replace(/-/g, '')}${seq}${r.int(100, 999)}`;
    const roll = r.int(0, 999);
    let row: GenRow;
    if (roll < 15) {
      row = { date, amountMinor: BigInt(150_000 + r.int(0, 350_000)), payee: r.pick(['ACME CORP PAYROLL', 'GLOBEX PAYROLL PPD', 'INITECH DIR DEP']), memo: 'DIRECT DEPOSIT', bankId, kind: 'DIRECTDEP', checkNumber: undefined };
    } else if (roll < 25) {
      check += 1;
      row = { date, amountMinor: -BigInt(2_000 + r.int(0, 150_000)), payee: `CHECK ${check}`, memo: undefined, bankId, kind: 'CHECK', checkNumber: String(check) };
    } else if (roll < 30) {
      row = { date, amountMinor: -BigInt(r.pick([300, 500, 1_200, 2_500, 3_500])), payee: r.pick(['MONTHLY SERVICE FEE', 'ATM FEE', 'FOREIGN TRANSACTION FEE']), memo: undefined, bankId, kind: 'FEE', checkNumber: undefined };
    } else if (roll < 60) {
      const m = r.weighted(weighted);
      row = { date, amountMinor: BigInt(100 + r.int(0, 15_000)), payee: `${m} REFUND`.slice(0, 32), memo: 'RETURN CREDIT', bankId, kind: 'CREDIT', checkNumber: undefined };
    } else {
      const m = r.weighted(weighted);
      const store = r.chance(600) ? ` #${r.int(10, 9999)}` : '';
      const pos = r.chance(500);
      const mmdd = `${date.slice(5, 7)}/${date.slice(8, 10)}`;
      row = {
        date, amountMinor: spend(r), payee: `${m}${store} ${r.pick(CITIES)}`.slice(0, 32),
        memo: pos ? `POS PURCHASE ${mmdd} CARD 4417` : r.chance(300) ? `RECURRING ${m}`.slice(0, 64) : undefined,
        bankId, kind: pos ? 'POS' : 'DEBIT', checkNumber: undefined,
      };
    }
    rows.push(row);
  }
  return rows;
}

const money = (m: bigint): string => {
  const neg = m < 0n;
  const a = (neg ? -m : m).toString().padStart(3, '0');
  return `${neg ? '-' : ''}${a.slice(0, -2)}.${a.slice(-2)}`;
};

/** SGML-safe text: OFX 1 has no entities for these, banks drop them. */
const sgml = (s: string) => s.replace(/[<>&]/g, ' ');

export function generateOfx(o: GenOptions): { bytes: Buffer; rows: GenRow[] } {
  const rows = generateRows(o);
  const first = rows[0]?.date ?? '2000-01-01';
  const last = rows[rows.length - 1]?.date ?? first;
  const d = (x: string) => x.replace(/-/g, '');
  const balance = 2_500_000n + rows.reduce((s, x) => s + x.amountMinor, 0n);
  const parts: string[] = [
    'OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n',
    `<OFX>\r\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>${d(last)}235959[-5:EST]<LANGUAGE>ENG<FI><ORG>Finhub Bench Bank<FID>4242</FI></SONRS></SIGNONMSGSRSV1>\r\n`,
    '<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n',
    `<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>${o.accountId ?? '000123456789'}<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n`,
    `<BANKTRANLIST><DTSTART>${d(first)}<DTEND>${d(last)}235959[-5:EST]\r\n`,
  ];
  for (const x of rows) {
    const type = x.kind === 'DIRECTDEP' ? 'DIRECTDEP' : x.kind;
    parts.push(
      `<STMTTRN>\r\n<TRNTYPE>${type}\r\n<DTPOSTED>${d(x.date)}120000[-5:EST]\r\n<TRNAMT>${money(x.amountMinor)}\r\n<FITID>${x.bankId}\r\n` +
        (x.checkNumber ? `<CHECKNUM>${x.checkNumber}\r\n` : '') +
        `<NAME>${sgml(x.payee)}\r\n` +
        (x.memo ? `<MEMO>${sgml(x.memo)}\r\n` : '') +
        '</STMTTRN>\r\n',
    );
  }
  parts.push(`</BANKTRANLIST>\r\n<LEDGERBAL><BALAMT>${money(balance)}<DTASOF>${d(last)}235959[-5:EST]</LEDGERBAL>\r\n</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n`);
  return { bytes: Buffer.from(parts.join(''), 'latin1'), rows };
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A bank CSV export: ISO dates, signed amounts, running balance, a reference per row, newest last. */
export function generateCsv(o: GenOptions): { bytes: Buffer; rows: GenRow[] } {
  const rows = generateRows({ ...o, seed: (o.seed ?? 1) + 1_000 });
  let balance = 2_500_000n;
  const lines = ['Date,Description,Amount,Balance,Reference,Memo'];
  for (const x of rows) {
    balance += x.amountMinor;
    lines.push([x.date, csvCell(x.payee), money(x.amountMinor), money(balance), x.bankId, csvCell(x.memo ?? '')].join(','));
  }
  return { bytes: Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8'), rows };
}
