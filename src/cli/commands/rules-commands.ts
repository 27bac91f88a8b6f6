// CLI commands of issue 6, part "rules" (registered in src/cli/main.ts):
// finhub rules list | add | remove | apply | dry-run | suggestions. They call
// the same service as /api/v1/ledgers/{id}/rules (docs/rules.md).
import type { Actor } from '../../auth/actor.ts';
import type { Container } from '../../app/container.ts';
import { toDecimalString, type Minor } from '../../money/money.ts';
import type { CurrencyCode } from '../../money/currencies.ts';
import type { RowReport, RunSummary } from '../../rules/history.ts';
import type { RuleView } from '../../rules/rules.service.ts';
import type { ActionInput } from '../../rules/validate.ts';
import { AppError } from '../../shared/app-error.ts';
import { isUuid } from '../../shared/ids.ts';
import { requireString, UsageError, type Command, type CommandContext } from '../context.ts';
import { actorFor, resolveLedger } from '../ledger-lookup.ts';

async function context(ctx: CommandContext, values: Record<string, unknown>) {
  const c = await ctx.container();
  const ledger = await resolveLedger(c, requireString(values, 'ledger'));
  return { c, ledger, actor: await actorFor(c, ledger.id, values.email as string | undefined) };
}

/** Shows where a query error points, under the query, before the error line. */
async function withQueryPointer<T>(ctx: CommandContext, query: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'QUERY_INVALID') throw e;
    const pos = (e.details?.position as { offset?: number } | undefined)?.offset;
    if (pos !== undefined && query.length <= 200) {
      ctx.io.err(`  ${query}`);
      ctx.io.err(`  ${' '.repeat(pos)}^`);
    }
    throw new AppError('QUERY_INVALID', e.message, { details: e.details });
  }
}

const common = {
  ledger: { type: 'string' as const, description: 'ledger id or name' },
  email: { type: 'string' as const, description: 'act as this ledger member (default: the ledger owner)' },
  json: { type: 'boolean' as const, description: 'machine-readable output' },
};

function describeAction(a: RuleView['actions'][number]): string {
  switch (a.type) {
    case 'set_category':
      return `category → ${a.category_name ?? '(deleted category)'}`;
    case 'rename_payee':
      return `payee → ${a.payee}`;
    case 'add_tags':
      return `tags + ${a.tags.map((x) => `#${x}`).join(' ')}`;
    case 'set_notes':
      return `notes ${a.mode === 'append' ? '+=' : '→'} "${a.notes}"`;
    case 'mark_cleared':
      return 'mark cleared';
    case 'link_transfer':
      return `link transfer (within ${a.within_days} days${a.account_name ? `, with ${a.account_name}` : ''})`;
  }
}

const ruleLine = (r: RuleView) => `${r.stage.padEnd(7)} ${String(r.position).padStart(5)}  ${r.enabled ? ' ' : '-'} ${r.name}  when ${r.condition ? `"${r.condition}"` : '(always)'}: ${r.actions.map(describeAction).join('; ')}`;

const rulesList: Command = {
  name: 'rules list',
  summary: 'List a ledger\'s rules in the order they run (docs/rules.md)',
  usage: 'finhub rules list --ledger LEDGER [--json]',
  needsDb: true,
  options: common,
  async run(ctx, values) {
    const { c, ledger, actor } = await context(ctx, values);
    const rules = await c.rules.list(actor, ledger.id);
    if (values.json) for (const r of rules) ctx.io.out(JSON.stringify(r));
    else {
      for (const r of rules) ctx.io.out(ruleLine(r));
      ctx.io.out(rules.length === 0 ? 'no rules' : `${rules.length} rule${rules.length === 1 ? '' : 's'} ("-": disabled)`);
    }
    return 0;
  },
};

