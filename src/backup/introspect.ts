// Reads the table layout of the current schema from the PostgreSQL catalogue,
// the same way on PGlite and PostgreSQL. Backups are driven by what the
// database actually contains, not by a hand-kept list, so a table added by a
// later migration is backed up without touching this module.
import { CompiledQuery, type Kysely } from 'kysely';

export interface ColumnInfo {
  name: string;
  type: string;
  /** GENERATED ALWAYS AS (…) columns are computed, never stored in a backup. */
  generated: boolean;
  /** Has a collation (text-like): ordered with COLLATE "C" for an engine-independent order. */
  collatable: boolean;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  /** Other tables this one references by foreign key. */
  references: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>;

export async function query<R>(ex: AnyKysely, text: string, params: unknown[] = []): Promise<R[]> {
  return (await ex.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Tables of the current schema in foreign-key order (referenced tables first, then by name). */
export async function listTables(ex: AnyKysely): Promise<TableInfo[]> {
  const rows = await query<{ name: string; columns: string; pk: string | null; refs: string | null }>(
    ex,
    `select c.relname as name,
       (select json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '', a.attcollation <> 0) order by a.attnum)
          from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)::text as columns,
       (select json_agg(a.attname order by k.ord)
          from pg_index i cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
          join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
         where i.indrelid = c.oid and i.indisprimary)::text as pk,
       (select json_agg(distinct r.relname)
          from pg_constraint f join pg_class r on r.oid = f.confrelid
         where f.conrelid = c.oid and f.contype = 'f' and f.confrelid <> c.oid)::text as refs
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r'
    order by c.relname`,
  );
  const tables = rows.map((r) => ({
    name: r.name,
    columns: (JSON.parse(r.columns ?? '[]') as [string, string, boolean, boolean][]).map(([name, type, generated, collatable]) => ({ name, type, generated, collatable })),
    primaryKey: r.pk ? (JSON.parse(r.pk) as string[]) : [],
    references: r.refs ? (JSON.parse(r.refs) as string[]) : [],
  }));
  return dependencyOrder(tables);
}

/** Kahn's algorithm, ties broken by name; tables in a reference cycle follow in name order. */
export function dependencyOrder<T extends { name: string; references: string[] }>(tables: T[]): T[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const pending = new Map(tables.map((t) => [t.name, new Set(t.references.filter((r) => r !== t.name && byName.has(r)))]));
  const out: T[] = [];
  while (pending.size > 0) {
    const ready = [...pending.entries()].filter(([, deps]) => deps.size === 0).map(([n]) => n).sort();
    const next = ready.length > 0 ? ready : [[...pending.keys()].sort()[0]!];
    for (const name of next) {
      pending.delete(name);
      out.push(byName.get(name)!);
      for (const deps of pending.values()) deps.delete(name);
    }
  }
  return out;
}
