// Rules through the API on a real database (both engines): CRUD and its
// validation, stages and order, every action, dry run with conflicts, apply,
// the import step, new manual transactions, and suggestions.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { statement } from '../imports/flow-helpers.ts';

let t: TestApp;
let h: Record<string, string>;
let actor: Actor;

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  h = u.headers;
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
});
afterAll(async () => t?.close());

interface Books {
  ledgerId: string;
  L: string;
  checking: string;
  savings: string;
  card: string;
  cat: Record<string, string>;
}

async function books(): Promise<Books> {
  const ledger = await t.c.ledgers.create(actor, { name: `rules ${Math.random()}`, baseCurrency: 'USD' });
  const mk = async (name: string, type: string) => (await t.c.accounts.create(actor, ledger.id, { name, type, currency: 'USD' })).id;
  const g = await t.c.categories.createGroup(actor, ledger.id, { name: 'Spending' });
  const cat: Record<string, string> = {};
  for (const n of ['Groceries', 'Eating out', 'Shopping', 'Utilities']) cat[n] = (await t.c.categories.createCategory(actor, ledger.id, { name: n, groupId: g.id })).id;
  return { ledgerId: ledger.id, L: `/api/v1/ledgers/${ledger.id}`, checking: await mk('Checking', 'checking'), savings: await mk('Savings', 'savings'), card: await mk('Visa', 'credit_card'), cat };
}

const req = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => t.req({ method, url, headers: h, ...(payload !== undefined ? { payload: payload as object } : {}) });
const addRule = async (b: Books, rule: Record<string, unknown>) => {
  const r = await req('POST', `${b.L}/rules`, rule);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; name: string; position: number; stage: string };
};
const tx = (b: Books, body: Record<string, unknown>) => t.c.transactions.create(actor, b.ledgerId, body as never);
const row = (id: string) =>
  t.c.db.kysely.selectFrom('transactions as t').leftJoin('payees as p', 'p.id', 't.payee_id').select(['t.id', 'p.name as payee', 't.payee_id', 't.category_id', 't.notes', 't.tags', 't.cleared_state', 't.transfer_peer_id', 't.posted_on']).where('t.id', '=', id).executeTakeFirstOrThrow();

