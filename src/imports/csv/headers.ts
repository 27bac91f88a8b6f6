// Header names -> column roles, in English, German, French, Dutch, Spanish,
// Polish (plus a few Czech/Hungarian/Italian words seen in real exports).
// Headers are folded (lower case, accents dropped, punctuation to spaces)
// before matching, so "Empfänger", "EMPFAENGER" and "Bedrag (EUR)" all work.
// A header matching a phrase exactly scores higher than one containing it as
// whole words; earlier phrases in a list score higher than later ones. Every
// guess is then checked against the column's content by the caller.
import { foldAccents } from './dates.ts';
import type { CsvRole } from './options.ts';

/** 'description' is a free-text column that becomes the payee when no payee column exists, else memo. */
export type HeaderRole = CsvRole | 'description';

interface RoleWords {
  /** Phrases; a leading '=' means the whole header must equal it. */
  words: string[];
  /** Headers containing any of these words never get the role. */
  not?: string[];
}

const DICT: Record<HeaderRole, RoleWords> = {
  date: {
    words: [
      'booking date', 'posting date', 'posted date', 'buchungstag', 'buchungsdatum', 'boekdatum', 'boekingsdatum',
      'date comptable', 'date de comptabilisation', 'fecha contable', 'data ksiegowania', 'datum zauctovani',
      'transaction date', 'date operation', 'date de l operation', 'fecha operacion', 'fecha de operacion', 'data operacji',
      'transactiedatum', 'fecha de transaccion', 'data transakcji', 'tranzakcio datuma', 'run date', 'trans date',
      'date processed', 'date', 'datum', 'fecha', 'data', 'dato', 'datetime', 'date time', 'timestamp', 'belegdatum',
    ],
    not: ['valeur', 'value', 'valuta', 'settlement', 'waluty', 'rente', 'download', 'birth'],
  },
  valueDate: {
    words: [
      'value date', 'valutadatum', 'wertstellung', 'date de valeur', 'date valeur', 'fecha valor', 'fecha de valor',
      'data waluty', 'rentedatum', 'settlement date', 'erteknap', 'datum provedeni', 'valuta', 'valeur',
    ],
  },
  amount: {
    words: [
      '=amount', '=betrag', '=montant', '=bedrag', '=importe', '=kwota', '=monto', '=net', '=neto', '=netto', '=amt',
      'buchungsbetrag', 'transaktionsbetrag', 'umsatzbetrag', 'transaction amount', 'amount total', 'amount', 'betrag',
      'montant', 'bedrag', 'importe', 'kwota', 'monto', 'castka', 'osszeg', 'osszege', 'net amount', 'umsatz', 'importo',
      'gross', 'bruto', 'brutto',
    ],
    not: [
      'fee', 'fees', 'original', 'orig', 'commission', 'comision', 'price', 'kurs', 'rate', 'gebuhr', 'frais', 'tax',
      'impuesto', 'envio', 'shipping', 'insurance', 'seguro', 'beginning', 'ending', 'balance', 'saldo', 'quantity',
      'accrued', 'interest', 'exchange',
    ],
  },
  debit: {
    words: [
      'debit', 'debits', 'debit amount', 'withdrawal', 'withdrawals', 'withdrawal amount', 'outflow', 'money out',
      'paid out', 'soll', 'belastung', 'ausgang', 'ausgaben', 'debet', '=af', '=d', 'debito', 'cargo', 'cargos', 'retiro',
      'retiros', 'obciazenia', 'wyplata', 'wydatki',
    ],
    not: ['credit', 'card', 'haben', 'bij'],
  },
  credit: {
    words: [
      'credit', 'credits', 'credit amount', 'deposit', 'deposits', 'deposit amount', 'inflow', 'money in', 'paid in',
      'haben', 'gutschrift', 'eingang', 'einnahmen', '=bij', '=c', 'credito', 'abono', 'abonos', 'ingreso', 'ingresos',
      'uznania', 'wplata', 'wplywy',
    ],
    not: ['debit', 'debet', 'card', 'soll', 'af'],
  },
  direction: {
    words: [
      '=d c', '=c d', '=dr cr', '=cr dr', '=debit credit', '=credit debit', 'creditdebet', 'debetcredit', '=af bij',
      '=bij af', '=soll haben', '=s h', 'debit or credit', 'credit or debit', 'transaction type', 'direction', 'sens',
      'bevetel kiadas', 'inflow outflow', '=cd', '=dc', '=type', '=tipo', '=typ', 'cr dr', 'dr cr',
    ],
  },
  payee: {
    words: [
      'payee', 'payee name', 'counterparty', 'counterparty name', 'beneficiary', 'merchant', 'recipient',
      'empfanger', 'empfaenger', 'zahlungsempfanger', 'auftraggeber', 'begunstigter zahlungspflichtiger',
      'beguenstigter zahlungspflichtiger', 'zahlungsbeteiligter', 'name zahlungsbeteiligter', 'beneficiaire', 'tiers',
      'naam tegenpartij', 'tegenrekeninghouder', 'naam omschrijving', 'naam', 'tegenpartij', 'beneficiario', 'ordenante',
      'kontrahent', 'nazwa kontrahenta', 'odbiorca', 'nadawca', 'partner neve', 'partner name', 'nazev protiuctu',
      '=name', '=nom', '=nombre',
    ],
    not: ['account', 'iban', 'bic', 'rekening', 'konto', 'address', 'adres', 'adresse', 'email', 'bank', 'banco', 'initierende', 'uiteindelijke', 'ultimate'],
  },
  description: {
    words: [
      'description', 'transaction description', 'transaktionsbeschreibung', 'details', 'detail', 'narrative', 'particulars',
      'transaction details', 'buchungstext', 'omschrijving', 'libelle', 'libelle operation', 'label', 'concepto',
      'descripcion', 'opis', 'opis operacji', 'tytul', 'tytulem', '=text', '=desc', 'beschreibung', 'descrizione', '=action',
    ],
    not: ['zusatz', 'original', 'category', 'security'],
  },
  memo: {
    words: [
      'memo', 'notes', 'note', 'remarks', 'remarque', 'comment', 'comments', 'verwendungszweck', 'mededelingen',
      'mededeling', 'vrije mededeling', 'umsatztext', 'zusatz', 'kozlemeny', 'zprava pro prijemce', 'zprava pro me',
      'item title', 'subject', 'nota', 'informacion adicional', 'additional information', 'original description',
      'zahlungsreferenz', 'omschrijving 1', 'omschrijving 2', 'omschrijving 3',
    ],
  },
  reference: {
    words: [
      'transaction id', 'transactionid', 'fitid', 'reference number', 'reference no', 'transactiereferentie',
      'buchungsreferenz', 'id de transaccion', 'id transakcji', 'numer referencyjny', 'referencni cislo',
      'confirmation number', 'operation number', 'numero d operation', 'reference', 'referenz', 'referentie', 'referencia',
      '=ref', '=id', 'volgnr',
    ],
    not: ['reference txn', 'mandate', 'machtiging', 'customer', 'kunden', 'batch', 'mandat', 'creditor', 'glaubiger'],
  },
  checkNumber: {
    words: ['check number', 'checknumber', 'check no', 'cheque number', 'cheque no', 'numero de cheque', 'schecknummer', '=check', '=cheque', '=scheck'],
  },
  balance: {
    words: [
      'running balance', 'runningbalance', 'current balance', 'balance after', 'saldo na trn', 'saldo nach buchung',
      'saldo po operacji', 'balance', 'saldo', 'kontostand', 'solde',
    ],
    not: ['beginning', 'opening', 'start', 'ending', 'anfangs', 'available', 'before', 'voor'],
  },
  status: {
    words: ['status', 'state', 'estado', 'statut', 'stav', 'zustand', '=pending'],
  },
  currency: {
    words: [
      'buchungswahrung', 'currency', 'ccy', 'curr', 'waehrung', 'wahrung', 'devise', 'munt', 'valutacode', 'moneda',
      'divisa', 'waluta', 'tranzakcio devizaneme', 'devizanem', 'mena',
    ],
    not: ['original', 'exchange', 'rate'],
  },
  account: {
    words: ['auftragskonto', 'account number', 'iban bban', '=iban', 'rekeningnummer', '=rekening', 'kontonummer', 'numero de compte', 'numer rachunku', '=account', '=konto'],
    not: ['tegen', 'tegenrekening', 'counter', 'counterparty', 'partner', 'contra', 'empfanger', 'beneficiary', 'protiuctu', 'payee', 'gegenkonto'],
  },
};

