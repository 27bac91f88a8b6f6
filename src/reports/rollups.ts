// Checking and rebuilding the report rollups against the base rows. The
// triggers keep them exact; these exist for the drift tests, for `finhub
// report rollups` (an operator's check after a restore or manual SQL), and to
// repair a ledger should that check ever fail. The definitions here are the
// plain-SQL meaning of each rollup (see migrations/*_reports.ts).
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../shared/executor.ts';

type Table = 'report_category_months' | 'report_account_months' | 'report_payee_months' | 'report_ledger_category_months' | 'report_ledger_payee_months';

export interface DriftRow {
  table: Table;
  ledger_id: string;
  key: string;
  stored: { amount: string; inflow: string; count: string } | null;
  expected: { amount: string; inflow: string; count: string } | null;
}

const MONTH = sql`date_trunc('month', t.posted_on::timestamp)::date`;

/** Each rollup as a fresh aggregate of the rows: key columns, then amount_minor, inflow_minor, row_count. */
function expected(table: Table, scope: RawBuilder<unknown>): { keys: string[]; query: RawBuilder<unknown> } {
  const sums = sql`sum(t.amount_minor)::bigint as amount_minor, sum(greatest(t.amount_minor, 0))::bigint as inflow_minor, count(*)::bigint as row_count`;
  switch (table) {
    case 'report_category_months':
      return {
        keys: ['ledger_id', 'month', 'account_id', 'category_id', 'is_transfer'],
        query: sql`select t.ledger_id, ${MONTH} as month, t.account_id, t.category_id, t.transfer_peer_id is not null as is_transfer, ${sums}
                     from transactions t
                    where (t.parent_id is not null or not t.is_split) and ${scope} group by 1, 2, 3, 4, 5`,
      };
    case 'report_account_months':
      return {
        keys: ['ledger_id', 'month', 'account_id', 'is_transfer'],
        query: sql`select t.ledger_id, ${MONTH} as month, t.account_id, t.transfer_peer_id is not null as is_transfer, ${sums}
                     from transactions t where t.parent_id is null and ${scope} group by 1, 2, 3, 4`,
      };
    case 'report_payee_months':
      return {
        keys: ['ledger_id', 'month', 'payee_id', 'account_id'],
        query: sql`select t.ledger_id, ${MONTH} as month, t.payee_id, t.account_id, ${sums}
                     from transactions t
                    where t.parent_id is null and t.transfer_peer_id is null and ${scope} group by 1, 2, 3, 4`,
      };
    case 'report_ledger_category_months':
      return {
        keys: ['ledger_id', 'month', 'category_id', 'is_transfer'],
        query: sql`select t.ledger_id, ${MONTH} as month, t.category_id, t.transfer_peer_id is not null as is_transfer, ${sums}
                     from transactions t
                    where (t.parent_id is not null or not t.is_split) and ${scope} group by 1, 2, 3, 4`,
      };
    case 'report_ledger_payee_months':
      return {
        keys: ['ledger_id', 'month', 'payee_id'],
        query: sql`select t.ledger_id, ${MONTH} as month, t.payee_id, ${sums}
                     from transactions t
                    where t.parent_id is null and t.transfer_peer_id is null and ${scope} group by 1, 2, 3`,
      };
  }
}

const TABLES: Table[] = ['report_category_months', 'report_account_months', 'report_payee_months', 'report_ledger_category_months', 'report_ledger_payee_months'];

/** Every key where the stored sums differ from a fresh aggregate of the base rows (a stored key without rows is a difference too). */
export async function rollupDrift(ex: Executor, ledgerId?: string): Promise<DriftRow[]> {
  const out: DriftRow[] = [];
  for (const table of TABLES) {
    const e = expected(table, ledgerId ? sql`t.ledger_id = ${ledgerId}` : sql`true`);
    // A full join needs hashable conditions: the nullable keys (category, payee) compare through a sentinel.
    const side = (alias: string, k: string) => (k === 'category_id' || k === 'payee_id' ? sql`coalesce(${sql.ref(`${alias}.${k}`)}, '00000000-0000-0000-0000-000000000000'::uuid)` : sql.ref(`${alias}.${k}`));
    const on = sql.join(e.keys.map((k) => sql`${side('s', k)} = ${side('e', k)}`), sql` and `);
    const key = sql.join(e.keys.slice(1).map((k) => sql`coalesce(e.${sql.ref(k)}, s.${sql.ref(k)})::text`));
    const r = await sql<Record<string, string | null>>`
      with e as (${e.query}),
           s as (select * from ${sql.table(table)} where ${ledgerId ? sql`ledger_id = ${ledgerId}` : sql`true`})
      select coalesce(e.ledger_id, s.ledger_id)::text as ledger_id, concat_ws('|', ${key}) as key,
             s.amount_minor::text as s_amount, s.inflow_minor::text as s_inflow, s.row_count::text as s_n,
             e.amount_minor::text as e_amount, e.inflow_minor::text as e_inflow, e.row_count::text as e_n
        from e full join s on ${on}
       where (e.amount_minor, e.inflow_minor, e.row_count) is distinct from (s.amount_minor, s.inflow_minor, s.row_count)`.execute(ex);
    for (const x of r.rows) {
      out.push({
        table, ledger_id: x.ledger_id!, key: x.key!,
        stored: x.s_n === null ? null : { amount: x.s_amount!, inflow: x.s_inflow!, count: x.s_n! },
        expected: x.e_n === null ? null : { amount: x.e_amount!, inflow: x.e_inflow!, count: x.e_n! },
      });
    }
  }
  return out;
}

/** Recomputes a ledger's rollups from its rows (the caller holds a transaction; writers to the ledger wait on its row lock). */
export async function rebuildRollups(ex: Executor, ledgerId: string): Promise<Record<Table, number>> {
  await sql`select 1 from ledgers where id = ${ledgerId} for update`.execute(ex);
  const out = {} as Record<Table, number>;
  for (const table of TABLES) {
    const e = expected(table, sql`t.ledger_id = ${ledgerId}`);
    await sql`delete from ${sql.table(table)} where ledger_id = ${ledgerId}`.execute(ex);
    const cols = sql.join([...e.keys, 'amount_minor', 'inflow_minor', 'row_count'].map((c) => sql.ref(c)));
    const r = await sql`insert into ${sql.table(table)} (${cols}) ${e.query}`.execute(ex);
    out[table] = Number(r.numAffectedRows ?? 0n);
  }
  return out;
}
