// CLI commands of issue 6, part "reports" (registered in src/cli/main.ts):
// `finhub report <name>` for the ledger reports (docs/reports.md), `finhub
// report rollups` to check or rebuild the monthly rollups, and `finhub bills
// …` for recurring bills. They call the same services as the API.
import { sql } from 'kysely';
import type { Actor } from '../../auth/actor.ts';
import type { Container } from '../../app/container.ts';
import { toDecimalString, type Minor } from '../../money/money.ts';
import type { CurrencyCode } from '../../money/currencies.ts';
import { balancesCsv, budgetCsv, cashflowCsv, netWorthCsv, payeesCsv, spendingCsv, trendCsv } from '../../reports/csv.ts';
import { balancesTable, budgetTable, cashflowTable, netWorthTable, payeesTable, spendingTable, table, trendTable } from '../../reports/render.ts';
import type { ReportInput } from '../../reports/reports.service.ts';
import { rebuildRollups, rollupDrift } from '../../reports/rollups.ts';
import { requireString, UsageError, type Command } from '../context.ts';
import { actorFor, resolveLedger } from '../ledger-lookup.ts';

async function scope(ctx: Parameters<Command['run']>[0], values: Record<string, unknown>) {
  const c = await ctx.container();
  const ledger = await resolveLedger(c, requireString(values, 'ledger'));
  return { c, ledger, actor: await actorFor(c, ledger.id, values.email as string | undefined) };
}

