// CLI commands of issue 6, part "money" (registered in src/cli/main.ts):
// finhub fx add|list|delete|import|convert, finhub net-worth, finhub budget show|set|mode.
// They call the same services as the /api/v1 routes.
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Container } from '../../app/container.ts';
import { requireCurrency } from '../../fx/fx.service.ts';
import { isCurrencyCode, type CurrencyCode } from '../../money/currencies.ts';
import { format, MoneyFormatError, parseDecimal, toDecimalString, type Minor } from '../../money/money.ts';
import { AppError } from '../../shared/app-error.ts';
import { isUuid } from '../../shared/ids.ts';
import { requireString, UsageError, type Command } from '../context.ts';
import { actorFor, resolveLedger } from '../ledger-lookup.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

const ledgerOptions = {
  ledger: { type: 'string' as const, description: 'ledger id or name' },
  email: { type: 'string' as const, description: 'act as this ledger member (default: the ledger\'s first owner)' },
};

async function open(ctx: Parameters<Command['run']>[0], values: Values) {
  const c = await ctx.container();
  const ledger = await resolveLedger(c, requireString(values, 'ledger'));
  const actor = await actorFor(c, ledger.id, values.email as string | undefined);
  return { c, ledger, actor };
}

function amountOption(values: Values, name: string, currency: string): Minor {
  const text = requireString(values, name);
  try {
    return parseDecimal(text, currency as CurrencyCode);
  } catch (e) {
    if (e instanceof MoneyFormatError) throw new UsageError(`--${name}: ${e.message}`);
    throw e;
  }
}

function currencyArg(v: string | undefined, what: string): CurrencyCode {
  const code = v?.toUpperCase();
  if (!isCurrencyCode(code)) throw new UsageError(`${what} must be an ISO 4217 currency code, got ${JSON.stringify(v ?? '')}`);
  return code;
}

const json = (values: Values) => values.json === true;

const fxAdd: Command = {
  name: 'fx add',
  summary: 'Enter an exchange rate: 1 FROM = RATE TO on a date (replaces the same pair and date)',
  usage: 'finhub fx add --ledger LEDGER FROM TO RATE [--date YYYY-MM-DD] [--source TEXT]   e.g. finhub fx add --ledger Home EUR USD 1.0845 --date 2026-11-01',
  needsDb: true,
  options: { ...ledgerOptions, date: { type: 'string', description: 'day the rate applies from (default: today, UTC)' }, source: { type: 'string', description: 'where the rate comes from (default "manual")' }, json: { type: 'boolean', description: 'print the stored rate as JSON' } },
  async run(ctx, values, positionals) {
    if (positionals.length !== 3) throw new UsageError('give FROM TO RATE, e.g. EUR USD 1.0845');
    const [from, to, rate] = positionals as [string, string, string];
    const { c, ledger, actor } = await open(ctx, values);
    const r = await c.fx.add(actor, ledger.id, { fromCurrency: from.toUpperCase(), toCurrency: to.toUpperCase(), rateDate: (values.date as string | undefined) ?? new Date().toISOString().slice(0, 10), rate, source: values.source as string | undefined });
    if (json(values)) ctx.io.out(JSON.stringify(r.rate));
    else ctx.io.out(`${r.created ? 'added' : 'replaced'} ${r.rate.rate_date}  1 ${r.rate.from_currency} = ${r.rate.rate} ${r.rate.to_currency}  (${r.rate.source}, id ${r.rate.id})`);
    return 0;
  },
};

