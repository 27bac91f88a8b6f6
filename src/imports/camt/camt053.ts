// ISO 20022 camt.053 (bank-to-customer statement), versions .001.02 to .001.08
// (later versions are read too, with a warning: the parts used here have not
// changed). The file is streamed through saxes; only one Acct/Bal/Ntry subtree
// is in memory at a time besides the transactions already produced.
//
// Several <Stmt> in one file: parseCamt053All returns one Statement per
// <Stmt>. parseCamt053 (what the dispatcher calls, one file -> one Statement)
// merges consecutive statements for the same account and currency — a daily
// file split into several statements — into one (transactions in file order,
// the first statement's opening balance, the last one's closing/available
// balances, the period spanning all); statements for any other account are
// left out with a warning naming them.
import { ImportError } from '../errors.ts';
import type { Statement, StatedBalance, StatementAccount, StatementTransaction } from '../statement.ts';
import { entryTransactions } from './entry.ts';
import { checkCurrency, choiceDate, exponentOf, isoDate, readAmount, readIndicator } from './values.ts';
import { at, streamXml, textAt, type XmlNode } from './xml-tree.ts';
import { assertNoXmlEntities } from '../safety.ts';
import { isCurrencyCode } from '../../money/currencies.ts';

export interface CamtContext {
  encoding: Statement['encoding'];
  /** Used only when the file states no currency at all (Ccy is mandatory in valid CAMT). */
  currency?: string;
  fileName?: string;
}

const CAMT_NS = /^urn:iso:std:iso:20022:tech:xsd:(camt|pain|pacs)\.(\d{3})\.(\d{3})\.(\d{2})$/;
const TESTED_VERSIONS = new Set(['02', '03', '04', '05', '06', '07', '08']);

const MESSAGE_NAMES: Record<string, string> = {
  'camt.052': 'camt.052 (bank-to-customer account report, intraday)',
  'camt.054': 'camt.054 (bank-to-customer debit/credit notification)',
  'camt.086': 'camt.086 (bank services billing)',
  'pain.001': 'pain.001 (customer credit transfer initiation, a payment order)',
  'pain.002': 'pain.002 (payment status report)',
  'pain.008': 'pain.008 (direct debit initiation)',
};

const ROOT_CHILDREN: Record<string, string> = {
  BkToCstmrAcctRpt: 'camt.052',
  BkToCstmrDbtCdtNtfctn: 'camt.054',
  CstmrCdtTrfInitn: 'pain.001',
  CstmrDrctDbtInitn: 'pain.008',
};

/** Cheap sniff for the dispatcher: an ISO 20022 camt/pain document or a BkToCstmr* element near the top. */
export function looksLikeCamt053(text: string): boolean {
  const head = text.slice(0, 8192);
  if (!/<([A-Za-z_][\w.-]*:)?[A-Za-z_]/.test(head)) return false;
  return /urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\./.test(head) || /<([A-Za-z_][\w.-]*:)?BkToCstmr(Stmt|AcctRpt|DbtCdtNtfctn)\b/.test(head);
}

interface RawStatement {
  line: number;
  id?: string;
  account: StatementAccount;
  ownerName?: string;
  currency?: string;
  period?: { start?: string; end?: string };
  balances: XmlNode[];
  transactions: StatementTransaction[];
  warnings: string[];
}

function unsupported(what: string, line: number): ImportError {
  return new ImportError('UNSUPPORTED_FORMAT', `this XML file is ${what}, not a camt.053 bank statement`, {
    line,
    expected: 'a camt.053 document (urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 to .08)',
  });
}

const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

function readAccount(acct: XmlNode, raw: RawStatement): void {
  const id = at(acct, 'Id');
  const accountId = textAt(id, 'IBAN') ?? textAt(id, 'Othr', 'Id');
  if (accountId !== undefined) raw.account.accountId = accountId;
  const ccy = textAt(acct, 'Ccy');
  if (ccy !== undefined) {
    checkCurrency(ccy, at(acct, 'Ccy')?.line ?? acct.line, '<Acct><Ccy>');
    raw.account.currency = ccy;
    raw.currency = ccy;
  }
  const type = textAt(acct, 'Tp', 'Cd') ?? textAt(acct, 'Tp', 'Prtry');
  if (type !== undefined) raw.account.type = type;
  const fin = at(acct, 'Svcr', 'FinInstnId');
  const bic = textAt(fin, 'BIC') ?? textAt(fin, 'BICFI');
  const bankId = (bic !== undefined && BIC.test(bic) ? bic : undefined) ?? textAt(fin, 'Nm') ?? textAt(fin, 'Othr', 'Id') ?? bic;
  if (bankId !== undefined) raw.account.bankId = bankId;
  const owner = textAt(acct, 'Ownr', 'Nm') ?? textAt(acct, 'Ownr', 'Pty', 'Nm');
  if (owner !== undefined) raw.ownerName = owner;
}