function int(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

const COMMON = {
  ledger: { type: 'string' as const, description: 'ledger id or name' },
  from: { type: 'string' as const, description: 'first day YYYY-MM-DD (default: the first day of the month 11 months before --to)' },
  to: { type: 'string' as const, description: 'last day YYYY-MM-DD (default: today)' },
  query: { type: 'string' as const, description: 'a query selecting the transactions counted (docs/query-language.md)' },
  currency: { type: 'string' as const, description: 'report currency (default: the ledger base currency)' },
  format: { type: 'string' as const, description: 'table (default), json or csv' },
  email: { type: 'string' as const, description: "run as this ledger member (default: the ledger's owner)" },
};

type Out = { from: string; to: string; query?: string | null };
interface ReportDef<R extends Out> {
  name: string;
  summary: string;
  options?: Command['options'];
  get(c: Container, actor: Actor, ledgerId: string, input: ReportInput, values: Record<string, unknown>): Promise<R>;
  table(r: NoInfer<R>): string[];
  csv(r: NoInfer<R>): string;
}

function reportCommand<R extends Out>(d: ReportDef<R>): Command {
  return {
    name: `report ${d.name}`,
    summary: d.summary,
    usage: `finhub report ${d.name} --ledger LEDGER [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--query Q] [--currency C] [--format table|json|csv]${Object.keys(d.options ?? {}).map((o) => ` [--${o} …]`).join('')}`,
    needsDb: true,
    options: { ...COMMON, ...(d.options ?? {}) },
    async run(ctx, values) {
      const format = (values.format as string | undefined) ?? 'table';
      if (!['table', 'json', 'csv'].includes(format)) throw new UsageError('--format must be table, json or csv');
      const { c, ledger, actor } = await scope(ctx, values);
      const r = await d.get(c, actor, ledger.id, { from: values.from as string | undefined, to: values.to as string | undefined, q: values.query as string | undefined, currency: values.currency as string | undefined }, values);
      if (format === 'json') ctx.io.out(JSON.stringify(r, null, 2));
      else if (format === 'csv') ctx.io.out(d.csv(r).replace(/\r\n$/, '').replace(/\r\n/g, '\n'));
      else {
        ctx.io.out(`${ledger.name}: ${d.summary.toLowerCase()}, ${r.from} to ${r.to}${r.query ? `, counting only ${JSON.stringify(r.query)}` : ''}`);
        for (const l of d.table(r)) ctx.io.out(l);
      }
      return 0;
    },
  };
}

type Of<K extends keyof Container['reports']> = Awaited<ReturnType<Container['reports'][K]>>;
const kindOption = { kind: { type: 'string' as const, description: 'expense (default), income or all' } };

export const REPORT_COMMANDS: Command[] = [
  reportCommand<Of<'spending'>>({
    name: 'spending', summary: 'Spending by category by month', options: kindOption,
    get: (c, a, l, i, v) => c.reports.spending(a, l, { ...i, kind: v.kind as string | undefined }), table: spendingTable, csv: spendingCsv,
  }),
  reportCommand<Of<'cashflow'>>({ name: 'cashflow', summary: 'Income and expense by month', get: (c, a, l, i) => c.reports.cashflow(a, l, i), table: cashflowTable, csv: cashflowCsv }),
  reportCommand<Of<'netWorth'>>({ name: 'net-worth', summary: 'Net worth at the end of each month', get: (c, a, l, i) => c.reports.netWorth(a, l, i), table: netWorthTable, csv: netWorthCsv }),
  reportCommand<Of<'budget'>>({ name: 'budget', summary: 'Budget vs actual by category and month', get: (c, a, l, i) => c.reports.budget(a, l, i), table: budgetTable, csv: budgetCsv }),
  reportCommand<Of<'payees'>>({
    name: 'payees', summary: 'Top payees', options: { ...kindOption, limit: { type: 'string', description: 'how many payees (default 10)' } },
    get: (c, a, l, i, v) => c.reports.payees(a, l, { ...i, kind: v.kind as string | undefined, limit: int(v, 'limit', 1, 1000) }), table: payeesTable, csv: payeesCsv,
  }),
  reportCommand<Of<'trend'>>({
    name: 'trend', summary: 'Category trend by month',
    options: {
      category: { type: 'string', multiple: true, description: 'a category name (repeat for more; default: the biggest expense categories)' },
      group: { type: 'string', multiple: true, description: 'a category group name instead (repeat for more)' },
      top: { type: 'string', description: 'how many lines without --category/--group (default 5)' },
    },
    async get(c, a, l, i, v) {
      const cats = (v.category as string[] | undefined) ?? [];
      const groups = (v.group as string[] | undefined) ?? [];
      if (cats.length && groups.length) throw new UsageError('give --category or --group, not both');
      const by = groups.length ? 'group' : 'category';
      const names = groups.length ? groups : cats;
      const ids: string[] = [];
      for (const n of names) {
        const t = by === 'group' ? 'category_groups' : 'categories';
        const row = await c.db.kysely.selectFrom(t).select('id').where('ledger_id', '=', l).where(sql<string>`lower(name)`, '=', n.toLowerCase()).executeTakeFirst();
        if (!row) throw new UsageError(`no ${by} named ${JSON.stringify(n)} in this ledger`);
        ids.push(row.id);
      }
      return c.reports.trend(a, l, { ...i, by, ids: ids.length ? ids : undefined, top: int(v, 'top', 1, 100) });
    },
    table: trendTable, csv: trendCsv,
  }),
  reportCommand<Of<'balances'>>({ name: 'balances', summary: 'Account balances at the end of each month', get: (c, a, l, i) => c.reports.balances(a, l, i), table: balancesTable, csv: balancesCsv }),
];

export const rollupsCommand: Command = {
  name: 'report rollups',
  summary: 'Check the report rollups against the transactions (and rebuild a ledger\'s)',
  usage: 'finhub report rollups [--ledger LEDGER] [--rebuild]',
  needsDb: true,
  options: {
    ledger: { type: 'string', description: 'only this ledger (id or name; default: all)' },
    rebuild: { type: 'boolean', description: 'recompute the ledger\'s rollups from its transactions (needs --ledger)' },
  },
  async run(ctx, values) {
    const c = await ctx.container();
    const ledger = values.ledger ? await resolveLedger(c, values.ledger as string) : undefined;
    if (values.rebuild) {
      if (!ledger) throw new UsageError('--rebuild needs --ledger');
      const r = await c.db.kysely.transaction().execute((tx) => rebuildRollups(tx, ledger.id));
      ctx.io.out(`rebuilt the rollups of ${ledger.name}: ${Object.entries(r).map(([t, n]) => `${t} ${n} rows`).join(', ')}`);
      return 0;
    }
    const drift = await rollupDrift(c.db.kysely, ledger?.id);
    if (drift.length === 0) {
      ctx.io.out(`rollups match the transactions${ledger ? ` of ${ledger.name}` : ' of every ledger'}`);
      return 0;
    }
    for (const d of drift.slice(0, 50)) ctx.io.out(`${d.table} ledger ${d.ledger_id} ${d.key}: stored ${JSON.stringify(d.stored)}, expected ${JSON.stringify(d.expected)}`);
    ctx.io.err(`error: ${drift.length} rollup keys differ from the transactions; run finhub report rollups --ledger ID --rebuild`);
    return 1;
  },
};

// ---------------------------------------------------------------- bills

const money = (v: number, currency: string) => toDecimalString(BigInt(v) as Minor, currency as CurrencyCode);
const jsonOpt = { json: { type: 'boolean' as const, description: 'JSON instead of a table' } };
const billsCommon = { ledger: COMMON.ledger, email: COMMON.email };

export const BILLS_COMMANDS: Command[] = [
  {
    name: 'bills detect',
    summary: 'Find recurring bills in the history and propose schedules',
    usage: 'finhub bills detect --ledger LEDGER [--months N] [--json]',
    needsDb: true,
    options: { ...billsCommon, ...jsonOpt, months: { type: 'string', description: 'months of history to read (default 25)' } },
    async run(ctx, values) {
      const { c, ledger, actor } = await scope(ctx, values);
      const r = await c.recurring.detect(actor, ledger.id, { months: int(values, 'months', 2, 120) });
      if (values.json) {
        ctx.io.out(JSON.stringify(r.items, null, 2));
        return 0;
      }
      if (r.items.length === 0) {
        ctx.io.out('no new recurring series found');
        return 0;
      }
      for (const l of table(['key', 'name', 'cadence', 'amount', 'account', 'next', 'times', 'fit'], r.items.map((p) => [p.key, p.name, p.cadence, `${money(p.expected_amount_minor, p.currency)} ${p.currency}`, p.account_name, p.next_expected_on, String(p.occurrences), `${Math.floor(p.confidence_bp / 100)}%`]), 3)) ctx.io.out(l);
      ctx.io.out(`accept with: finhub bills accept --ledger ${JSON.stringify(ledger.name)} KEY [KEY ...]  (or --all)`);
      return 0;
    },
  },
  {
    name: 'bills accept',
    summary: 'Turn detected series into schedules',
    usage: 'finhub bills accept --ledger LEDGER (KEY [KEY ...] | --all)',
    needsDb: true,
    options: { ...billsCommon, all: { type: 'boolean', description: 'accept every current proposal' } },
    async run(ctx, values, positionals) {
      const { c, ledger, actor } = await scope(ctx, values);
      let keys = positionals;
      if (values.all) {
        if (keys.length) throw new UsageError('give keys or --all, not both');
        keys = (await c.recurring.detect(actor, ledger.id)).items.map((p) => p.key);
        if (keys.length === 0) {
          ctx.io.out('no proposals to accept');
          return 0;
        }
      }
      if (keys.length === 0) throw new UsageError('give proposal keys (see finhub bills detect) or --all');
      const r = await c.recurring.accept(actor, ledger.id, keys);
      for (const s of r.items) ctx.io.out(`scheduled ${s.name}: ${s.cadence}, ${money(s.expected_amount_minor, s.currency)} ${s.currency}, next ${s.next_expected_on} (${s.id})`);
      return 0;
    },
  },
  {
    name: 'bills list',
    summary: 'Recurring bill schedules',
    usage: 'finhub bills list --ledger LEDGER [--all] [--json]',
    needsDb: true,
    options: { ...billsCommon, ...jsonOpt, all: { type: 'boolean', description: 'include inactive schedules' } },
    async run(ctx, values) {
      const { c, ledger, actor } = await scope(ctx, values);
      const r = await c.recurring.list(actor, ledger.id, { includeInactive: values.all === true });
      if (values.json) {
        ctx.io.out(JSON.stringify(r.items, null, 2));
        return 0;
      }
      if (r.items.length === 0) {
        ctx.io.out('no schedules (find some with finhub bills detect)');
        return 0;
      }
      for (const l of table(['name', 'cadence', 'amount', 'next', 'state'], r.items.map((s) => [s.name, s.cadence, `${money(s.expected_amount_minor, s.currency)} ${s.currency}`, s.next_expected_on, !s.active ? 'inactive' : s.late ? 'LATE' : 'ok']), 2)) ctx.io.out(l);
      return 0;
    },
  },
  {
    name: 'bills upcoming',
    summary: 'Bills expected soon (and the overdue ones)',
    usage: 'finhub bills upcoming --ledger LEDGER [--days N] [--json]',
    needsDb: true,
    options: { ...billsCommon, ...jsonOpt, days: { type: 'string', description: 'days ahead (default 30)' } },
    async run(ctx, values) {
      const { c, ledger, actor } = await scope(ctx, values);
      const r = await c.recurring.upcoming(actor, ledger.id, { days: int(values, 'days', 0, 366) });
      if (values.json) {
        ctx.io.out(JSON.stringify(r, null, 2));
        return 0;
      }
      if (r.items.length === 0) {
        ctx.io.out(`no bills expected until ${r.until}`);
        return 0;
      }
      for (const l of table(['due', 'name', 'amount', 'account', 'status'], r.items.map((x) => [x.due_on, x.name, `${money(x.expected_amount_minor, x.currency)} ${x.currency}`, x.account_name, x.status]), 2)) ctx.io.out(l);
      return 0;
    },
  },
  {
    name: 'bills alerts',
    summary: 'Late or larger-than-usual bills',
    usage: 'finhub bills alerts --ledger LEDGER [--evaluate] [--all] [--json]',
    needsDb: true,
    options: { ...billsCommon, ...jsonOpt, evaluate: { type: 'boolean', description: 'run the daily evaluation now first' }, all: { type: 'boolean', description: 'include dismissed alerts' } },
    async run(ctx, values) {
      const { c, ledger, actor } = await scope(ctx, values);
      if (values.evaluate) {
        const r = await c.recurring.evaluate(actor, ledger.id);
        ctx.io.out(`evaluated: ${r.created.length} new alert${r.created.length === 1 ? '' : 's'}`);
      }
      const r = await c.recurring.alerts(actor, ledger.id, { includeDismissed: values.all === true });
      if (values.json) {
        ctx.io.out(JSON.stringify(r.items, null, 2));
        return 0;
      }
      if (r.items.length === 0) ctx.io.out('no alerts');
      for (const a of r.items) ctx.io.out(`${a.expected_on}  ${a.kind.padEnd(6)}  ${a.message}${a.dismissed_at ? '  (dismissed)' : ''}`);
      return 0;
    },
  },
];

export const REPORTS_COMMANDS: Command[] = [...REPORT_COMMANDS, rollupsCommand, ...BILLS_COMMANDS];