describe('CRUD and validation', () => {
  let b: Books;
  beforeAll(async () => {
    b = await books();
  });

  it('creates, lists in run order, reads, changes and deletes rules', async () => {
    const post = await addRule(b, { name: 'Cleanup', stage: 'post', condition: 'is:uncleared', actions: [{ type: 'mark_cleared' }] });
    const first = await addRule(b, { name: 'Groceries', condition: 'payee:"whole foods" OR payee:aldi', actions: [{ type: 'set_category', category: 'groceries' }, { type: 'add_tags', tags: ['food'] }] });
    const pre = await addRule(b, { name: 'Amazon names', stage: 'pre', condition: 'payee:amzn', actions: [{ type: 'rename_payee', payee: 'Amazon' }] });
    const second = await addRule(b, { name: 'Later default', condition: 'notes:lunch', actions: [{ type: 'set_category', category_id: b.cat['Eating out'] }] });
    expect(second.position).toBeGreaterThan(first.position);
    const list = await req('GET', `${b.L}/rules`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { name: string }) => r.name)).toEqual(['Amazon names', 'Groceries', 'Later default', 'Cleanup']);
    const got = await req('GET', `${b.L}/rules/${first.id}`);
    expect(got.body.actions).toEqual([{ type: 'set_category', category_id: b.cat.Groceries, category_name: 'Groceries' }, { type: 'add_tags', tags: ['food'] }]);
    const moved = await req('PATCH', `${b.L}/rules/${second.id}`, { position: -5, enabled: false });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ position: -5, enabled: false, condition: 'notes:lunch' });
    expect((await req('GET', `${b.L}/rules`)).body.items.map((r: { name: string }) => r.name)).toEqual(['Amazon names', 'Later default', 'Groceries', 'Cleanup']);
    expect((await req('DELETE', `${b.L}/rules/${pre.id}`)).status).toBe(204);
    expect((await req('GET', `${b.L}/rules/${pre.id}`)).status).toBe(404);
    expect((await req('DELETE', `${b.L}/rules/${post.id}`)).status).toBe(204);
  });

  it.each([
    [{ name: 'x', condition: 'paye:amazon', actions: [{ type: 'mark_cleared' }] }, 'QUERY_INVALID', '/body/condition'],
    [{ name: 'x', condition: 'notes:~"\\\\w+"', actions: [{ type: 'mark_cleared' }] }, 'QUERY_INVALID', '/body/condition'],
    [{ name: 'x', condition: 'notes:~"(x"', actions: [{ type: 'mark_cleared' }] }, 'QUERY_INVALID', '/body/condition'],
    [{ name: 'x', condition: '', actions: [{ type: 'set_category', category_id: '00000000-0000-4000-8000-000000000000' }] }, 'VALIDATION_FAILED', '/body/actions/0/category_id'],
    [{ name: 'x', condition: '', actions: [{ type: 'set_category', category: 'Nope' }] }, 'VALIDATION_FAILED', '/body/actions/0/category'],
    [{ name: 'x', condition: '', actions: [{ type: 'mark_cleared' }, { type: 'add_tags', tags: ['has space'] }] }, 'VALIDATION_FAILED', '/body/actions/1/tags/0'],
    [{ name: 'x', condition: '', actions: [{ type: 'link_transfer', within_days: 30 }] }, 'VALIDATION_FAILED', '/body/actions/0/within_days'],
    [{ name: 'x', condition: '', actions: [{ type: 'rename_payee', payee: '  ' }] }, 'VALIDATION_FAILED', '/body/actions/0/payee'],
    [{ name: 'x', condition: '', actions: [{ type: 'set_notes', notes: 'a' }, { type: 'set_notes', notes: 'b' }] }, 'VALIDATION_FAILED', '/body/actions'],
    [{ name: 'x', condition: '', actions: [{ type: 'explode' }] }, 'VALIDATION_FAILED', '/body/actions/0/type'],
    [{ name: 'x', condition: '', actions: [] }, 'VALIDATION_FAILED', '/body/actions'],
    [{ name: ' ', condition: '', actions: [{ type: 'mark_cleared' }] }, 'VALIDATION_FAILED', '/body/name'],
    [{ name: 'x', stage: 'middle', condition: '', actions: [{ type: 'mark_cleared' }] }, 'VALIDATION_FAILED', '/body/stage'],
    [{ name: 'x', condition: '', actions: [{ type: 'mark_cleared' }], extra: 1 }, 'VALIDATION_FAILED', '/body/extra'],
  ])('%j is a 400 naming the field', async (body, code, field) => {
    const r = await req('POST', `${b.L}/rules`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body.code).toBe(code);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    if (code === 'QUERY_INVALID') expect(r.body.position).toMatchObject({ offset: expect.any(Number), column: expect.any(Number) });
  });

  it('a bad condition points at its position', async () => {
    const r = await req('POST', `${b.L}/rules`, { name: 'x', condition: 'payee:x amount:>', actions: [{ type: 'mark_cleared' }] });
    expect(r.body.position).toMatchObject({ offset: 16, column: 17 });
  });

  it('names are unique per ledger, case-insensitively', async () => {
    await addRule(b, { name: 'Unique', condition: '', actions: [{ type: 'mark_cleared' }] });
    const r = await req('POST', `${b.L}/rules`, { name: 'UNIQUE', condition: '', actions: [{ type: 'mark_cleared' }] });
    expect(r.status).toBe(409);
    expect(r.body.errors).toEqual([{ field: '/body/name', message: 'already used by another rule' }]);
  });
});