const BALANCE_KINDS: Record<string, StatedBalance['kind']> = {
  OPBD: 'opening',
  PRCD: 'opening',
  CLBD: 'closing',
  CLAV: 'available',
  ITAV: 'available',
};

function resolveBalances(raw: RawStatement, currency: string): StatedBalance[] {
  const out: StatedBalance[] = [];
  const hasOpbd = raw.balances.some((b) => textAt(b, 'Tp', 'CdOrPrtry', 'Cd')?.toUpperCase() === 'OPBD');
  for (const bal of raw.balances) {
    const code = (textAt(bal, 'Tp', 'CdOrPrtry', 'Cd') ?? textAt(bal, 'Tp', 'CdOrPrtry', 'Prtry') ?? '').toUpperCase();
    const amt = at(bal, 'Amt');
    if (amt === undefined) {
      throw new ImportError('MALFORMED_FILE', `<Bal> at line ${bal.line} has no <Amt>`, { line: bal.line, expected: '<Amt Ccy="...">' });
    }
    const ccy = amt.attrs.Ccy ?? currency;
    if (ccy !== currency) {
      raw.warnings.push(`balance ${code || '(no type)'} at line ${bal.line} is in ${ccy}, not the statement currency ${currency}; ignored`);
      continue;
    }
    const ind = readIndicator(bal, '<Bal>');
    const value = readAmount(amt, ccy, '<Bal>');
    let kind = BALANCE_KINDS[code] ?? 'other';
    // OPBD and PRCD say the same thing; keep one opening balance (OPBD preferred).
    if (kind === 'opening' && code === 'PRCD' && hasOpbd) kind = 'other';
    const b: StatedBalance = { kind, amountMinor: ind === 'DBIT' ? -value : value };
    const date = choiceDate(at(bal, 'Dt'), '<Bal>');
    if (date !== undefined) b.date = date;
    out.push(b);
  }
  return out;
}

/** The caller's currency is only a fallback, and only when it is a real ISO 4217 code. */
function validCallerCurrency(code: string | undefined): string | undefined {
  return code !== undefined && isCurrencyCode(code) ? code : undefined;
}

function finish(raw: RawStatement, ctx: CamtContext): Statement {
  let currency = raw.currency;
  if (currency === undefined) {
    const amt = raw.balances.map((b) => at(b, 'Amt')).find((a) => a?.attrs.Ccy !== undefined);
    currency = amt !== undefined ? checkCurrency(amt.attrs.Ccy as string, amt.line, '<Bal><Amt>') : validCallerCurrency(ctx.currency);
  }
  if (raw.account.currency === undefined && currency !== undefined) raw.account.currency = currency;
  const balances = currency === undefined ? [] : resolveBalances(raw, currency);
  if (currency !== undefined && !exponentOf(currency).known) {
    raw.warnings.unshift(`currency ${currency} is not an ISO 4217 currency with minor units; amounts were read with 2 decimals`);
  }
  const st: Statement = {
    format: 'camt053',
    encoding: ctx.encoding,
    account: raw.account,
    balances,
    transactions: raw.transactions,
    warnings: raw.warnings,
  };
  if (raw.period !== undefined) st.period = raw.period;
  return st;
}

/** Every <Stmt> in the file, in file order. Throws ImportError for anything that is not a readable camt.053. */
export function parseCamt053All(text: string, ctx: CamtContext): Statement[] {
  try {
    return parseAll(text, ctx);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    // Never leak a non-coded error for bad input (a bug or an engine limit on a hostile file).
    throw new ImportError('MALFORMED_FILE', `the CAMT file could not be read: ${e instanceof Error ? e.message : String(e)}`, { expected: 'a camt.053 document' });
  }
}

