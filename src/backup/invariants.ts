// The ledger invariants recorded in every manifest and checked again after a
// restore: split parts sum to their parent, transfer pairs point at each other
// and cancel out, and each account's stored sums equal the sum of its
// top-level transactions. Computed with set-based SQL in the caller's
// transaction (the backup snapshot, or the restore before it commits).
import { createHash } from 'node:crypto';
import type { LedgerInvariants } from './format.ts';
import { query, type AnyKysely, type TableInfo } from './introspect.ts';

const NEEDS: Record<string, string[]> = {
  transactions: ['id', 'account_id', 'posted_on', 'amount_minor', 'parent_id', 'is_split', 'transfer_peer_id', 'cleared_state'],
  accounts: ['id', 'currency', 'opening_balance_minor', 'tx_sum_minor', 'cleared_sum_minor'],
};

/** Null when the schema has no ledger tables (an empty or foreign database). */
export async function ledgerInvariants(ex: AnyKysely, tables: TableInfo[]): Promise<LedgerInvariants | null> {
  for (const [table, cols] of Object.entries(NEEDS)) {
    const t = tables.find((x) => x.name === table);
    if (!t || !cols.every((c) => t.columns.some((x) => x.name === c))) return null;
  }
  const [counts] = await query<Record<string, bigint>>(
    ex,
    `select count(*) as transactions,
            count(*) filter (where is_split) as split_parents,
            count(*) filter (where parent_id is not null) as split_parts,
            count(*) filter (where transfer_peer_id is not null) as transfer_rows
       from transactions`,
  );
  const [splits] = await query<{ n: bigint }>(
    ex,
    `select count(*) as n from transactions p
       left join (select c.parent_id, sum(c.amount_minor) as total, count(*) as parts,
                         bool_and(c.account_id = pa.account_id and c.posted_on = pa.posted_on) as same
                    from transactions c join transactions pa on pa.id = c.parent_id
                   group by c.parent_id) s on s.parent_id = p.id
      where (p.is_split and (s.parts is null or s.total <> p.amount_minor or not s.same))
         or (not p.is_split and s.parts is not null)`,
  );
  const [transfers] = await query<{ n: bigint }>(
    ex,
    `select count(*) as n from transactions t
       left join transactions p on p.id = t.transfer_peer_id
       left join accounts ta on ta.id = t.account_id
       left join accounts pa on pa.id = p.account_id
      where t.transfer_peer_id is not null
        and (p.id is null or p.transfer_peer_id is distinct from t.id
             or (ta.currency = pa.currency and t.amount_minor <> -p.amount_minor))`,
  );
  const accounts = await query<{ id: string; currency: string; balance: string; bad: boolean }>(
    ex,
    `select a.id::text as id, a.currency::text as currency,
            (a.opening_balance_minor::numeric + a.tx_sum_minor)::text as balance,
            (a.tx_sum_minor <> coalesce(s.total, 0) or a.cleared_sum_minor <> coalesce(s.cleared, 0)) as bad
       from accounts a
       left join (select account_id, sum(amount_minor) as total,
                         sum(amount_minor) filter (where cleared_state <> 'uncleared') as cleared
                    from transactions where parent_id is null group by account_id) s on s.account_id = a.id
      order by a.id`,
  );
  const hash = createHash('sha256');
  const totals = new Map<string, bigint>();
  let mismatches = 0;
  for (const a of accounts) {
    hash.update(`${a.id} ${a.currency} ${a.balance}\n`);
    totals.set(a.currency, (totals.get(a.currency) ?? 0n) + BigInt(a.balance));
    if (a.bad) mismatches++;
  }
  return {
    transactions: Number(counts!.transactions),
    split_parents: Number(counts!.split_parents),
    split_parts: Number(counts!.split_parts),
    split_mismatches: Number(splits!.n),
    transfer_rows: Number(counts!.transfer_rows),
    transfer_broken: Number(transfers!.n),
    accounts: accounts.length,
    account_sum_mismatches: mismatches,
    balances_sha256: hash.digest('hex'),
    balance_totals: Object.fromEntries([...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString()])),
  };
}

/** Human-readable violations (empty when the ledger is consistent). */
export function invariantViolations(inv: LedgerInvariants): string[] {
  const out: string[] = [];
  if (inv.split_mismatches) out.push(`${inv.split_mismatches} split transaction(s) whose parts do not match the parent`);
  if (inv.transfer_broken) out.push(`${inv.transfer_broken} transfer row(s) without a matching other side`);
  if (inv.account_sum_mismatches) out.push(`${inv.account_sum_mismatches} account(s) whose stored sums differ from their transactions`);
  return out;
}

/** Differences between two invariant records (field: expected -> actual). */
export function invariantDifferences(expected: LedgerInvariants, actual: LedgerInvariants): string[] {
  const out: string[] = [];
  for (const key of Object.keys(expected) as (keyof LedgerInvariants)[]) {
    const a = JSON.stringify(expected[key]);
    const b = JSON.stringify(actual[key]);
    if (a !== b) out.push(`${key}: backup ${a}, restored ${b}`);
  }
  return out;
}
