// One CAMT <Ntry> -> one or more StatementTransactions.
//
// Rules (documented in docs/imports.md as well):
// - Sign: CdtDbtInd DBIT is money out (negative), CRDT money in. A reversal
//   (RvslInd true) is booked with the indicator the bank gives — the bank
//   already states the direction of the reversing booking — and is marked
//   `reversal: true` so the flow and the UI can show it.
// - Status: Sts (v.02-.06) or Sts/Cd (v.08+). BOOK is booked; PDNG, INFO and
//   FUTR are not final and become `pending: true`. No status means booked.
// - Date: BookgDt, falling back to ValDt when the bank gives no booking date.
// - Batch split: an entry with two or more TxDtls, each with its own amount
//   in the entry's currency (TxDtls/Amt from v.04, else AmtDtls/TxAmt/Amt,
//   else AmtDtls/InstdAmt/Amt), whose signed sum equals the entry amount, is
//   split into one transaction per TxDtls. If the amounts are missing or do
//   not add up, the entry stays one transaction and a warning says why.
// - Bank id, most specific stable reference first: TxDtls/Refs/AcctSvcrRef
//   (the bank's own reference for that transaction); the entry's AcctSvcrRef
//   when the entry is not split (when it is split and only the entry carries
//   one: "<AcctSvcrRef>#<n>", n the 1-based position in the batch); Refs/TxId
//   (interbank id); the entry's NtryRef (unsplit entries only); EndToEndId
//   (set by the payer, so used last) unless it is "NOTPROVIDED". When the
//   parts of a split batch end up with the same id (banks that repeat one
//   reference on every part), each becomes "<entry AcctSvcrRef or that id>#<n>".
// - Payee: the counterparty — the creditor for money out, the debtor for
//   money in (judged by each transaction's own indicator): Nm directly under
//   Cdtr/Dbtr or under Pty (v.08), then the ultimate creditor/debtor. When
//   that side names nobody, the other side is used — a party whose account is
//   the statement's own account, or whose name is the account owner's, is
//   never the payee. Reversals follow the same rule.
// - Memo: RmtInf/Ustrd lines joined with a space; else the structured
//   creditor references (Strd/CdtrRefInf/Ref) and AddtlRmtInf; else
//   AddtlTxInf; else the entry's AddtlNtryInf.
import type { StatementTransaction } from '../statement.ts';
import { all, at, collapse, textAt, type XmlNode } from './xml-tree.ts';
import { choiceDate, readAmount, readIndicator, type CdtDbt } from './values.ts';
import { ImportError } from '../errors.ts';

export interface EntryContext {
  /** Statement currency: transactions in another currency carry `currency`. */
  currency: string;
  /** Own account id (IBAN / Othr Id), to avoid naming ourselves as payee. */
  ownAccount?: string;
  /** Account owner's name, likewise. */
  ownerName?: string;
  warn(message: string): void;
}

const PENDING_STATUSES = new Set(['PDNG', 'INFO', 'FUTR']);

function signed(amount: bigint, ind: CdtDbt): bigint {
  return ind === 'DBIT' ? -amount : amount;
}

function bankTxCode(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  const domain = at(node, 'Domn');
  if (domain !== undefined) {
    const parts = [textAt(domain, 'Cd'), textAt(domain, 'Fmly', 'Cd'), textAt(domain, 'Fmly', 'SubFmlyCd')].filter((p) => p !== undefined);
    if (parts.length > 0) return parts.join('/');
  }
  return textAt(node, 'Prtry', 'Cd');
}

function partyName(parties: XmlNode | undefined, role: string): string | undefined {
  const p = at(parties, role);
  return textAt(p, 'Nm') ?? textAt(p, 'Pty', 'Nm');
}

function partyAccount(parties: XmlNode | undefined, role: string): string | undefined {
  const acct = at(parties, `${role}Acct`, 'Id');
  return textAt(acct, 'IBAN') ?? textAt(acct, 'Othr', 'Id');
}

function counterparty(tx: XmlNode | undefined, ind: CdtDbt, ctx: EntryContext): string | undefined {
  const parties = at(tx, 'RltdPties');
  if (parties === undefined) return undefined;
  const norm = (s: string): string => s.replace(/\s/g, '').toUpperCase();
  const own = ctx.ownAccount !== undefined ? norm(ctx.ownAccount) : undefined;
  const owner = ctx.ownerName !== undefined ? norm(ctx.ownerName) : undefined;
  const primary = ind === 'DBIT' ? 'Cdtr' : 'Dbtr';
  const other = ind === 'DBIT' ? 'Dbtr' : 'Cdtr';
  // The other side is only a fallback, for files that name just one party
  // (often the counterparty, whatever the direction).
  for (const role of [primary, other]) {
    const acct = partyAccount(parties, role);
    if (own !== undefined && acct !== undefined && norm(acct) === own) continue;
    const name = partyName(parties, role) ?? partyName(parties, `Ultmt${role}`);
    if (name === undefined || (owner !== undefined && norm(name) === owner)) continue;
    if (role === other && partyName(parties, primary) !== undefined) continue;
    return name;
  }
  return undefined;
}

function remittance(tx: XmlNode | undefined): string | undefined {
  const rmt = at(tx, 'RmtInf');
  if (rmt !== undefined) {
    const lines = all(rmt, 'Ustrd').map((n) => collapse(n.text)).filter((s) => s !== '');
    if (lines.length > 0) return lines.join(' ');
    const refs: string[] = [];
    for (const strd of all(rmt, 'Strd')) {
      const ref = textAt(strd, 'CdtrRefInf', 'Ref');
      if (ref !== undefined) refs.push(ref);
      for (const add of all(strd, 'AddtlRmtInf')) {
        const t = collapse(add.text);
        if (t !== '') refs.push(t);
      }
    }
    if (refs.length > 0) return refs.join(' ');
  }
  return textAt(tx, 'AddtlTxInf');
}