describe('apply and dry run', () => {
  it('runs stages in order, later rules see earlier changes, and every action works', async () => {
    const b = await books();
    await t.c.payees.create(actor, b.ledgerId, { name: 'Amazon' });
    const a1 = await tx(b, { accountId: b.card, postedOn: '2024-05-02', amountMinor: -2599, payeeName: 'AMZN Mktp US*1X2', notes: 'book' });
    const a2 = await tx(b, { accountId: b.card, postedOn: '2024-05-03', amountMinor: -899, payeeName: 'AMZN Digital' });
    const food = await tx(b, { accountId: b.checking, postedOn: '2024-05-04', amountMinor: -4512, payeeName: 'Whole Foods' });
    const other = await tx(b, { accountId: b.checking, postedOn: '2024-05-05', amountMinor: -100, payeeName: 'Kiosk', clearedState: 'reconciled' });
    // A transfer in two halves, a day apart, and a decoy of another amount.
    const out = await tx(b, { accountId: b.checking, postedOn: '2024-05-10', amountMinor: -50000, payeeName: 'Transfer to savings' });
    const inn = await tx(b, { accountId: b.savings, postedOn: '2024-05-11', amountMinor: 50000, payeeName: 'Transfer from checking' });
    const decoy = await tx(b, { accountId: b.savings, postedOn: '2024-05-10', amountMinor: 40000, payeeName: 'Transfer from checking' });

    await addRule(b, { name: 'Shopping for Amazon', condition: 'payee:amazon', actions: [{ type: 'set_category', category: 'Shopping' }, { type: 'add_tags', tags: ['online'] }] });
    await addRule(b, { name: 'Amazon payee', stage: 'pre', condition: 'payee:amzn', actions: [{ type: 'rename_payee', payee: 'amazon' }] });
    await addRule(b, { name: 'Food', condition: 'payee:"whole foods"', actions: [{ type: 'set_category', category: 'Groceries' }, { type: 'set_notes', notes: 'weekly shop', mode: 'append' }] });
    await addRule(b, { name: 'Clear card', stage: 'post', condition: 'account:visa category:shopping', actions: [{ type: 'mark_cleared' }] });
    await addRule(b, { name: 'Savings transfers', condition: 'payee:transfer account:checking', actions: [{ type: 'link_transfer', account: 'Savings', within_days: 2 }] });

    const dry = await req('POST', `${b.L}/rules/dry-run`, {});
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    const byId = new Map(dry.body.items.map((i: { transaction_id: string }) => [i.transaction_id, i]));
    expect(byId.get(a1.id)).toMatchObject({
      matched_rules: [{ name: 'Amazon payee' }, { name: 'Shopping for Amazon' }, { name: 'Clear card' }],
      changes: [
        { field: 'payee', before: 'AMZN Mktp US*1X2', after: 'Amazon' },
        { field: 'category', before: null, after: { id: b.cat.Shopping, name: 'Shopping' } },
        { field: 'tags', before: [], after: ['online'] },
        { field: 'cleared_state', before: 'uncleared', after: 'cleared' },
      ],
      conflicts: [],
    });
    expect(byId.get(out.id)).toMatchObject({ changes: [{ field: 'transfer', after: inn.id }], linked_to: null });
    expect(byId.get(inn.id)).toMatchObject({ changes: [{ field: 'transfer', after: out.id }, { field: 'posted_on', before: '2024-05-11', after: '2024-05-10' }], linked_to: out.id });
    expect(byId.has(other.id)).toBe(false);
    expect(byId.has(decoy.id)).toBe(false);
    expect(dry.body.summary).toMatchObject({ changed: 5, links: 1, conflicts: 0 });
    // Nothing was written by the dry run.
    expect((await row(a1.id)).category_id).toBeNull();

    const applied = await req('POST', `${b.L}/rules/apply`, {});
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body).toMatchObject({ changed: 5, links: 1 });
    const amazonId = (await t.c.db.kysely.selectFrom('payees').select('id').where('ledger_id', '=', b.ledgerId).where('name', '=', 'Amazon').executeTakeFirstOrThrow()).id;
    expect(await row(a1.id)).toMatchObject({ payee: 'Amazon', payee_id: amazonId, category_id: b.cat.Shopping, tags: ['online'], cleared_state: 'cleared', notes: 'book' });
    // Renaming to an existing payee merges: both rows now point at the one "Amazon".
    expect(await row(a2.id)).toMatchObject({ payee_id: amazonId, category_id: b.cat.Shopping });
    expect(await row(food.id)).toMatchObject({ category_id: b.cat.Groceries, notes: 'weekly shop' });
    expect(await row(out.id)).toMatchObject({ transfer_peer_id: inn.id, posted_on: '2024-05-10', category_id: null });
    expect(await row(inn.id)).toMatchObject({ transfer_peer_id: out.id, posted_on: '2024-05-10' });
    expect(await row(decoy.id)).toMatchObject({ transfer_peer_id: null });
    // Account balances follow (statement triggers): the search text too.
    const hit = await req('GET', `${b.L}/transactions?q=${encodeURIComponent('amazon is:cleared')}`);
    expect(hit.body.items.map((x: { id: string }) => x.id).sort()).toEqual([a1.id, a2.id].sort());

    // Idempotent: nothing left to do.
    const again = await req('POST', `${b.L}/rules/apply`, {});
    expect(again.body).toMatchObject({ changed: 0, links: 0 });
    expect((await req('POST', `${b.L}/rules/dry-run`, {})).body.items).toEqual([]);
  });

  it('reports conflicts: two rules setting different categories (the later wins) or payees', async () => {
    const b = await books();
    const x = await tx(b, { accountId: b.checking, postedOn: '2024-06-01', amountMinor: -1200, payeeName: 'Corner Deli', notes: 'lunch' });
    const r1 = await addRule(b, { name: 'Deli is groceries', condition: 'payee:deli', actions: [{ type: 'set_category', category: 'Groceries' }, { type: 'rename_payee', payee: 'Deli' }] });
    const r2 = await addRule(b, { name: 'Lunch is eating out', condition: 'notes:lunch', actions: [{ type: 'set_category', category: 'Eating out' }, { type: 'rename_payee', payee: 'DELI' }] });
    const dry = await req('POST', `${b.L}/rules/dry-run`, {});
    const item = dry.body.items.find((i: { transaction_id: string }) => i.transaction_id === x.id);
    // Payee names that resolve to one payee (any case) are not a conflict.
    expect(item.conflicts).toEqual([{ field: 'category', rules: [{ id: r1.id, name: r1.name, value: 'Groceries' }, { id: r2.id, name: r2.name, value: 'Eating out' }] }]);
    expect(item.changes.find((c: { field: string }) => c.field === 'category').after).toEqual({ id: b.cat['Eating out'], name: 'Eating out' });
    expect(dry.body.summary.conflicts).toBe(1);
    const only = await req('POST', `${b.L}/rules/dry-run`, { rule_ids: [r1.id] });
    expect(only.body.items[0].conflicts).toEqual([]);
    expect(only.body.items[0].changes.find((c: { field: string }) => c.field === 'category').after.name).toBe('Groceries');
  });

  it('limits apply to a query and a date range, and pages dry-run results', async () => {
    const b = await books();
    const ids: string[] = [];
    for (let i = 1; i <= 9; i++) ids.push((await tx(b, { accountId: b.checking, postedOn: `2024-07-0${i}`, amountMinor: -100 * i, payeeName: i % 2 ? 'Odd Shop' : 'Even Shop' })).id);
    await addRule(b, { name: 'Tag all', condition: '', actions: [{ type: 'add_tags', tags: ['seen'] }] });
    const pages: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await req('POST', `${b.L}/rules/dry-run`, { limit: 4, ...(cursor ? { cursor } : {}) });
      expect(r.status).toBe(200);
      pages.push(...r.body.items.map((x: { transaction_id: string }) => x.transaction_id));
      cursor = r.body.next_cursor ?? undefined;
      if (!cursor) break;
    }
    expect(pages).toEqual([...ids].reverse());
    const r = await req('POST', `${b.L}/rules/apply`, { query: 'payee:odd', from: '2024-07-02', to: '2024-07-07' });
    expect(r.body).toMatchObject({ scanned: 3, changed: 3 });
    const tagged = await t.c.db.kysely.selectFrom('transactions').select('id').where('ledger_id', '=', b.ledgerId).where(sql<boolean>`tags @> array['seen']`).execute();
    expect(tagged.map((x) => x.id).sort()).toEqual([ids[2], ids[4], ids[6]].sort());
    for (const [body, field] of [[{ query: 'amount:' }, '/body/query'], [{ from: '2024-02-30' }, '/body/from'], [{ from: '2024-03-02', to: '2024-03-01' }, '/body/to'], [{ rule_ids: ['nope'] }, '/body/rule_ids/0']] as const) {
      const bad = await req('POST', `${b.L}/rules/apply`, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.errors[0].field).toBe(field);
    }
  });

  it('leaves rows alone when rules undo each other, and says so', async () => {
    const b = await books();
    const x = await tx(b, { accountId: b.checking, postedOn: '2024-06-01', amountMinor: -500, payeeName: 'Ping' });
    await addRule(b, { name: 'to pong', condition: 'payee:ping', actions: [{ type: 'rename_payee', payee: 'Pong' }] });
    await addRule(b, { name: 'to ping', stage: 'post', condition: 'payee:pong', actions: [{ type: 'rename_payee', payee: 'Ping' }, { type: 'add_tags', tags: ['bounced'] }] });
    // ping -> pong -> ping settles after tagging. A real cycle: one pass takes (notes a, payee Other) to
    // (b, Q-1) and the next takes (b, Q-1) back to (a, P-1), and so on.
    // Made before the rules below: a new manual transaction goes through the rules too.
    const y = await tx(b, { accountId: b.checking, postedOn: '2024-06-02', amountMinor: -500, payeeName: 'Other', notes: 'a' });
    await addRule(b, { name: 'R1', condition: 'notes:a OR notes:b', actions: [{ type: 'rename_payee', payee: 'P-1' }] });
    await addRule(b, { name: 'R2', condition: 'notes:a', actions: [{ type: 'set_notes', notes: 'b' }, { type: 'rename_payee', payee: 'Q-1' }] });
    await addRule(b, { name: 'R3', condition: 'payee:p-1', actions: [{ type: 'set_notes', notes: 'a' }] });
    const dry = await req('POST', `${b.L}/rules/dry-run`, {});
    const items = new Map(dry.body.items.map((i: { transaction_id: string }) => [i.transaction_id, i]));
    expect(items.get(x.id)).toMatchObject({ unsettled: false, changes: [{ field: 'tags', after: ['bounced'] }] });
    expect(items.get(y.id)).toMatchObject({ unsettled: true, changes: [] });
    const applied = await req('POST', `${b.L}/rules/apply`, {});
    expect(applied.body).toMatchObject({ unsettled: 1, changed: 1 });
    expect(await row(y.id)).toMatchObject({ notes: 'a', payee: 'Other' });
  });
});

