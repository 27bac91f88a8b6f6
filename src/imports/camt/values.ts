// Small readers for CAMT leaf values: amounts with their Ccy, credit/debit
// indicators, ISO dates. Each failure is an ImportError naming the line.
import { parseBankAmount } from '../amount.ts';
import { ImportError } from '../errors.ts';
import { currencyExponent, isCurrencyCode } from '../../money/currencies.ts';
import { at, collapse, textAt, type XmlNode } from './xml-tree.ts';

/** Exponent for minor units; codes outside ISO 4217's list (XXX test currency, typos) read with 2 decimals. */
export function exponentOf(code: string): { exponent: number; known: boolean } {
  return isCurrencyCode(code) ? { exponent: currencyExponent(code), known: true } : { exponent: 2, known: false };
}

/** Unsigned CAMT amount text -> minor units (rounded half away from zero beyond the exponent, see amount.ts). */
/** A Ccy attribute or <Ccy> element must be an ISO 4217-shaped code; anything else is a damaged file. */
export function checkCurrency(code: string, line: number, what: string): string {
  if (!/^[A-Z]{3}$/.test(code)) {
    throw new ImportError('MALFORMED_FILE', `${what} at line ${line} has currency "${code.slice(0, 20)}", expected a three-letter ISO 4217 code`, {
      line,
      expected: 'a currency code such as EUR',
    });
  }
  return code;
}

export function readAmount(node: XmlNode, currency: string, what: string): bigint {
  if (node.attrs.Ccy !== undefined) checkCurrency(node.attrs.Ccy, node.line, what);
  const raw = collapse(node.text);
  // ISO 20022 amounts are plain decimals with '.'; a stray sign is tolerated by parseBankAmount.
  if (!/^[+-]?\d{1,18}(\.\d{0,18})?$/.test(raw)) {
    throw new ImportError('AMOUNT_INVALID', `${what} at line ${node.line} has amount "${raw.slice(0, 40)}", expected a decimal such as 123.45`, {
      line: node.line,
      expected: 'a decimal amount such as 123.45',
    });
  }
  try {
    return parseBankAmount(raw, { exponent: exponentOf(currency).exponent, decimal: '.' });
  } catch (e) {
    if (e instanceof ImportError) throw new ImportError(e.code, `${what} at line ${node.line}: ${e.message}`, { line: node.line, expected: e.expected });
    throw e;
  }
}

export type CdtDbt = 'CRDT' | 'DBIT';

export function readIndicator(parent: XmlNode, what: string, fallback?: CdtDbt): CdtDbt {
  const v = textAt(parent, 'CdtDbtInd');
  if (v === 'CRDT' || v === 'DBIT') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new ImportError('MALFORMED_FILE', `${what} at line ${parent.line} ${v === undefined ? 'has no <CdtDbtInd>' : `has <CdtDbtInd> "${v.slice(0, 20)}"`}`, {
    line: parent.line,
    expected: '<CdtDbtInd> CRDT or DBIT',
  });
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isValidYmd(y: number, m: number, d: number): boolean {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  if (d > (DAYS_IN_MONTH[m - 1] as number)) return false;
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return true;
}

/**
 * The calendar date at the start of an xs:date / xs:dateTime ("2017-04-01",
 * "2017-04-01+02:00", "2014-01-05T23:59:59.999Z"). The bank's own date is kept:
 * no time-zone conversion, since a booking date is a local calendar day.
 */
export function isoDate(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (m === null) return undefined;
  return isValidYmd(Number(m[1]), Number(m[2]), Number(m[3])) ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** Date of a DateAndDateTimeChoice element (<Dt> or <DtTm>, also the odd <Dt><DtTm> nesting). */
export function choiceDate(node: XmlNode | undefined, what: string): string | undefined {
  if (node === undefined) return undefined;
  const n = at(node, 'Dt') ?? at(node, 'DtTm');
  if (n === undefined) return undefined;
  const raw = collapse(n.text) || textAt(n, 'DtTm') || textAt(n, 'Dt');
  if (!raw) return undefined;
  const d = isoDate(raw);
  if (d === undefined) {
    throw new ImportError('MALFORMED_FILE', `${what} at line ${n.line} has date "${raw.slice(0, 40)}"`, {
      line: n.line,
      expected: 'an ISO date such as 2024-03-31',
    });
  }
  return d;
}
