// Every report recomputed the slow obvious way from the plain rows: loop over
// transactions, ask the query-language reference evaluator whether each one
// matches, convert each leaf with the rate book, add up. The property tests
// compare the service (rollups, SQL, partial months) against these.
import { divRound } from '../../src/money/money.ts';
import type { CurrencyCode } from '../../src/money/currencies.ts';
import { RateBook } from '../../src/fx/rate-book.ts';
import type { Minor } from '../../src/money/money.ts';
import { parseQuery } from '../../src/query/parser.ts';
import type { QueryNode } from '../../src/query/ast.ts';
import { matches } from '../query/brute.ts';
import type { AccountRow, RandomLedger, TopRow } from './fixture.ts';

export interface BruteInput {
  from: string;
  to: string;
  q: string;
  currency: string;
  now: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const end = to.slice(0, 7);
  for (;;) {
    const key = `${y}-${pad(m)}`;
    if (key > end) break;
    out.push(key);
    m++;
    if (m > 12) [y, m] = [y + 1, 1];
  }
  return out;
}

const monthEnd = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${pad(daysIn(y, m))}`;
};

export class Brute {
  readonly root: QueryNode | undefined;
  readonly book: RateBook;
  readonly months: string[];

  constructor(readonly l: RandomLedger, readonly i: BruteInput) {
    this.root = parseQuery(i.q).root;
    this.book = new RateBook(l.base as CurrencyCode, l.rates);
    this.months = monthsBetween(i.from, i.to);
  }

  conv(amount: bigint, from: string, on: string): bigint {
    if (from === this.i.currency || amount === 0n) return amount;
    return this.book.convert(amount as Minor, from as CurrencyCode, this.i.currency as CurrencyCode, on);
  }

  selected(r: TopRow): boolean {
    return matches(this.root, r, this.i.now);
  }

  inRange(r: TopRow): boolean {
    return r.posted_on >= this.i.from && r.posted_on <= this.i.to;
  }

  /** Converted leaves of the selected non-transfer rows in range: [month, category_id, amount]. */
  leaves(): { month: string; row: TopRow; category_id: string | null; amount: bigint }[] {
    const out = [];
    for (const r of this.l.rows) {
      if (r.is_transfer || !this.inRange(r) || !this.selected(r)) continue;
      const parts = r.is_split ? r.parts.map((p) => ({ amount: p.amount, category_id: p.category_id })) : [{ amount: r.amount_minor, category_id: r.category_id }];
      for (const p of parts) out.push({ month: r.posted_on.slice(0, 7), row: r, category_id: p.category_id, amount: this.conv(p.amount, r.currency, r.posted_on) });
    }
    return out;
  }

  private kindOk(kind: string, categoryId: string | null): boolean {
    const c = this.l.categories.find((x) => x.id === categoryId);
    return kind === 'all' || (kind === 'income' ? c?.is_income === true : c?.is_income !== true);
  }

  /** category id (or 'none') -> per-month amounts. */
  byCategory(kind: string): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    for (const x of this.leaves()) {
      if (!this.kindOk(kind, x.category_id)) continue;
      const key = x.category_id ?? 'none';
      const a = out.get(key) ?? this.months.map(() => 0n);
      a[this.months.indexOf(x.month)]! += x.amount;
      out.set(key, a);
    }
    return out;
  }

  cashflow() {
    const income = this.months.map(() => 0n);
    const net = this.months.map(() => 0n);
    for (const x of this.leaves()) {
      const i = this.months.indexOf(x.month);
      net[i]! += x.amount;
      if (x.amount > 0n) income[i]! += x.amount;
    }
    return { income, net };
  }

  /** payee id (or 'none') -> net, inflow, count, per transaction. */
  payees(): Map<string, { net: bigint; inflow: bigint; count: bigint }> {
    const perTx = new Map<string, { payee: string; amount: bigint }>();
    for (const x of this.leaves()) {
      const cur = perTx.get(x.row.id) ?? { payee: x.row.payee_id ?? 'none', amount: 0n };
      cur.amount += x.amount;
      perTx.set(x.row.id, cur);
    }
    const out = new Map<string, { net: bigint; inflow: bigint; count: bigint }>();
    for (const { payee, amount } of perTx.values()) {
      const cur = out.get(payee) ?? { net: 0n, inflow: 0n, count: 0n };
      cur.net += amount;
      if (amount > 0n) cur.inflow += amount;
      cur.count += 1n;
      out.set(payee, cur);
    }
    return out;
  }

  private openingRow(a: AccountRow): TopRow {
    return {
      id: a.id, account_id: a.id, account: a.name, currency: a.currency, posted_on: a.opened_on ?? '0001-01-01', amount_minor: a.opening_balance_minor,
      payee_id: null, payee: null, category_id: null, category: null, notes: null, tags: [], cleared_state: 'reconciled', pending: false, is_split: false, is_transfer: false, parts: [],
    };
  }

  dates(): string[] {
    return this.months.map((m) => (monthEnd(m) < this.i.to ? monthEnd(m) : this.i.to));
  }

  /** Per shown account: native and converted balance at each point (null before it opened). */
  balances(): { account: AccountRow; native: (bigint | null)[]; converted: (bigint | null)[] }[] {
    const dates = this.dates();
    const keysOnly = (n: QueryNode | undefined): boolean =>
      !n ? false : n.kind === 'and' || n.kind === 'or' ? n.items.every(keysOnly) : n.kind === 'not' ? keysOnly(n.item) : n.kind === 'field' && (n.field === 'account' || (n.field === 'is' && n.value === 'transfer'));
    const out = [];
    for (const a of this.l.accounts) {
      const opening = this.openingRow(a);
      const mine = this.l.rows.filter((r) => r.account_id === a.id && this.selected(r));
      let shown: boolean;
      if (!this.root) shown = true;
      else if (keysOnly(this.root)) shown = [false, true].some((t) => matches(this.root, { ...opening, is_transfer: t }, this.i.now));
      else shown = this.selected(opening) || mine.some((r) => r.posted_on <= this.i.to);
      if (!shown) continue;
      const openAmt = this.selected(opening) ? a.opening_balance_minor : 0n;
      const native = dates.map((d) => (a.opened_on !== null && a.opened_on > d ? null : openAmt + mine.filter((r) => r.posted_on <= d).reduce((s, r) => s + r.amount_minor, 0n)));
      const converted = native.map((v, i) => (v === null ? null : this.conv(v, a.currency, dates[i]!)));
      out.push({ account: a, native, converted });
    }
    return out;
  }

  average(total: bigint): bigint {
    return divRound(total, BigInt(this.months.length), 'half-even');
  }
}