const fxList: Command = {
  name: 'fx list',
  summary: 'List exchange rates, newest first',
  usage: 'finhub fx list --ledger LEDGER [--pair EUR/USD] [--from DATE] [--to DATE] [--limit N] [--json]',
  needsDb: true,
  options: {
    ...ledgerOptions,
    pair: { type: 'string', description: 'FROM/TO; both directions are listed' },
    from: { type: 'string', description: 'first rate date' },
    to: { type: 'string', description: 'last rate date' },
    limit: { type: 'string', description: 'most rates to show (default 50, at most 10000)' },
    json: { type: 'boolean', description: 'one JSON object per line' },
  },
  async run(ctx, values) {
    const limitText = (values.limit as string | undefined) ?? '50';
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000) throw new UsageError('--limit must be a whole number from 1 to 10000');
    const limit = Number(limitText);
    let fromCurrency: string | undefined;
    let toCurrency: string | undefined;
    if (values.pair !== undefined) {
      const m = /^([A-Za-z]{3})\/([A-Za-z]{3})$/.exec(values.pair as string);
      if (!m) throw new UsageError('--pair must look like EUR/USD');
      fromCurrency = currencyArg(m[1], '--pair');
      toCurrency = currencyArg(m[2], '--pair');
    }
    const { c, ledger, actor } = await open(ctx, values);
    const rows = [];
    let cursor: string | undefined;
    do {
      const page = await c.fx.list(actor, ledger.id, { fromCurrency, toCurrency, eitherWay: true, from: values.from as string | undefined, to: values.to as string | undefined, cursor, limit: Math.min(200, limit - rows.length) });
      rows.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && rows.length < limit);
    for (const r of rows) ctx.io.out(json(values) ? JSON.stringify(r) : `${r.rate_date}  1 ${r.from_currency} = ${r.rate} ${r.to_currency}  ${r.source}  ${r.id}`);
    if (!json(values)) ctx.io.out(rows.length === 0 ? 'no exchange rates' : `${rows.length} rate${rows.length === 1 ? '' : 's'}${cursor ? ' (more exist; raise --limit)' : ''}`);
    return 0;
  },
};

const fxDelete: Command = {
  name: 'fx delete',
  summary: 'Delete an exchange rate by id (see finhub fx list)',
  usage: 'finhub fx delete --ledger LEDGER RATE_ID',
  needsDb: true,
  options: { ...ledgerOptions },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give the rate id');
    const { c, ledger, actor } = await open(ctx, values);
    await c.fx.remove(actor, ledger.id, positionals[0]!);
    ctx.io.out(`deleted exchange rate ${positionals[0]}`);
    return 0;
  },
};