function parseAll(text: string, ctx: CamtContext): Statement[] {
  assertNoXmlEntities(text);
  const statements: Statement[] = [];
  let cur: RawStatement | undefined;
  let docWarning: string | undefined;
  let rootOk = false;

  streamXml(text, {
    onRoot(root, line) {
      const m = CAMT_NS.exec(root.uri);
      if (m !== null) {
        const msg = `${m[1]}.${m[2]}`;
        if (msg !== 'camt.053') throw unsupported(`an ISO 20022 ${MESSAGE_NAMES[msg] ?? `${msg} message`}`, line);
        if (!TESTED_VERSIONS.has(m[4] as string)) docWarning = `camt.053 version .${m[3]}.${m[4]} is newer than the tested .001.02-.001.08; read with the same rules`;
        rootOk = true;
      } else if (root.uri !== '') {
        throw unsupported(`in namespace "${root.uri.slice(0, 120)}" (root element <${root.name}>)`, line);
      } else if (root.name !== 'Document') {
        throw unsupported(`an XML document with root element <${root.name.slice(0, 60)}>`, line);
      } else {
        docWarning = 'the document has no ISO 20022 namespace; read as camt.053';
        rootOk = true;
      }
    },
    onOpen(stack, line) {
      const depth = stack.length;
      const name = stack[depth - 1];
      if (depth === 2 && name !== 'BkToCstmrStmt') {
        const msg = ROOT_CHILDREN[name as string];
        throw unsupported(msg !== undefined ? `an ISO 20022 ${MESSAGE_NAMES[msg] ?? msg}` : `an XML document whose message is <${(name as string).slice(0, 60)}>`, line);
      }
      if (depth === 3 && name === 'Stmt') {
        cur = { line, account: {}, balances: [], transactions: [], warnings: [] };
      }
    },
    onClose(stack) {
      if (stack.length === 3 && stack[2] === 'Stmt' && cur !== undefined) {
        statements.push(finish(cur, ctx));
        cur = undefined;
      }
    },
    wantUnit(stack) {
      return cur !== undefined && stack.length === 4;
    },
    onUnit(node) {
      const raw = cur as RawStatement;
      switch (node.name) {
        case 'Id':
          raw.id = textAt(node) ?? node.text.trim();
          break;
        case 'FrToDt': {
          const start = isoDate(textAt(node, 'FrDtTm') ?? textAt(node, 'FrDt'));
          const end = isoDate(textAt(node, 'ToDtTm') ?? textAt(node, 'ToDt'));
          if (start !== undefined || end !== undefined) raw.period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
          break;
        }
        case 'Acct':
          readAccount(node, raw);
          break;
        case 'Bal':
          raw.balances.push(node);
          break;
        case 'Ntry': {
          if (raw.currency === undefined) {
            const amt = at(node, 'Amt');
            raw.currency = amt?.attrs.Ccy !== undefined ? checkCurrency(amt.attrs.Ccy, amt.line, '<Ntry><Amt>') : validCallerCurrency(ctx.currency);
          }
          if (raw.currency === undefined) {
            throw new ImportError('MALFORMED_FILE', `<Ntry> at line ${node.line} states no currency and neither does the account`, {
              line: node.line,
              expected: '<Amt Ccy="EUR">',
            });
          }
          const ectx = { currency: raw.currency, warn: (m: string) => raw.warnings.push(m), ...(raw.account.accountId ? { ownAccount: raw.account.accountId } : {}), ...(raw.ownerName ? { ownerName: raw.ownerName } : {}) };
          for (const t of entryTransactions(node, ectx)) raw.transactions.push(t);
          break;
        }
        default:
          break;
      }
    },
  });

  if (!rootOk) throw unsupported('not an ISO 20022 document', 1);
  if (statements.length === 0) {
    throw new ImportError('MALFORMED_FILE', 'the camt.053 document contains no <Stmt> (statement)', {
      line: 1,
      expected: '<BkToCstmrStmt> with at least one <Stmt>',
    });
  }
  if (docWarning !== undefined) for (const s of statements) s.warnings.unshift(docWarning);
  return statements;
}

function sameAccount(a: Statement, b: Statement): boolean {
  return a.account.accountId === b.account.accountId && a.account.currency === b.account.currency;
}

/** One Statement for the dispatcher; see the file header for files with several <Stmt>. */
export function parseCamt053(text: string, ctx: CamtContext): Statement {
  const all = parseCamt053All(text, ctx);
  const first = all[0] as Statement;
  if (all.length === 1) return first;
  const merged: Statement[] = [first];
  const others: Statement[] = [];
  for (const s of all.slice(1)) (sameAccount(first, s) ? merged : others).push(s);
  const out: Statement = {
    ...first,
    transactions: merged.flatMap((s) => s.transactions),
    warnings: merged.flatMap((s) => s.warnings),
  };
  if (merged.length > 1) {
    const last = merged[merged.length - 1] as Statement;
    out.balances = [...first.balances.filter((b) => b.kind === 'opening'), ...last.balances.filter((b) => b.kind !== 'opening')];
    const start = first.period?.start;
    const end = last.period?.end;
    if (start !== undefined || end !== undefined) out.period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
    else delete out.period;
    out.warnings.push(`${merged.length} statements for account ${first.account.accountId ?? 'unknown'} were merged into one`);
  }
  for (const s of others) {
    out.warnings.push(`the file also holds a statement for account ${s.account.accountId ?? 'unknown'} (${s.account.currency ?? '?'}, ${s.transactions.length} transactions) that was not imported; import it into that account separately`);
  }
  return out;
}