const rulesAdd: Command = {
  name: 'rules add',
  summary: 'Add a rule: a condition (query language) and actions',
  usage: 'finhub rules add --ledger LEDGER --name NAME [--when "QUERY"] [--stage pre|default|post] [--position N] [--disabled] ACTIONS…   e.g. finhub rules add --ledger Home --name Coffee --when "payee:starbucks" --set-category "Eating out" --add-tag coffee',
  needsDb: true,
  options: {
    ...common,
    name: { type: 'string', description: 'rule name (unique in the ledger)' },
    when: { type: 'string', description: 'the condition, query-language text; leave out to match every transaction' },
    stage: { type: 'string', description: 'pre, default (default) or post' },
    position: { type: 'string', description: 'order within the stage (default: after the last)' },
    disabled: { type: 'boolean', description: 'create it disabled (try it with rules dry-run --rule NAME first)' },
    'set-category': { type: 'string', description: 'action: set the category (by name)' },
    'rename-payee': { type: 'string', description: 'action: rename the payee (an existing payee of that name is reused)' },
    'add-tag': { type: 'string', multiple: true, description: 'action: add a tag (repeatable)' },
    'set-notes': { type: 'string', description: 'action: replace the notes' },
    'append-notes': { type: 'string', description: 'action: add to the notes unless already there' },
    'mark-cleared': { type: 'boolean', description: 'action: mark uncleared transactions cleared' },
    'link-transfer': { type: 'boolean', description: 'action: link with the opposite transaction in another account' },
    'link-account': { type: 'string', description: 'with --link-transfer: only that account (name or id)' },
    'within-days': { type: 'string', description: 'with --link-transfer: most days apart (0-10, default 3)' },
  },
  async run(ctx, values) {
    const name = requireString(values, 'name');
    const actions: ActionInput[] = [];
    if (typeof values['set-category'] === 'string') actions.push({ type: 'set_category', category: values['set-category'] });
    if (typeof values['rename-payee'] === 'string') actions.push({ type: 'rename_payee', payee: values['rename-payee'] });
    const tags = values['add-tag'] as string[] | undefined;
    if (tags?.length) actions.push({ type: 'add_tags', tags });
    if (typeof values['set-notes'] === 'string' && typeof values['append-notes'] === 'string') throw new UsageError('give --set-notes or --append-notes, not both');
    if (typeof values['set-notes'] === 'string') actions.push({ type: 'set_notes', notes: values['set-notes'], mode: 'replace' });
    if (typeof values['append-notes'] === 'string') actions.push({ type: 'set_notes', notes: values['append-notes'], mode: 'append' });
    if (values['mark-cleared']) actions.push({ type: 'mark_cleared' });
    if (values['link-transfer']) {
      const days = values['within-days'] === undefined ? undefined : Number(values['within-days']);
      const acct = values['link-account'] as string | undefined;
      actions.push({ type: 'link_transfer', within_days: days, ...(acct === undefined ? {} : isUuid(acct) ? { account_id: acct } : { account: acct }) });
    } else if (values['link-account'] !== undefined || values['within-days'] !== undefined) throw new UsageError('--link-account and --within-days go with --link-transfer');
    if (actions.length === 0) throw new UsageError('give at least one action: --set-category, --rename-payee, --add-tag, --set-notes, --append-notes, --mark-cleared or --link-transfer');
    const position = values.position === undefined ? undefined : Number(values.position);
    if (position !== undefined && !Number.isInteger(position)) throw new UsageError('--position must be a whole number');
    const { c, ledger, actor } = await context(ctx, values);
    const condition = (values.when as string | undefined) ?? '';
    const r = await withQueryPointer(ctx, condition, () =>
      c.rules.create(actor, ledger.id, { name, condition, stage: (values.stage as string | undefined) ?? 'default', position, enabled: !values.disabled, actions }));
    if (values.json) ctx.io.out(JSON.stringify(r));
    else ctx.io.out(`added rule ${r.id}\n${ruleLine(r)}`);
    return 0;
  },
};