const fxImport: Command = {
  name: 'fx import',
  summary: 'Import exchange rates from a CSV file (header date,from,to,rate[,source]); all or nothing',
  usage: 'finhub fx import --ledger LEDGER FILE.csv [--source TEXT]',
  needsDb: true,
  pathPositionals: true,
  options: { ...ledgerOptions, source: { type: 'string', description: 'source for lines without a source column (default "csv")' }, json: { type: 'boolean', description: 'machine-readable summary' } },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give one CSV file');
    let text: string;
    try {
      text = await readFile(positionals[0]!, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    const { c, ledger, actor } = await open(ctx, values);
    try {
      const r = await c.fx.importCsv(actor, ledger.id, text, { source: values.source as string | undefined, field: positionals[0] });
      ctx.io.out(json(values) ? JSON.stringify(r) : `imported ${r.lines} rates (${r.inserted} new, ${r.replaced} replaced) for ${r.pairs.join(', ')}`);
      return 0;
    } catch (e) {
      if (e instanceof AppError && e.code === 'VALIDATION_FAILED' && e.errors && e.errors.length > 1) {
        for (const p of e.errors) ctx.io.err(`${positionals[0]}: ${p.message}`);
        throw new AppError('VALIDATION_FAILED', `${positionals[0]}: nothing was imported (${e.errors.length} problems listed above)`);
      }
      throw e;
    }
  },
};

const fxConvert: Command = {
  name: 'fx convert',
  summary: 'Convert an amount with the stored rates (latest rate on or before the date)',
  usage: 'finhub fx convert --ledger LEDGER --amount 12.50 FROM TO [--date YYYY-MM-DD] [--json]',
  needsDb: true,
  options: { ...ledgerOptions, amount: { type: 'string', description: 'decimal amount in FROM (use --amount=-5 for a negative one)' }, date: { type: 'string', description: 'conversion date (default: today, UTC)' }, json: { type: 'boolean', description: 'the API\'s JSON' } },
  async run(ctx, values, positionals) {
    if (positionals.length !== 2) throw new UsageError('give FROM TO, e.g. EUR USD');
    const from = currencyArg(positionals[0], 'FROM');
    const to = currencyArg(positionals[1], 'TO');
    const amount = amountOption(values, 'amount', from);
    const { c, ledger, actor } = await open(ctx, values);
    const r = await c.fx.convert(actor, ledger.id, { amountMinor: Number(amount), from, to, date: values.date as string | undefined });
    ctx.io.out(json(values) ? JSON.stringify(r) : `${r.amount} ${r.from_currency} = ${r.converted} ${r.to_currency} on ${r.date} (${r.via}${r.rate_dates.length ? ` rate of ${r.rate_dates.join(' and ')}` : ''})`);
    return 0;
  },
};

const netWorth: Command = {
  name: 'net-worth',
  summary: 'Net worth on a day, every account converted to one currency',
  usage: 'finhub net-worth --ledger LEDGER [--currency EUR] [--date YYYY-MM-DD] [--json]',
  needsDb: true,
  options: { ...ledgerOptions, currency: { type: 'string', description: 'target currency (default: the ledger\'s base currency)' }, date: { type: 'string', description: 'as of this day (default: today, UTC)' }, json: { type: 'boolean', description: 'the API\'s JSON' } },
  async run(ctx, values) {
    const { c, ledger, actor } = await open(ctx, values);
    const currency = values.currency === undefined ? undefined : requireCurrency('--currency', (values.currency as string).toUpperCase());
    const r = await c.fx.netWorth(actor, ledger.id, { currency, date: values.date as string | undefined });
    if (json(values)) {
      ctx.io.out(JSON.stringify(r));
      return 0;
    }
    for (const a of r.accounts) {
      const native = a.currency === r.currency ? '' : `  (${format(BigInt(a.balance_minor) as Minor, a.currency as CurrencyCode)}, ${a.via})`;
      ctx.io.out(`${a.name.padEnd(32)} ${format(BigInt(a.converted_minor) as Minor, r.currency as CurrencyCode).padStart(22)}${native}${a.closed ? '  closed' : ''}`);
    }
    ctx.io.out(`${'Net worth on ' + r.date}`.padEnd(32) + ` ${format(BigInt(r.total_minor) as Minor, r.currency as CurrencyCode).padStart(22)}`);
    return 0;
  },
};

async function categoryId(c: Container, ledgerId: string, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const rows = await c.db.kysely.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', (ref as string).toLowerCase()).execute();
  if (rows.length === 0) throw new AppError('NOT_FOUND', `no category named ${JSON.stringify(ref)} in this ledger`);
  return rows[0]!.id;
}

function requireMonthOption(values: Values): string {
  const m = (values.month as string | undefined) ?? new Date().toISOString().slice(0, 7);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(m)) throw new UsageError('--month must look like 2026-11');
  return m;
}