export function foldHeader(h: string): string {
  return foldAccents(h).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

function containsPhrase(header: string, phrase: string): boolean {
  if (header === phrase) return true;
  const i = ` ${header} `.indexOf(` ${phrase} `);
  return i >= 0;
}

/** Score of a header for a role: 0 for no match, higher is better. */
export function headerScore(header: string, role: HeaderRole): number {
  const h = foldHeader(header);
  if (h === '') return 0;
  const entry = DICT[role];
  if (entry.not?.some((w) => containsPhrase(h, w))) return 0;
  const n = entry.words.length;
  for (let i = 0; i < n; i += 1) {
    const w = entry.words[i] as string;
    if (w.startsWith('=')) {
      if (h === w.slice(1)) return 2000 - i;
    } else if (h === w) return 2000 - i;
  }
  for (let i = 0; i < n; i += 1) {
    const w = entry.words[i] as string;
    if (!w.startsWith('=') && containsPhrase(h, w)) return 1000 - i;
  }
  return 0;
}

export const HEADER_ROLES = Object.keys(DICT) as HeaderRole[];

/** Words of a direction column meaning money out / in (folded, lower case). */
export const DEBIT_WORDS = ['d', 'dr', 'db', 'dbit', 'debit', 'debet', 'debito', 'af', 's', 'soll', 'outflow', 'out', 'withdrawal', 'kiadas', 'cargo'];
export const CREDIT_WORDS = ['c', 'cr', 'crdt', 'credit', 'credito', 'bij', 'h', 'haben', 'inflow', 'in', 'deposit', 'bevetel', 'abono'];

/** Words of a status column meaning not yet booked (folded, lower case). */
export const PENDING_WORDS = [
  'pending', 'pend', 'authorized', 'authorised', 'unposted', 'not posted', 'vorgemerkt', 'vormerkung', 'offen', 'en attente',
  'en cours', 'in behandeling', 'gereserveerd', 'pendiente', 'en proceso', 'retenido', 'oczekujaca', 'oczekujace', 'blokada',
];
