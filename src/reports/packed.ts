// Many small rows, one text. A report's sums come back as thousands of rows
// (months x categories), and on the embedded engine every row and field that
// crosses from PGlite into JavaScript costs far more than the database spent
// making it: 4,000 rows took 60-100 ms to receive and 5-10 ms to compute. So
// such results are packed by the database into one JSON array of arrays, every
// value as text (amounts stay exact: they become bigint on this side), and
// unpacked here. Used on both engines, so there is one code path.
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../shared/executor.ts';

/** The rows of `query` with the given columns, each value as text (or null). */
export async function packedRows<C extends string>(ex: Executor, query: RawBuilder<unknown>, cols: readonly C[]): Promise<Record<C, string | null>[]> {
  const values = sql.join(cols.map((c) => sql`${sql.ref(`q.${c}`)}::text`));
  const r = await sql<{ j: string }>`select coalesce(json_agg(json_build_array(${values})), '[]')::text as j from (${query}) q`.execute(ex);
  const rows = JSON.parse(r.rows[0]!.j) as (string | null)[][];
  return rows.map((a) => {
    const o = {} as Record<C, string | null>;
    cols.forEach((c, i) => (o[c] = a[i] ?? null));
    return o;
  });
}
