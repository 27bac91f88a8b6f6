// Turns scanner events into statement drafts: raw field text per statement,
// balance and transaction, attributed by the aggregate they sit in (a NAME in
// PAYEE, a CURSYM in CURRENCY / ORIGCURRENCY, an ACCTID in BANKACCTFROM but
// not in BANKACCTTO, ...). Values stay text here; ofx.ts converts them once
// the statement's currency is known.
import type { StatedBalance } from '../statement.ts';
import { WarningList } from '../warnings.ts';
import type { OfxHandler } from './scanner.ts';

export interface TxnDraft {
  line: number;
  pending: boolean;
  /** Investment aggregate name (BUYSTOCK, INCOME, ...) for investment transactions. */
  invKind?: string;
  empty: boolean;
  trnType?: string;
  posted?: string;
  user?: string;
  amount?: string;
  fitId?: string;
  name?: string;
  payeeName?: string;
  extdName?: string;
  memo?: string;
  checkNum?: string;
  currency?: string;
  origCurrency?: string;
  correctAction?: string;
  correctFitId?: string;
  secId?: string;
}

export interface BalDraft {
  kind: StatedBalance['kind'];
  line: number;
  amount?: string;
  date?: string;
}

export interface StmtDraft {
  tag: 'STMTRS' | 'CCSTMTRS' | 'INVSTMTRS';
  line: number;
  curdef?: string;
  bankId?: string;
  accountId?: string;
  acctType?: string;
  starts: string[];
  ends: string[];
  balances: BalDraft[];
  txns: TxnDraft[];
  warnings: WarningList;
}

export interface OfxStatus {
  where: string;
  code?: string;
  severity?: string;
  message?: string;
}

const INVEST_CASH = new Set(['BUYDEBT', 'BUYMF', 'BUYOPT', 'BUYOTHER', 'BUYSTOCK', 'SELLDEBT', 'SELLMF', 'SELLOPT', 'SELLOTHER', 'SELLSTOCK', 'INCOME', 'INVEXPENSE', 'MARGININTEREST', 'RETOFCAP']);
const INVEST_NONCASH = new Set(['TRANSFER', 'REINVEST', 'SPLIT', 'JRNLFUND', 'JRNLSEC', 'CLOSUREOPT']);
const STMT_TAGS = new Set(['STMTRS', 'CCSTMTRS', 'INVSTMTRS']);
const ACCT_FROM = new Set(['BANKACCTFROM', 'CCACCTFROM', 'INVACCTFROM']);
const ACCT_TO = new Set(['BANKACCTTO', 'CCACCTTO']);
const ACCT_TO_FIELDS = new Set(['BANKID', 'BRANCHID', 'ACCTID', 'ACCTTYPE', 'ACCTKEY']);
const PAYEE_FIELDS = new Set(['NAME', 'ADDR1', 'ADDR2', 'ADDR3', 'CITY', 'STATE', 'POSTALCODE', 'COUNTRY', 'PHONE']);
// Aggregates whose content is irrelevant to a cash statement (positions, securities, 401k details, marketing).
const IGNORED = new Set(['INVPOSLIST', 'SECLIST', 'SECLISTMSGSRSV1', 'INVOOLIST', 'INV401K', 'INV401KBAL', 'BALLIST', 'MKTGINFO', 'ACCTINFORS']);

export class OfxBuilder implements OfxHandler {
  readonly statements: StmtDraft[] = [];
  readonly statuses: OfxStatus[] = [];
  intuit = false;
  acctInfo = false;
  private stmt: StmtDraft | undefined;
  private txn: TxnDraft | undefined;
  private bal: BalDraft | undefined;
  private status: OfxStatus | undefined;
  private statusOwner = 'OFX';
  private acctFrom = 0;
  private acctTo = 0;
  private payee = 0;
  private currencyAgg: 'CURRENCY' | 'ORIGCURRENCY' | undefined;
  private ignored = 0;
  private inInvBal = 0;
  private skippedInvest = new Map<string, number>();
  private pendingList = 0;

