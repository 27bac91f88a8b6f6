// From query text to a ready WHERE expression for one ledger: parse, compile
// against the ledger's currencies, and let the database vet regular
// expressions first (PostgreSQL's regex dialect is the one that counts), so a
// bad query is a 400 that points at the text, never a 500.
import { sql } from 'kysely';
import type { CurrencyCode } from '../money/currencies.ts';
import type { Executor } from '../shared/executor.ts';
import type { QueryNode } from './ast.ts';
import { compileQuery, type CompiledQuery } from './compile.ts';
import { QuerySyntaxError, queryAppError } from './errors.ts';
import { parseQuery } from './parser.ts';

const INVALID_REGEX = '2201B';

export async function checkRegexes(ex: Executor, compiled: CompiledQuery): Promise<void> {
  for (const r of compiled.regexes) {
    try {
      await sql`select '' ~* ${r.pattern} as ok`.execute(ex);
    } catch (e) {
      if ((e as { code?: string }).code !== INVALID_REGEX) throw e;
      const why = (e as Error).message.replace(/^invalid regular expression:\s*/i, '');
      throw new QuerySyntaxError(`invalid regular expression at column ${r.span.offset + 1}: ${why}`, { offset: r.span.offset, token: r.pattern, expected: ['a PostgreSQL regular expression'] });
    }
  }
}

/** The ledger's account currencies (its base currency first), for amount comparisons. */
export async function ledgerCurrencies(ex: Executor, ledgerId: string): Promise<CurrencyCode[]> {
  const [ledger, accounts] = await Promise.all([
    ex.selectFrom('ledgers').select('base_currency').where('id', '=', ledgerId).executeTakeFirst(),
    ex.selectFrom('accounts').select('currency').distinct().where('ledger_id', '=', ledgerId).execute(),
  ]);
  return [...new Set([...(ledger ? [ledger.base_currency] : []), ...accounts.map((a) => a.currency)])] as CurrencyCode[];
}

/** Below this many rows (parts included), a category is "rare": see CompileContext.rareCategories. */
export const RARE_CATEGORY_ROWS = 2000;

function categoryNames(n: QueryNode | undefined, out: Set<string>): Set<string> {
  if (!n) return out;
  if (n.kind === 'and' || n.kind === 'or') n.items.forEach((i) => categoryNames(i, out));
  else if (n.kind === 'not') categoryNames(n.item, out);
  else if (n.kind === 'field' && n.field === 'category' && n.value !== null) out.add(n.value.toLowerCase());
  return out;
}

/**
 * The query's categories that few rows carry, with their ids. Counting stops at the
 * threshold, through the (ledger, category, date) index, so this costs at most a couple
 * of thousand index entries per named category.
 */
export async function rareCategories(ex: Executor, ledgerId: string, root: QueryNode | undefined, threshold = RARE_CATEGORY_ROWS): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const name of categoryNames(root, new Set())) {
    const ids = (await ex.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', name).execute()).map((r) => r.id);
    if (ids.length === 0) {
      out.set(name, ids);
      continue;
    }
    const { n } = (await sql<{ n: number }>`
      select count(*)::int as n from (
        select 1 from transactions where ledger_id = ${ledgerId} and category_id = any(${ids}::uuid[]) limit ${threshold}) x`.execute(ex)).rows[0]!;
    if (n < threshold) out.set(name, ids);
  }
  return out;
}

/**
 * Parses and compiles `text` for a ledger the caller may read; a bad query
 * becomes AppError QUERY_INVALID on `field` (e.g. "/query/q").
 */
export async function prepareQuery(ex: Executor, ledgerId: string, text: string, opts: { now: Date; field: string }): Promise<CompiledQuery> {
  try {
    const q = parseQuery(text);
    if (!q.root) return { where: undefined, regexes: [] };
    const compiled = compileQuery(q, { ledgerId, currencies: await ledgerCurrencies(ex, ledgerId), now: opts.now, rareCategories: await rareCategories(ex, ledgerId, q.root) });
    await checkRegexes(ex, compiled);
    return compiled;
  } catch (e) {
    if (e instanceof QuerySyntaxError) throw queryAppError(e, opts.field);
    throw e;
  }
}