describe('imports and new manual transactions', () => {
  it('runs on imported rows before they are written', async () => {
    const b = await books();
    await addRule(b, { name: 'Power', condition: 'payee:citypower', actions: [{ type: 'rename_payee', payee: 'City Power' }, { type: 'set_category', category: 'Utilities' }, { type: 'add_tags', tags: ['bill'] }] });
    await addRule(b, { name: 'Bills cleared', stage: 'post', condition: 'category:utilities', actions: [{ type: 'set_notes', notes: 'auto', mode: 'append' }] });
    await addRule(b, { name: 'Never links on import', condition: 'payee:other', actions: [{ type: 'link_transfer' }] });
    const p = await t.c.imports.preview(actor, b.ledgerId, b.checking, statement([
      { postedOn: '2024-12-01', amountMinor: -7100n, payee: 'CITYPOWER*BILL 1234', bankId: 'P1' },
      { postedOn: '2024-12-02', amountMinor: -100n, payee: 'Other', bankId: 'P2' },
    ]));
    await t.c.imports.commit(actor, b.ledgerId, p.id);
    const rows = await t.c.db.kysely.selectFrom('transactions as t').leftJoin('payees as p', 'p.id', 't.payee_id').select(['p.name as payee', 't.category_id', 't.tags', 't.notes', 't.transfer_peer_id']).where('t.account_id', '=', b.checking).orderBy('t.posted_on').execute();
    expect(rows).toEqual([
      { payee: 'City Power', category_id: b.cat.Utilities, tags: ['bill'], notes: 'auto', transfer_peer_id: null },
      { payee: 'Other', category_id: null, tags: [], notes: null, transfer_peer_id: null },
    ]);
    // The rules' changes are not "user recategorizations".
    expect(await t.c.db.kysely.selectFrom('rule_recategorizations').select('transaction_id').where('ledger_id', '=', b.ledgerId).execute()).toEqual([]);
  });

  it('runs on a new manual transaction but keeps the fields its request set', async () => {
    const b = await books();
    await addRule(b, { name: 'Coffee', condition: 'payee:coffee', actions: [{ type: 'set_category', category: 'Eating out' }, { type: 'add_tags', tags: ['coffee'] }, { type: 'set_notes', notes: 'caffeine' }] });
    const r1 = await req('POST', `${b.L}/transactions`, { account_id: b.checking, posted_on: '2024-08-01', amount_minor: -450, payee_name: 'Blue Coffee' });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ category_id: b.cat['Eating out'], tags: ['coffee'], notes: 'caffeine' });
    const r2 = await req('POST', `${b.L}/transactions`, { account_id: b.checking, posted_on: '2024-08-02', amount_minor: -450, payee_name: 'Blue Coffee', category_id: b.cat.Groceries, notes: 'beans' });
    expect(r2.body).toMatchObject({ category_id: b.cat.Groceries, tags: ['coffee'], notes: 'beans' });
  });
});