  open(name: string, line: number): void {
    if (this.ignored > 0 || IGNORED.has(name)) {
      if (name === 'ACCTINFORS') this.acctInfo = true;
      this.ignored += 1;
      return;
    }
    if (name.startsWith('INTU.')) this.intuit = true;
    if (STMT_TAGS.has(name)) {
      this.status = undefined;
      this.stmt = { tag: name as StmtDraft['tag'], line, starts: [], ends: [], balances: [], txns: [], warnings: new WarningList() };
      this.statements.push(this.stmt);
      return;
    }
    if (name === 'SONRS' || name.endsWith('TRNRS')) this.statusOwner = name;
    if (name === 'STATUS') {
      this.status = { where: this.statusOwner };
      this.statuses.push(this.status);
      return;
    }
    const stmt = this.stmt;
    if (!stmt) return;
    if (name === 'STMTTRN' || name === 'STMTTRNP') {
      if (this.txn && this.txn.invKind === 'INVBANKTRAN') {
        this.txn.line = line;
        return;
      }
      this.txn = { line, pending: name === 'STMTTRNP' || this.pendingList > 0, empty: true };
      stmt.txns.push(this.txn);
      return;
    }
    if (name === 'INVBANKTRAN') {
      this.txn = { line, pending: false, empty: true, invKind: 'INVBANKTRAN' };
      stmt.txns.push(this.txn);
      return;
    }
    if (INVEST_CASH.has(name) && !this.txn) {
      this.txn = { line, pending: false, empty: true, invKind: name };
      stmt.txns.push(this.txn);
      return;
    }
    if (INVEST_NONCASH.has(name) && !this.txn) {
      this.skippedInvest.set(name, (this.skippedInvest.get(name) ?? 0) + 1);
      this.ignored += 1;
      return;
    }
    if (name === 'BANKTRANLISTP') this.pendingList += 1;
    else if (ACCT_FROM.has(name)) this.acctFrom += 1;
    else if (ACCT_TO.has(name)) this.acctTo += 1;
    else if (name === 'PAYEE') this.payee += 1;
    else if (name === 'CURRENCY' || name === 'ORIGCURRENCY') this.currencyAgg = name;
    else if (name === 'INVBAL') this.inInvBal += 1;
    else if ((name === 'LEDGERBAL' || name === 'AVAILBAL') && !this.txn) {
      this.bal = { kind: name === 'LEDGERBAL' ? 'closing' : 'available', line };
      stmt.balances.push(this.bal);
    }
  }

  close(name: string): void {
    if (this.ignored > 0) {
      this.ignored -= 1;
      return;
    }
    if (STMT_TAGS.has(name)) {
      this.stmt = undefined;
      this.txn = undefined;
      this.bal = undefined;
      return;
    }
    if (name === 'STATUS') {
      this.status = undefined;
      return;
    }
    if (name === 'STMTTRN' || name === 'STMTTRNP') {
      if (this.txn?.invKind !== 'INVBANKTRAN') this.txn = undefined;
      return;
    }
    if (name === 'INVBANKTRAN' || (this.txn?.invKind === name && INVEST_CASH.has(name))) {
      this.txn = undefined;
      return;
    }
    if (name === 'BANKTRANLISTP') this.pendingList = Math.max(0, this.pendingList - 1);
    else if (ACCT_FROM.has(name)) this.acctFrom = Math.max(0, this.acctFrom - 1);
    else if (ACCT_TO.has(name)) this.acctTo = Math.max(0, this.acctTo - 1);
    else if (name === 'PAYEE') this.payee = Math.max(0, this.payee - 1);
    else if (name === 'CURRENCY' || name === 'ORIGCURRENCY') this.currencyAgg = undefined;
    else if (name === 'INVBAL') this.inInvBal = Math.max(0, this.inInvBal - 1);
    else if (name === 'LEDGERBAL' || name === 'AVAILBAL') this.bal = undefined;
  }

