// A budget for the demo household's last three months, so that budget vs
// actual shows something on `finhub demo`: each expense category gets its
// average monthly spending over the twelve months before (base-currency rows,
// rounded up to whole units), and "Restaurants" runs in spending-limit mode.
import type { Actor } from '../auth/actor.ts';
import type { DemoHousehold } from '../demo/demo-data.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import type { Executor } from '../shared/executor.ts';
import { previousMonth } from './budget-math.ts';

export async function loadDemoBudget(tx: Executor, actor: Actor, ledgerId: string, data: DemoHousehold, base: string): Promise<number> {
  const last = data.transactions.reduce((m, t) => (t.postedOn > m ? t.postedOn : m), '').slice(0, 7);
  if (!last) return 0;
  const months = [previousMonth(previousMonth(last)), previousMonth(last), last];
  const windowStart = (() => {
    let m = months[0]!;
    for (let i = 0; i < 12; i++) m = previousMonth(m);
    return m;
  })();
  const baseAccounts = new Set(data.accounts.filter((a) => a.currency === base && ['checking', 'savings', 'credit_card', 'cash'].includes(a.type)).map((a) => a.key));
  const spent = new Map<string, bigint>();
  for (const t of data.transactions) {
    const m = t.postedOn.slice(0, 7);
    if (m < windowStart || m >= months[0]! || !baseAccounts.has(t.accountKey) || t.transfer) continue;
    for (const p of t.splits ?? [{ amountMinor: t.amountMinor, category: t.category }]) {
      if (p.category && p.amountMinor < 0n) spent.set(p.category, (spent.get(p.category) ?? 0n) - p.amountMinor);
    }
  }
  const cats = await tx
    .selectFrom('categories as c')
    .innerJoin('category_groups as g', 'g.id', 'c.group_id')
    .select(['c.id', 'c.name'])
    .where('c.ledger_id', '=', ledgerId)
    .where('g.is_income', '=', false)
    .execute();
  const rows = [];
  for (const c of cats) {
    const total = spent.get(c.name);
    if (!total) continue;
    const monthly = ((total / 12n + 99n) / 100n) * 100n; // whole units, rounded up
    for (const month of months) rows.push({ ledger_id: ledgerId, category_id: c.id, month: `${month}-01`, assigned_minor: monthly, currency: base, updated_by: actor.userId });
  }
  if (rows.length) await tx.insertInto('budget_assignments').values(rows).execute();
  const restaurants = cats.find((c) => c.name === 'Restaurants');
  if (restaurants) {
    const limit = (((spent.get('Restaurants') ?? 0n) / 12n / 1000n) * 1000n) || 20_000n;
    await tx.insertInto('budget_category_settings').values({ ledger_id: ledgerId, category_id: restaurants.id, mode: 'limit', limit_minor: limit, currency: base, updated_by: actor.userId }).execute();
    // The limit applies on its own in limit mode; drop the envelope amounts set above.
    await tx.deleteFrom('budget_assignments').where('ledger_id', '=', ledgerId).where('category_id', '=', restaurants.id).execute();
  }
  await recordAudit(tx, actor, { action: 'budget.assign', entityType: 'budget', ledgerId, details: { source: 'demo', months, assignments: rows.length } });
  return rows.length;
}