const rulesRemove: Command = {
  name: 'rules remove',
  summary: 'Delete a rule (by id or name)',
  usage: 'finhub rules remove --ledger LEDGER RULE',
  needsDb: true,
  options: { ledger: common.ledger, email: common.email },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one RULE (its id or name)');
    const { c, ledger, actor } = await context(ctx, values);
    const r = await c.rules.resolve(actor, ledger.id, positionals[0]!);
    await c.rules.remove(actor, ledger.id, r.id);
    ctx.io.out(`removed rule "${r.name}" (${r.id})`);
    return 0;
  },
};

const runOptions = {
  ...common,
  query: { type: 'string' as const, description: 'only transactions matching this query' },
  from: { type: 'string' as const, description: 'only transactions on or after this date (YYYY-MM-DD)' },
  to: { type: 'string' as const, description: 'only transactions on or before this date' },
  rule: { type: 'string' as const, multiple: true, description: 'run only this rule, by id or name, enabled or not (repeatable)' },
};

async function runInput(c: Container, actor: Actor, ledgerId: string, values: Record<string, unknown>) {
  const refs = values.rule as string[] | undefined;
  const ruleIds = refs?.length ? await Promise.all(refs.map(async (ref) => (await c.rules.resolve(actor, ledgerId, ref)).id)) : undefined;
  return { query: values.query as string | undefined, from: values.from as string | undefined, to: values.to as string | undefined, ruleIds };
}

function printSummary(ctx: CommandContext, s: RunSummary, verb: string) {
  ctx.io.out(`${s.scanned} transaction${s.scanned === 1 ? '' : 's'} scanned, ${s.matched} matched, ${s.changed} ${verb}, ${s.links} transfer link${s.links === 1 ? '' : 's'}, ${s.conflicts} with conflicts, ${s.unsettled} unsettled`);
  for (const r of s.rules) ctx.io.out(`  ${r.name}: matched ${r.matched}, ${verb} ${r.changed}`);
  for (const b of s.broken_rules) ctx.io.out(`  skipped "${b.name}": ${b.message}`);
}

const rulesApply: Command = {
  name: 'rules apply',
  summary: 'Apply the rules to existing transactions (see rules dry-run first)',
  usage: 'finhub rules apply --ledger LEDGER [--query "QUERY"] [--from DATE] [--to DATE] [--rule RULE]…',
  needsDb: true,
  options: runOptions,
  async run(ctx, values) {
    const { c, ledger, actor } = await context(ctx, values);
    const input = await runInput(c, actor, ledger.id, values);
    const s = await withQueryPointer(ctx, input.query ?? '', () => c.rules.apply(actor, ledger.id, input));
    if (values.json) ctx.io.out(JSON.stringify(s));
    else printSummary(ctx, s, 'changed');
    return 0;
  },
};

const show = (v: unknown): string => {
  if (v === null || v === undefined) return '(none)';
  if (Array.isArray(v)) return v.length ? v.map((x) => `#${x}`).join(' ') : '(none)';
  if (typeof v === 'object') return String((v as { name?: string }).name ?? JSON.stringify(v));
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
};

function printReport(ctx: CommandContext, r: RowReport) {
  const amount = toDecimalString(BigInt(r.amount_minor) as Minor, r.currency as CurrencyCode);
  ctx.io.out(`${r.posted_on}  ${amount.padStart(12)} ${r.currency}  ${(r.payee_name ?? '-').padEnd(24)} ${r.account_name}  [${r.transaction_id}]`);
  if (r.matched_rules.length) ctx.io.out(`    rules: ${r.matched_rules.map((m) => m.name).join(', ')}`);
  for (const ch of r.changes) ctx.io.out(`    ${ch.field}: ${ch.field === 'transfer' ? 'linked with' : `${show(ch.before)} →`} ${ch.field === 'transfer' ? String(ch.after) : show(ch.after)}`);
  for (const cf of r.conflicts) ctx.io.out(`    CONFLICT ${cf.field}: ${cf.rules.map((x) => `"${x.name}" sets ${x.value ?? '(none)'}`).join(', ')} (the last one wins)`);
  if (r.unsettled) ctx.io.out('    UNSETTLED: the rules undo each other on this transaction; it is left unchanged');
}

