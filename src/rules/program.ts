// A ledger's rules made ready to run: each condition parsed and compiled once
// into a JavaScript predicate, and the names the rules need (categories,
// accounts, payees) loaded in bulk.
import { sql } from 'kysely';
import type { CurrencyCode } from '../money/currencies.ts';
import { compileEvaluator } from '../query/evaluate.ts';
import { QuerySyntaxError } from '../query/errors.ts';
import { parseQuery } from '../query/parser.ts';
import { pgLower } from '../query/pg-text.ts';
import { ledgerCurrencies } from '../query/prepare.ts';
import type { Executor } from '../shared/executor.ts';
import { STAGE_RANK } from './actions.ts';
import type { Catalog, CompiledRule } from './engine.ts';
import { listRuleRecords, type RuleRecord } from './rules.repository.ts';

export interface Program {
  ledgerId: string;
  rules: CompiledRule[];
  /** Rules whose stored condition no longer compiles (skipped), with the reason. */
  broken: { id: string; name: string; message: string }[];
  catalog: Catalog;
  accounts: Map<string, { name: string; currency: string }>;
  categories: Map<string, string>;
  currencies: CurrencyCode[];
  now: Date;
}

export function ruleOrder(a: RuleRecord, b: RuleRecord): number {
  return STAGE_RANK[a.stage] - STAGE_RANK[b.stage] || a.position - b.position || a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function compileRules(records: readonly RuleRecord[], currencies: readonly CurrencyCode[], now: Date): Pick<Program, 'rules' | 'broken'> {
  const rules: CompiledRule[] = [];
  const broken: Program['broken'] = [];
  for (const r of [...records].sort(ruleOrder)) {
    try {
      rules.push({ id: r.id, name: r.name, stage: r.stage, predicate: compileEvaluator(parseQuery(r.condition), { currencies, now }), actions: r.actions });
    } catch (e) {
      if (!(e instanceof QuerySyntaxError)) throw e;
      broken.push({ id: r.id, name: r.name, message: e.message });
    }
  }
  return { rules, broken };
}

/**
 * Loads the program for a ledger: its enabled rules (or exactly `ruleIds`,
 * enabled or not), categories, accounts and payees.
 */
export async function loadProgram(ex: Executor, ledgerId: string, now: Date, ruleIds?: readonly string[]): Promise<Program> {
  const records = await listRuleRecords(ex, ledgerId, ruleIds ? { ids: ruleIds } : { enabledOnly: true });
  const empty: Catalog = { categoryName: () => undefined, payeeName: (n) => n };
  if (records.length === 0) return { ledgerId, rules: [], broken: [], catalog: empty, accounts: new Map(), categories: new Map(), currencies: [], now };
  // Payees: only the rename targets (a transaction's own payee name comes with the transaction).
  const targets = [...new Set(records.flatMap((r) => r.actions.flatMap((a) => (a.type === 'rename_payee' ? [a.payee] : []))))];
  const [categories, accounts, payees, currencies] = await Promise.all([
    ex.selectFrom('categories').select(['id', 'name']).where('ledger_id', '=', ledgerId).execute(),
    ex.selectFrom('accounts').select(['id', 'name', 'currency']).where('ledger_id', '=', ledgerId).execute(),
    targets.length === 0
      ? Promise.resolve([])
      : ex.selectFrom('payees').select('name').where('ledger_id', '=', ledgerId).where(sql<boolean>`lower(name) in (select lower(x) from unnest(${targets}::text[]) as u(x))`).execute(),
    ledgerCurrencies(ex, ledgerId),
  ]);
  const catMap = new Map(categories.map((c) => [c.id, c.name]));
  const payeeByKey = new Map(payees.map((p) => [pgLower(p.name), p.name]));
  const catalog: Catalog = {
    categoryName: (id) => catMap.get(id),
    payeeName: (name) => payeeByKey.get(pgLower(name)) ?? name,
  };
  return {
    ledgerId,
    ...compileRules(records, currencies, now),
    catalog,
    accounts: new Map(accounts.map((a) => [a.id, { name: a.name, currency: a.currency }])),
    categories: catMap,
    currencies,
    now,
  };
}
