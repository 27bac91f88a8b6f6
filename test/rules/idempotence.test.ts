// Random ledgers, random rule sets (all actions, all stages, random
// conditions from the grammar), on both engines:
//   - the dry run predicts exactly what apply then writes, field by field;
//   - applying a second time changes nothing (and a dry run then finds nothing to do);
//   - the same holds when apply is limited to a query or a date range.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { createPrng } from '../../src/demo/prng.ts';
import { printQuery } from '../../src/query/printer.ts';
import { runOverHistory, type RowReport } from '../../src/rules/history.ts';
import { loadProgram } from '../../src/rules/program.ts';
import { loadRows, markRulesWriting } from '../../src/rules/rows.ts';
import type { ActionInput } from '../../src/rules/validate.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { queryArb, type Pools } from '../query/arbitrary.ts';
import { buildRulesLedger, NOTES, PAYEES, TAGS, type Fixture } from './fixture.ts';

let t: TestApp;
let actor: Actor;

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
});
afterAll(async () => t?.close());

const pools: Pools = {
  payee: ['amazon', 'ǆ', 'σασ', 'store', 'kiosk', 'juice', 'new name', 'Renamed'],
  account: ['visa', 'checking', 'ǆ', 'wallet', 'box'],
  category: ['Groceries', 'eating out', 'σπίτι', 'none', 'Fun_100%'],
  tag: ['reimbursable', 'work', 'σασ', 'auto', 'moved'],
  notes: ['lunch', 'σοφια', 'auto-note', '50%', 'done'],
  regex: ['^lunch', 'σ', '[0-9]{4}', 'note$', 'ǅ'],
  text: ['amazon', 'lunch', 'renamed', 'σασ', 'kiosk'],
};

type Snapshot = Map<string, { payee: string | null; category_id: string | null; notes: string | null; tags: string[]; cleared_state: string; transfer_peer_id: string | null; posted_on: string }>;

async function snapshot(ledgerId: string): Promise<Snapshot> {
  const rows = await t.c.db.kysely
    .selectFrom('transactions as t')
    .leftJoin('payees as p', 'p.id', 't.payee_id')
    .select(['t.id', 'p.name as payee', 't.category_id', 't.notes', 't.tags', 't.cleared_state', 't.transfer_peer_id', 't.posted_on'])
    .where('t.ledger_id', '=', ledgerId)
    .where('t.parent_id', 'is', null)
    .execute();
  return new Map(rows.map(({ id, ...r }) => [id, r]));
}

async function randomRules(f: Fixture, seed: number): Promise<number> {
  const r = createPrng(seed);
  const conditions = fc.sample(queryArb(pools), { numRuns: 12, seed });
  const n = r.int(3, 9);
  for (let i = 0; i < n; i++) {
    const actions: ActionInput[] = [];
    const kinds = new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(['set_category', 'rename_payee', 'add_tags', 'set_notes', 'mark_cleared', 'link_transfer'] as const)));
    for (const kind of kinds) {
      switch (kind) {
        case 'set_category':
          actions.push({ type: kind, category_id: r.pick(f.categories).id });
          break;
        case 'rename_payee':
          actions.push({ type: kind, payee: r.pick([...PAYEES.map((p) => p.toUpperCase()), 'Renamed', 'renamed', 'New Name']) });
          break;
        case 'add_tags':
          actions.push({ type: kind, tags: [r.pick([...TAGS, 'auto', 'moved'])] });
          break;
        case 'set_notes':
          actions.push({ type: kind, notes: r.pick([...NOTES.slice(0, 6), 'auto-note', 'done']), mode: r.pick(['replace', 'append']) });
          break;
        case 'mark_cleared':
          actions.push({ type: kind });
          break;
        case 'link_transfer':
          actions.push({ type: kind, within_days: r.int(0, 5), account_id: r.chance(300) ? r.pick(f.accounts).id : null });
          break;
      }
    }
    // Sometimes match everything: rules then interact on every row.
    const condition = r.chance(150) ? '' : printQuery(conditions[i % conditions.length]);
    await t.c.rules.create(actor, f.ledgerId, { name: `rule ${i}`, stage: r.pick(['pre', 'default', 'post']), condition, actions });
  }
  // Links: the fixture's "Move Money" halves, and rules that react to the rows becoming transfers.
  await t.c.rules.create(actor, f.ledgerId, { name: 'links', stage: r.pick(['pre', 'default', 'post']), condition: `payee:"move money"${r.chance(500) ? ' -tag:moved' : ''}`, actions: [{ type: 'link_transfer', within_days: r.int(0, 3) }, ...(r.chance(500) ? [{ type: 'set_category', category_id: f.categories[0]!.id }] : [])] });
  if (r.chance(600)) await t.c.rules.create(actor, f.ledgerId, { name: 'transfers', stage: r.pick(['pre', 'default', 'post']), condition: 'is:transfer', actions: [{ type: 'add_tags', tags: ['moved'] }] });
  return n;
}