const rulesDryRun: Command = {
  name: 'rules dry-run',
  summary: 'Show what applying the rules would change, per transaction (writes nothing)',
  usage: 'finhub rules dry-run --ledger LEDGER [--query "QUERY"] [--from DATE] [--to DATE] [--rule RULE]… [--limit N] [--json]',
  needsDb: true,
  options: { ...runOptions, limit: { type: 'string', description: 'most transactions to list, newest first (default 50, at most 1000)' } },
  async run(ctx, values) {
    const limit = Number((values.limit as string | undefined) ?? '50');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
    const { c, ledger, actor } = await context(ctx, values);
    const input = await runInput(c, actor, ledger.id, values);
    const res = await withQueryPointer(ctx, input.query ?? '', () => c.rules.dryRun(actor, ledger.id, { ...input, limit }));
    if (values.json) {
      ctx.io.out(JSON.stringify(res));
      return 0;
    }
    for (const r of res.items) printReport(ctx, r);
    if (res.next_cursor) ctx.io.out(`(more transactions would change; raise --limit to see them)`);
    printSummary(ctx, res.summary, 'would change');
    return 0;
  },
};

const rulesSuggestions: Command = {
  name: 'rules suggestions',
  summary: 'Rules suggested by repeated manual recategorizations; accept or dismiss one',
  usage: 'finhub rules suggestions --ledger LEDGER [--min-count N] [--accept N | --dismiss N] [--json]   (N: the number shown in the list)',
  needsDb: true,
  options: {
    ...common,
    'min-count': { type: 'string', description: 'manual recategorizations needed (default 3)' },
    accept: { type: 'string', description: 'create the rule of suggestion N' },
    dismiss: { type: 'string', description: 'stop suggesting N' },
  },
  async run(ctx, values) {
    const minCount = values['min-count'] === undefined ? undefined : Number(values['min-count']);
    if (values.accept !== undefined && values.dismiss !== undefined) throw new UsageError('give --accept or --dismiss, not both');
    const { c, ledger, actor } = await context(ctx, values);
    const list = await c.rules.suggestions(actor, ledger.id, { minCount });
    const pick = (v: unknown) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > list.length) throw new UsageError(`there ${list.length === 1 ? 'is 1 suggestion' : `are ${list.length} suggestions`}; give a number from the list`);
      return list[n - 1]!;
    };
    if (values.accept !== undefined) {
      const s = pick(values.accept);
      const r = await c.rules.acceptSuggestion(actor, ledger.id, { payeeId: s.payee_id, categoryId: s.category_id });
      ctx.io.out(values.json ? JSON.stringify(r) : `added rule ${r.id}\n${ruleLine(r)}`);
      return 0;
    }
    if (values.dismiss !== undefined) {
      const s = pick(values.dismiss);
      await c.rules.dismissSuggestion(actor, ledger.id, { payeeId: s.payee_id, categoryId: s.category_id });
      ctx.io.out(`dismissed: ${s.rule.name}`);
      return 0;
    }
    if (values.json) {
      for (const s of list) ctx.io.out(JSON.stringify(s));
      return 0;
    }
    list.forEach((s, i) => ctx.io.out(`${String(i + 1).padStart(3)}. ${s.rule.name}  (recategorized by hand ${s.count} times; rule: when "${s.rule.condition}" set category ${s.category_name})`));
    ctx.io.out(list.length === 0 ? 'no suggestions' : 'accept one with --accept N, or --dismiss N');
    return 0;
  },
};

export const RULES_COMMANDS: Command[] = [rulesList, rulesAdd, rulesRemove, rulesApply, rulesDryRun, rulesSuggestions];