const budgetShow: Command = {
  name: 'budget show',
  summary: 'One month of the budget: budgeted, spent and available per category, and to be budgeted',
  usage: 'finhub budget show --ledger LEDGER [--month 2026-11] [--all] [--json]',
  needsDb: true,
  options: { ...ledgerOptions, month: { type: 'string', description: 'YYYY-MM (default: this month, UTC)' }, all: { type: 'boolean', description: 'also list categories with nothing budgeted, spent or available' }, json: { type: 'boolean', description: 'the API\'s JSON' } },
  async run(ctx, values) {
    const month = requireMonthOption(values);
    const { c, ledger, actor } = await open(ctx, values);
    const b = await c.budgets.month(actor, ledger.id, month);
    if (json(values)) {
      ctx.io.out(JSON.stringify(b));
      return 0;
    }
    const cur = b.currency as CurrencyCode;
    const d = (v: number) => toDecimalString(BigInt(v) as Minor, cur).padStart(13);
    ctx.io.out(`Budget ${b.month} (${cur})`);
    ctx.io.out(`${'category'.padEnd(34)} ${'mode'.padEnd(8)} ${'carried'.padStart(13)} ${'budgeted'.padStart(13)} ${'activity'.padStart(13)} ${'available'.padStart(13)}`);
    let group = '';
    for (const l of b.categories) {
      if (!values.all && l.budgeted_minor === 0 && l.activity_minor === 0 && l.available_minor === 0) continue;
      if (l.group_name !== group) ctx.io.out(`${(group = l.group_name)}`);
      const flag = l.status === 'overspent' ? '  OVERSPENT' : l.status === 'over_limit' ? '  OVER LIMIT' : '';
      ctx.io.out(`  ${l.name.slice(0, 32).padEnd(32)} ${l.mode.padEnd(8)} ${d(l.carried_over_minor)} ${d(l.budgeted_minor)} ${d(l.activity_minor)} ${d(l.available_minor)}${flag}`);
    }
    ctx.io.out(`${'total'.padEnd(34)} ${''.padEnd(8)} ${''.padStart(13)} ${d(b.budgeted_minor)} ${d(b.activity_minor)} ${d(b.available_minor)}`);
    ctx.io.out(`income ${toDecimalString(BigInt(b.income_minor) as Minor, cur)} (uncategorized ${toDecimalString(BigInt(b.uncategorized_minor) as Minor, cur)}), from last month ${toDecimalString(BigInt(b.from_last_month_minor) as Minor, cur)}, returned from last month's envelopes ${toDecimalString(BigInt(b.returned_from_last_month_minor) as Minor, cur)}`);
    ctx.io.out(`to be budgeted: ${format(BigInt(b.to_be_budgeted_minor) as Minor, cur)}`);
    return 0;
  },
};

const budgetSet: Command = {
  name: 'budget set',
  summary: 'Assign an amount to a category for a month (0 clears it)',
  usage: 'finhub budget set --ledger LEDGER --month 2026-11 --category Groceries --amount 600.00',
  needsDb: true,
  options: { ...ledgerOptions, month: { type: 'string', description: 'YYYY-MM (default: this month)' }, category: { type: 'string', description: 'category name or id' }, amount: { type: 'string', description: 'decimal amount in the budget currency (--amount=-20 for a negative one)' } },
  async run(ctx, values) {
    const month = requireMonthOption(values);
    const { c, ledger, actor } = await open(ctx, values);
    const amount = amountOption(values, 'amount', ledger.base_currency);
    const id = await categoryId(c, ledger.id, requireString(values, 'category'));
    const b = await c.budgets.assign(actor, ledger.id, month, id, Number(amount));
    const line = b.categories.find((l) => l.category_id === id)!;
    ctx.io.out(`${month} ${line.name}: budgeted ${line.budgeted} ${b.currency}, available ${line.available}; to be budgeted ${b.to_be_budgeted}`);
    return 0;
  },
};

const budgetMode: Command = {
  name: 'budget mode',
  summary: 'Put a category in envelope mode (rollover) or spending-limit mode (a monthly limit, no rollover)',
  usage: 'finhub budget mode --ledger LEDGER --category "Eating out" limit --limit 250.00   |   … --category Groceries envelope',
  needsDb: true,
  options: { ...ledgerOptions, category: { type: 'string', description: 'category name or id' }, limit: { type: 'string', description: 'standing monthly limit (limit mode), decimal in the budget currency' } },
  async run(ctx, values, positionals) {
    const mode = positionals[0];
    if (positionals.length !== 1 || (mode !== 'envelope' && mode !== 'limit')) throw new UsageError('give the mode: envelope or limit');
    const { c, ledger, actor } = await open(ctx, values);
    const limit = values.limit === undefined ? null : amountOption(values, 'limit', ledger.base_currency);
    const id = await categoryId(c, ledger.id, requireString(values, 'category'));
    const r = await c.budgets.setCategoryMode(actor, ledger.id, id, { mode, limitMinor: limit === null ? null : Number(limit) });
    ctx.io.out(`${r.name}: ${r.mode}${r.limit_minor !== null ? `, limit ${toDecimalString(BigInt(r.limit_minor) as Minor, ledger.base_currency as CurrencyCode)} ${ledger.base_currency} a month` : ''}`);
    return 0;
  },
};

export const MONEY_COMMANDS: Command[] = [fxAdd, fxList, fxDelete, fxImport, fxConvert, netWorth, budgetShow, budgetSet, budgetMode];
