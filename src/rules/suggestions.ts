// Rule suggestions. A database trigger records the last time a user gave a
// transaction with a payee a category (rule_recategorizations; rules' own
// updates are not recorded). When at least `minCount` transactions of one
// payee were put into the same category by hand and still are, a rule
// "payee → category" is suggested — unless the user already accepted or
// dismissed that pair, or the existing rules would already categorize those
// transactions that way if they arrived uncategorized.
import { sql } from 'kysely';
import { printQuery } from '../query/printer.ts';
import type { Executor } from '../shared/executor.ts';
import { runRules } from './engine.ts';
import type { Program } from './program.ts';
import { loadRows } from './rows.ts';

export const DEFAULT_MIN_COUNT = 3;
const SAMPLE = 20;
const MAX_SUGGESTIONS = 50;

export interface Suggestion {
  payee_id: string;
  payee_name: string;
  category_id: string;
  category_name: string;
  /** Transactions of the payee the user put into this category by hand (and that are still there). */
  count: number;
  last_at: Date;
  transaction_ids: string[];
  rule: { name: string; condition: string; actions: [{ type: 'set_category'; category_id: string }] };
}

export const suggestedCondition = (payeeName: string) => printQuery({ kind: 'field', field: 'payee', value: payeeName, span: { offset: 0, length: 0 } });
export const suggestedName = (payeeName: string, categoryName: string) => `${payeeName} → ${categoryName}`.slice(0, 200);

export async function findSuggestions(ex: Executor, program: Program, minCount: number): Promise<Suggestion[]> {
  const found = await sql<{ payee_id: string; payee_name: string; category_id: string; category_name: string; n: string | number; last_at: Date; ids: string[] }>`
    select r.payee_id, p.name as payee_name, r.category_id, c.name as category_name, count(*) as n, max(r.at) as last_at,
           (array_agg(r.transaction_id order by r.at desc))[1:${sql.lit(SAMPLE)}] as ids
      from rule_recategorizations r
      join transactions t on t.id = r.transaction_id and t.category_id = r.category_id and t.payee_id = r.payee_id and t.transfer_peer_id is null
      join payees p on p.id = r.payee_id
      join categories c on c.id = r.category_id
     where r.ledger_id = ${program.ledgerId}::uuid
       and not exists (select 1 from rule_suggestion_decisions d
                        where d.ledger_id = r.ledger_id and d.payee_id = r.payee_id and d.category_id = r.category_id)
     group by r.payee_id, p.name, r.category_id, c.name
    having count(*) >= ${minCount}
     order by count(*) desc, max(r.at) desc, r.payee_id, r.category_id
     limit ${MAX_SUGGESTIONS}`.execute(ex);
  const out: Suggestion[] = [];
  for (const f of found.rows) {
    if (program.rules.length > 0) {
      // Covered: the current rules would give these transactions this category if they came in uncategorized.
      const rows = await loadRows(ex, program, { ids: f.ids }, undefined, SAMPLE);
      const covered = rows.length > 0 && rows.every((r) => {
        const s = { ...r.state, tags: [...r.state.tags], categoryId: null, category: null };
        return runRules(program.rules, program.catalog, s).settled && s.categoryId === f.category_id;
      });
      if (covered) continue;
    }
    out.push({
      payee_id: f.payee_id, payee_name: f.payee_name, category_id: f.category_id, category_name: f.category_name,
      count: Number(f.n), last_at: f.last_at, transaction_ids: f.ids,
      rule: { name: suggestedName(f.payee_name, f.category_name), condition: suggestedCondition(f.payee_name), actions: [{ type: 'set_category', category_id: f.category_id }] },
    });
  }
  return out;
}