  leaf(name: string, value: string, line: number): void {
    if (this.ignored > 0) return;
    if (name.startsWith('INTU.')) {
      this.intuit = true;
      return;
    }
    // Only STATUS's own fields: an unclosed <STATUS> must not swallow the statement after it.
    if (this.status && (name === 'CODE' || name === 'SEVERITY' || name === 'MESSAGE')) {
      if (name === 'CODE') this.status.code = value;
      else if (name === 'SEVERITY') this.status.severity = value;
      else this.status.message = value;
      return;
    }
    const stmt = this.stmt;
    if (!stmt) return;
    const txn = this.txn;
    if (txn) {
      this.txnLeaf(txn, name, value, line, stmt);
      return;
    }
    if (this.bal) {
      if (name === 'BALAMT') this.bal.amount = value;
      else if (name === 'DTASOF') this.bal.date = value;
      return;
    }
    if (this.inInvBal > 0) {
      if (name === 'AVAILCASH') stmt.balances.push({ kind: 'other', line, amount: value });
      return;
    }
    if (this.acctFrom > 0) {
      if (name === 'BANKID' || name === 'BROKERID') stmt.bankId = value;
      else if (name === 'ACCTID') stmt.accountId = value;
      else if (name === 'ACCTTYPE') stmt.acctType = value;
      return;
    }
    switch (name) {
      case 'CURDEF':
        stmt.curdef = value;
        break;
      case 'DTSTART':
        stmt.starts.push(value);
        break;
      case 'DTEND':
        stmt.ends.push(value);
        break;
      case 'STMTTRN':
      case 'STMTTRNP':
        // <STMTTRN>some text</STMTTRN>: a transaction with no fields at all.
        stmt.warnings.push(`line ${line}: <${name}> without any fields (content "${value.slice(0, 40)}") skipped`);
        break;
      default:
        break;
    }
  }

  private txnLeaf(txn: TxnDraft, name: string, value: string, line: number, stmt: StmtDraft): void {
    // Inside BANKACCTTO / CURRENCY / PAYEE only their own fields are special; anything else is a
    // transaction field (an aggregate left unclosed must not swallow the rest of the transaction).
    if (this.acctTo > 0 && ACCT_TO_FIELDS.has(name)) return;
    if (this.currencyAgg && (name === 'CURSYM' || name === 'CURRATE')) {
      if (name === 'CURSYM') {
        if (this.currencyAgg === 'CURRENCY') txn.currency = value;
        else txn.origCurrency = value;
      }
      return;
    }
    if (this.payee > 0 && PAYEE_FIELDS.has(name)) {
      if (name === 'NAME' && value !== '') txn.payeeName = value;
      return;
    }
    let field = true;
    switch (name) {
      case 'TRNTYPE':
        txn.trnType = value;
        break;
      case 'DTPOSTED':
      case 'DTTRADE':
      case 'DTTRAN':
        txn.posted = value;
        break;
      case 'DTUSER':
      case 'DTSETTLE':
        txn.user = value;
        break;
      case 'TRNAMT':
      case 'TOTAL':
        txn.amount = value;
        break;
      case 'FITID':
        txn.fitId = value;
        break;
      case 'NAME':
        txn.name = value;
        break;
      case 'PAYEE': // not the aggregate: some banks write <PAYEE>text
        txn.payeeName = value;
        break;
      case 'EXTDNAME':
        txn.extdName = value;
        break;
      case 'MEMO':
        txn.memo = value;
        break;
      case 'CHECKNUM':
        txn.checkNum = value;
        break;
      case 'CURRENCY': // non-standard leaf form
        txn.currency = value;
        break;
      case 'ORIGCURRENCY':
        txn.origCurrency = value;
        break;
      case 'CORRECTACTION':
        txn.correctAction = value.toUpperCase();
        break;
      case 'CORRECTFITID':
        txn.correctFitId = value;
        break;
      case 'UNIQUEID':
        txn.secId = value;
        break;
      case 'STMTTRN':
        stmt.warnings.push(`line ${line}: <STMTTRN> without any fields skipped`);
        field = false;
        break;
      default:
        field = value !== '' && name !== 'INCOMETYPE' && name !== 'SUBACCTFUND' && name !== 'UNIQUEIDTYPE';
        break;
    }
    if (field) txn.empty = false;
  }

  skippedInvestWarnings(): string[] {
    return [...this.skippedInvest].map(([k, n]) => `${n} ${k} investment transaction${n === 1 ? '' : 's'} skipped (no cash movement)`);
  }
}