/** Checks that every row the dry run reports changed ends as it said, and no other row changed. */
function expectPredicted(before: Snapshot, after: Snapshot, reports: RowReport[]) {
  const predicted = new Map(reports.filter((x) => x.changes.length > 0).map((x) => [x.transaction_id, x]));
  const changed = [...after.keys()].filter((id) => JSON.stringify(before.get(id)) !== JSON.stringify(after.get(id)));
  expect(changed.sort()).toEqual([...predicted.keys()].sort());
  for (const [id, rep] of predicted) {
    const now = after.get(id)!;
    for (const c of rep.changes) {
      const want = c.field === 'category' ? ((c.after as { id: string } | null)?.id ?? null) : c.after;
      const got = { payee: now.payee, category: now.category_id, notes: now.notes, tags: now.tags, cleared_state: now.cleared_state, transfer: now.transfer_peer_id, posted_on: now.posted_on }[c.field];
      if (c.field === 'payee') expect(String(got).toLowerCase(), `${id} payee`).toBe(String(want).toLowerCase());
      else expect(got, `${id} ${c.field}`).toEqual(want);
    }
  }
}

describe('rule application', () => {
  it('is predicted exactly by the dry run, and idempotent', async () => {
    let changedSomewhere = 0;
    let linkedSomewhere = 0;
    for (const seed of [101, 102, 103, 104, 105, 106]) {
      const f = await buildRulesLedger(t.c, actor, seed, 70, '2024-03-10');
      await randomRules(f, seed);
      const s0 = await snapshot(f.ledgerId);
      const dry = await t.c.rules.dryRun(actor, f.ledgerId, { limit: 1000 });
      const first = await t.c.rules.apply(actor, f.ledgerId, {});
      const s1 = await snapshot(f.ledgerId);
      expect(first.changed, `seed ${seed}`).toBe(dry.summary.changed);
      expect(first.links).toBe(dry.summary.links);
      expect(first.rules).toEqual(dry.summary.rules);
      expectPredicted(s0, s1, dry.items);
      changedSomewhere += first.changed;
      linkedSomewhere += first.links;

      const second = await t.c.rules.apply(actor, f.ledgerId, {});
      expect(second, `seed ${seed}`).toMatchObject({ changed: 0, links: 0 });
      expect(await snapshot(f.ledgerId)).toEqual(s1);
      const dry2 = await t.c.rules.dryRun(actor, f.ledgerId, { limit: 1000 });
      expect(dry2.items.filter((x) => x.changes.length > 0)).toEqual([]);
    }
    // Not vacuous.
    expect(changedSomewhere).toBeGreaterThan(50);
    expect(linkedSomewhere).toBeGreaterThan(0);
  });

  it('limited to a query or a date range: predicted by the dry run of the same scope, and idempotent', async () => {
    for (const [seed, scope] of [[201, { query: 'account:checking OR payee:amazon' }], [202, { from: '2024-02-01', to: '2024-03-01' }], [203, { query: '-is:transfer', from: '2024-01-15' }]] as const) {
      const f = await buildRulesLedger(t.c, actor, seed, 60, '2024-03-10');
      await randomRules(f, seed);
      const s0 = await snapshot(f.ledgerId);
      const dry = await t.c.rules.dryRun(actor, f.ledgerId, { ...scope, limit: 1000 });
      const first = await t.c.rules.apply(actor, f.ledgerId, scope);
      const s1 = await snapshot(f.ledgerId);
      expectPredicted(s0, s1, dry.items);
      expect(first.changed).toBe(dry.summary.changed);
      const second = await t.c.rules.apply(actor, f.ledgerId, scope);
      expect(second, `seed ${seed}`).toMatchObject({ changed: 0, links: 0 });
      expect(await snapshot(f.ledgerId)).toEqual(s1);
    }
  });

  it('reads the same rows as plain result rows and as one JSON text (the embedded engine reads JSON)', async () => {
    const f = await buildRulesLedger(t.c, actor, 301, 40, '2024-03-10');
    await t.c.rules.create(actor, f.ledgerId, { name: 'any', condition: '', actions: [{ type: 'mark_cleared' }] });
    const k = t.c.db.kysely;
    const program = await loadProgram(k, f.ledgerId, new Date());
    const plain = await loadRows(k, program, {}, undefined, 1000, false);
    expect(plain.length).toBeGreaterThan(40);
    expect(plain.some((r) => r.state.isSplit && r.state.parts.length > 0)).toBe(true);
    expect(plain.some((r) => r.state.tags.length > 0)).toBe(true);
    expect(await loadRows(k, program, {}, undefined, 1000, true)).toEqual(plain);
    expect(await loadRows(k, program, { from: '2024-02-01' }, { d: '2024-02-10', id: '00000000-0000-0000-0000-000000000000' }, 7, true)).toEqual(await loadRows(k, program, { from: '2024-02-01' }, { d: '2024-02-10', id: '00000000-0000-0000-0000-000000000000' }, 7, false));
  });

  it('reads and writes the same in small chunks and batches as in one: writes overlap the next reads, in order', async () => {
    for (const seed of [401, 402]) {
      const f = await buildRulesLedger(t.c, actor, seed, 70, '2024-03-10');
      await randomRules(f, seed);
      const s0 = await snapshot(f.ledgerId);
      const dry = await t.c.rules.dryRun(actor, f.ledgerId, { limit: 1000 });
      // Chunks of 3 to 7 rows and a write batch of 2: many reads with writes in flight between them.
      const first = await t.c.db.kysely.transaction().setIsolationLevel('repeatable read').execute(async (tx) => {
        const program = await loadProgram(tx, f.ledgerId, new Date());
        await markRulesWriting(tx, true);
        return (await runOverHistory(tx, program, {}, { write: true, json: t.c.db.engine === 'pglite', sizes: { first: 3, chunk: 7, writeBatch: 2 } })).summary;
      });
      expect(first.changed, `seed ${seed}`).toBe(dry.summary.changed);
      expect(first.scanned).toBe(dry.summary.scanned);
      expect(first.rules).toEqual(dry.summary.rules);
      expectPredicted(s0, await snapshot(f.ledgerId), dry.items);
      expect(await t.c.rules.apply(actor, f.ledgerId, {}), `seed ${seed}`).toMatchObject({ changed: 0, links: 0 });
    }
  });

  it('a failed write is the error raised, not the aborted-transaction error of the read queued behind it', async () => {
    const f = await buildRulesLedger(t.c, actor, 403, 40, '2024-03-10');
    await t.c.rules.create(actor, f.ledgerId, { name: 'any', condition: '', actions: [{ type: 'add_tags', tags: ['x'] }] });
    const before = await snapshot(f.ledgerId);
    await expect(t.c.db.kysely.transaction().execute(async (tx) => {
      const program = await loadProgram(tx, f.ledgerId, new Date());
      // A category the ledger does not have: the UPDATE fails on the foreign key (23503), the next read then on the aborted transaction (25P02).
      const missing = randomUUID();
      program.rules = [{ id: randomUUID(), name: 'bad', stage: 'default', predicate: () => true, actions: [{ type: 'set_category', category_id: missing }] }];
      program.catalog = { categoryName: () => 'Ghost', payeeName: (n) => n };
      await runOverHistory(tx, program, {}, { write: true, json: t.c.db.engine === 'pglite', sizes: { first: 2, chunk: 2, writeBatch: 1 } });
    })).rejects.toMatchObject({ code: '23503' });
    expect(await snapshot(f.ledgerId)).toEqual(before);
  });
});
