// A running-balance column as stated balances. When the rows are in date
// order (ascending or descending; rows all on one day are ordered by the
// balance arithmetic itself) the balance on the chronologically last row is
// the stated closing balance; when every consecutive pair also adds up, the
// first row's balance minus its amount is the opening balance. Rows out of
// date order: the column is not used (with a warning).
import type { StatedBalance, StatementTransaction } from '../statement.ts';
import type { CsvRecord } from './tokenize.ts';

export interface BalanceRow {
  record: CsvRecord;
  tx: StatementTransaction;
  balance?: bigint;
}

/** Closing (and when the arithmetic holds, opening) balance from a running-balance column. */
export function balancesFrom(rows: BalanceRow[], warnings: string[]): StatedBalance[] {
  if (rows.length === 0) return [];
  let ascending = true;
  let descending = true;
  for (let i = 1; i < rows.length; i += 1) {
    const prev = (rows[i - 1] as BalanceRow).tx.postedOn;
    const cur = (rows[i] as BalanceRow).tx.postedOn;
    if (cur < prev) ascending = false;
    if (cur > prev) descending = false;
  }
  // All on one day: let the running balance itself tell the order.
  const chains = (order: BalanceRow[]): boolean => {
    for (let i = 1; i < order.length; i += 1) {
      const prev = order[i - 1] as BalanceRow;
      const cur = order[i] as BalanceRow;
      if (prev.balance === undefined || cur.balance === undefined || prev.balance + cur.tx.amountMinor !== cur.balance) return false;
    }
    return true;
  };
  let chrono: BalanceRow[] | undefined;
  if (ascending && descending) {
    if (chains(rows)) chrono = rows;
    else if (chains([...rows].reverse())) chrono = [...rows].reverse();
  } else if (ascending) chrono = rows;
  else if (descending) chrono = [...rows].reverse();
  if (chrono === undefined) {
    warnings.push('the running balance column was not used: the rows are not in date order');
    return [];
  }
  const last = chrono[chrono.length - 1] as BalanceRow;
  if (last.balance === undefined) return [];
  const out: StatedBalance[] = [];
  const first = chrono[0] as BalanceRow;
  if (first.balance !== undefined && chains(chrono)) out.push({ kind: 'opening', amountMinor: first.balance - first.tx.amountMinor, date: first.tx.postedOn });
  out.push({ kind: 'closing', amountMinor: last.balance, date: last.tx.postedOn });
  return out;
}