function txAmountNode(tx: XmlNode): XmlNode | undefined {
  return at(tx, 'Amt') ?? at(tx, 'AmtDtls', 'TxAmt', 'Amt') ?? at(tx, 'AmtDtls', 'InstdAmt', 'Amt');
}

function usableRef(v: string | undefined): string | undefined {
  return v === undefined || v.toUpperCase() === 'NOTPROVIDED' ? undefined : v;
}

export function entryTransactions(ntry: XmlNode, ctx: EntryContext): StatementTransaction[] {
  const where = `<Ntry>`;
  const amtNode = at(ntry, 'Amt');
  if (amtNode === undefined) {
    throw new ImportError('MALFORMED_FILE', `${where} at line ${ntry.line} has no <Amt>`, { line: ntry.line, expected: '<Amt Ccy="...">' });
  }
  const currency = amtNode.attrs.Ccy ?? ctx.currency;
  const ind = readIndicator(ntry, where);
  const amount = signed(readAmount(amtNode, currency, where), ind);
  const rv = textAt(ntry, 'RvslInd');
  const reversal = rv === 'true' || rv === '1';
  const status = textAt(ntry, 'Sts', 'Cd') ?? textAt(ntry, 'Sts', 'Prtry') ?? textAt(ntry, 'Sts');
  const pending = status !== undefined && PENDING_STATUSES.has(status.toUpperCase());
  const postedOn = choiceDate(at(ntry, 'BookgDt'), `${where} booking date`) ?? choiceDate(at(ntry, 'ValDt'), `${where} value date`);
  if (postedOn === undefined) {
    throw new ImportError('MALFORMED_FILE', `${where} at line ${ntry.line} has neither <BookgDt> nor <ValDt>`, {
      line: ntry.line,
      expected: '<BookgDt><Dt>YYYY-MM-DD</Dt></BookgDt>',
    });
  }
  const entryRef = usableRef(textAt(ntry, 'AcctSvcrRef'));
  const ntryRef = usableRef(textAt(ntry, 'NtryRef'));
  const entryKind = bankTxCode(at(ntry, 'BkTxCd'));
  const entryInfo = textAt(ntry, 'AddtlNtryInf');
  const txs = all(ntry, 'NtryDtls').flatMap((d) => all(d, 'TxDtls'));
  const rowCurrency = currency !== ctx.currency ? currency : undefined;

  const build = (tx: XmlNode | undefined, amountMinor: bigint, txInd: CdtDbt, split: number | undefined): StatementTransaction => {
    const refs = at(tx, 'Refs');
    const bankId =
      usableRef(textAt(refs, 'AcctSvcrRef')) ??
      (split === undefined ? entryRef : entryRef !== undefined ? `${entryRef}#${split}` : undefined) ??
      usableRef(textAt(refs, 'TxId')) ??
      (split === undefined ? ntryRef : undefined) ??
      usableRef(textAt(refs, 'EndToEndId'));
    const t: StatementTransaction = {
      sourceLine: tx !== undefined && split !== undefined ? tx.line : ntry.line,
      postedOn,
      amountMinor,
      pending,
    };
    const payee = counterparty(tx, txInd, ctx);
    if (payee !== undefined) t.payee = payee;
    const memo = remittance(tx) ?? entryInfo;
    if (memo !== undefined) t.memo = memo;
    if (bankId !== undefined) t.bankId = bankId;
    const kind = bankTxCode(at(tx, 'BkTxCd')) ?? entryKind;
    if (kind !== undefined) t.kind = kind;
    if (reversal) t.reversal = true;
    if (rowCurrency !== undefined) t.currency = rowCurrency;
    const check = textAt(refs, 'ChqNb');
    if (check !== undefined) t.checkNumber = check;
    return t;
  };

  if (txs.length < 2) return [build(txs[0], amount, ind, undefined)];

  const parts: Array<{ tx: XmlNode; amount: bigint; ind: CdtDbt }> = [];
  let problem: string | undefined;
  for (const tx of txs) {
    const n = txAmountNode(tx);
    if (n === undefined) {
      problem = `a <TxDtls> at line ${tx.line} has no amount`;
      break;
    }
    const c = n.attrs.Ccy ?? currency;
    if (c !== currency) {
      problem = `a <TxDtls> at line ${tx.line} is in ${c}, the entry in ${currency}`;
      break;
    }
    const txInd = readIndicator(tx, '<TxDtls>', ind);
    parts.push({ tx, amount: signed(readAmount(n, c, '<TxDtls>'), txInd), ind: txInd });
  }
  if (problem === undefined) {
    const total = parts.reduce((s, p) => s + p.amount, 0n);
    if (total !== amount) problem = `its ${txs.length} <TxDtls> amounts add up to ${total} minor units, the entry states ${amount}`;
  }
  if (problem !== undefined) {
    ctx.warn(`batch entry at line ${ntry.line} kept as one transaction: ${problem}`);
    return [build(undefined, amount, ind, undefined)];
  }
  const out = parts.map((p, i) => build(p.tx, p.amount, p.ind, i + 1));
  // Some banks repeat one reference on every part of a batch; ids must tell the parts apart.
  const seen = new Map<string, number>();
  for (const t of out) if (t.bankId !== undefined) seen.set(t.bankId, (seen.get(t.bankId) ?? 0) + 1);
  out.forEach((t, i) => {
    if (t.bankId !== undefined && (seen.get(t.bankId) ?? 0) > 1) t.bankId = `${entryRef ?? t.bankId}#${i + 1}`;
  });
  return out;
}