describe('suggestions', () => {
  it('suggests a rule after the same payee is recategorized the same way three times, and accepting makes it', async () => {
    const b = await books();
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push((await tx(b, { accountId: b.checking, postedOn: `2024-09-0${i}`, amountMinor: -300 - i, payeeName: 'Bakery Muller' })).id);
    const patch = (id: string, category: string) => req('PATCH', `${b.L}/transactions/${id}`, { category_id: b.cat[category] });
    await patch(ids[0]!, 'Groceries');
    await patch(ids[1]!, 'Groceries');
    expect((await req('GET', `${b.L}/rules/suggestions`)).body.items).toEqual([]);
    await patch(ids[2]!, 'Eating out');
    await patch(ids[2]!, 'Groceries');
    const s = await req('GET', `${b.L}/rules/suggestions`);
    expect(s.status).toBe(200);
    expect(s.body.items).toHaveLength(1);
    expect(s.body.items[0]).toMatchObject({ payee_name: 'Bakery Muller', category_id: b.cat.Groceries, count: 3, rule: { condition: 'payee:"Bakery Muller"', actions: [{ type: 'set_category', category_id: b.cat.Groceries }] } });
    // A transaction moved away again no longer counts.
    await patch(ids[0]!, 'Shopping');
    expect((await req('GET', `${b.L}/rules/suggestions`)).body.items).toEqual([]);
    await patch(ids[3]!, 'Groceries');
    const again = (await req('GET', `${b.L}/rules/suggestions`)).body.items[0];
    const acc = await req('POST', `${b.L}/rules/suggestions/accept`, { payee_id: again.payee_id, category_id: again.category_id });
    expect(acc.status, JSON.stringify(acc.body)).toBe(201);
    expect(acc.body).toMatchObject({ name: 'Bakery Muller → Groceries', condition: 'payee:"Bakery Muller"', enabled: true });
    expect((await req('GET', `${b.L}/rules/suggestions`)).body.items).toEqual([]);
    // The new rule categorizes the next one.
    const next = await req('POST', `${b.L}/transactions`, { account_id: b.checking, posted_on: '2024-09-09', amount_minor: -333, payee_name: 'Bakery Muller' });
    expect(next.body.category_id).toBe(b.cat.Groceries);
  });

  it('does not suggest what a rule already does, nor a dismissed pair', async () => {
    const b = await books();
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) ids.push((await tx(b, { accountId: b.checking, postedOn: `2024-10-0${i}`, amountMinor: -10 * i, payeeName: 'Fuel Stop' })).id);
    for (let i = 1; i <= 3; i++) ids.push((await tx(b, { accountId: b.checking, postedOn: `2024-10-1${i}`, amountMinor: -10 * i, payeeName: 'Pizza Place' })).id);
    for (const id of ids.slice(0, 3)) await req('PATCH', `${b.L}/transactions/${id}`, { category_id: b.cat.Shopping });
    for (const id of ids.slice(3)) await req('PATCH', `${b.L}/transactions/${id}`, { category_id: b.cat['Eating out'] });
    expect((await req('GET', `${b.L}/rules/suggestions`)).body.items.map((s: { payee_name: string }) => s.payee_name).sort()).toEqual(['Fuel Stop', 'Pizza Place']);
    await addRule(b, { name: 'Fuel', condition: 'payee:fuel', actions: [{ type: 'set_category', category: 'Shopping' }] });
    const left = (await req('GET', `${b.L}/rules/suggestions`)).body.items;
    expect(left.map((s: { payee_name: string }) => s.payee_name)).toEqual(['Pizza Place']);
    expect((await req('POST', `${b.L}/rules/suggestions/dismiss`, { payee_id: left[0].payee_id, category_id: left[0].category_id })).status).toBe(204);
    expect((await req('GET', `${b.L}/rules/suggestions`)).body.items).toEqual([]);
    const bad = await req('POST', `${b.L}/rules/suggestions/accept`, { payee_id: left[0].payee_id, category_id: '00000000-0000-4000-8000-000000000000' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('/body/category_id');
  });
});
