// finhub search: the transaction list filtered by a query (docs/query-language.md),
// through the same service as GET /api/v1/ledgers/{id}/transactions?q=…
import type { TransactionView } from '../../ledger/transactions.service.ts';
import { AppError } from '../../shared/app-error.ts';
import { requireString, UsageError, type Command } from '../context.ts';
import { actorFor, resolveLedger } from '../ledger-lookup.ts';

const PAGE = 200;
const MAX_LIMIT = 10_000;

function line(t: TransactionView): string {
  const what = t.transfer ? `transfer ${t.amount_minor < 0 ? 'to' : 'from'} ${t.transfer.account_name}` : t.is_split ? `split: ${t.splits.map((s) => s.category_name ?? '(none)').join(', ')}` : (t.category_name ?? '(uncategorized)');
  const flags = [t.cleared_state === 'uncleared' ? '' : t.cleared_state[0]!.toUpperCase(), t.tags.map((x) => `#${x}`).join(' ')].filter(Boolean).join(' ');
  return [t.posted_on, `${t.amount.padStart(12)} ${t.currency}`, (t.payee_name ?? '-').padEnd(24), what, t.notes ? `"${t.notes}"` : '', flags].filter((s) => s !== '').join('  ');
}

/** Points at the column a query error names, under the query itself. */
function pointer(query: string, e: AppError): string[] {
  const pos = (e.details?.position as { offset?: number } | undefined)?.offset;
  if (pos === undefined || query.length > 200) return [];
  return [`  ${query}`, `  ${' '.repeat(pos)}^`];
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'Search a ledger\'s transactions with the query language (docs/query-language.md)',
  usage: 'finhub search --ledger LEDGER [--limit N] [--json] [--email MEMBER] "QUERY"   e.g. finhub search --ledger Home "payee:amazon amount:>50 date:last-month"',
  needsDb: true,
  options: {
    ledger: { type: 'string', description: 'ledger id or name' },
    limit: { type: 'string', description: `most transactions to show, newest first (default 50, at most ${MAX_LIMIT})` },
    json: { type: 'boolean', description: 'one JSON object per line (the API\'s transaction shape)' },
    email: { type: 'string', description: 'search as this ledger member (default: the ledger\'s owner)' },
  },
  async run(ctx, values, positionals) {
    const ledgerRef = requireString(values, 'ledger');
    const query = positionals.join(' ');
    const limitText = (values.limit as string | undefined) ?? '50';
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
    const limit = Number(limitText);
    const c = await ctx.container();
    const ledger = await resolveLedger(c, ledgerRef);
    const actor = await actorFor(c, ledger.id, values.email as string | undefined);
    const found: TransactionView[] = [];
    let cursor: string | undefined;
    let more: boolean;
    try {
      do {
        const page = await c.transactions.list(actor, ledger.id, { query, cursor, limit: Math.min(PAGE, limit - found.length) });
        found.push(...page.items);
        cursor = page.next_cursor ?? undefined;
        more = cursor !== undefined;
      } while (more && found.length < limit);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'QUERY_INVALID') throw e;
      for (const l of pointer(query, e)) ctx.io.err(l);
      // The message already names the position; the field list would repeat it.
      throw new AppError('QUERY_INVALID', e.message, { details: e.details });
    }
    if (values.json) {
      for (const t of found) ctx.io.out(JSON.stringify(t));
      return 0;
    }
    for (const t of found) ctx.io.out(line(t));
    ctx.io.out(found.length === 0 ? 'no transactions match' : `${found.length} transaction${found.length === 1 ? '' : 's'}${more ? ` (more match; raise --limit to see them)` : ''}`);
    return 0;
  },
};
