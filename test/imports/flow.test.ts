// The import flow on a real database (both engines): preview -> commit -> undo,
// re-imports, overlapping statements, pending rows that post, twins, reconciled
// rows, conflicts, edited rows on undo, currency checks, atomicity, balance check.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DraftRow } from '../../src/imports/flow/rules-hook.ts';
import { AppError } from '../../src/shared/app-error.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { accountRows, balance, countAll, manual, newBooks, statement, type Books } from './flow-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function importAll(b: Books, accountId: string, st: ReturnType<typeof statement>, opts: { dedupeWindowDays?: number } = {}) {
  const p = await t.c.imports.preview(b.actor, b.ledgerId, accountId, st, {}, opts);
  const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id);
  return { p, c };
}

describe('preview, commit, undo', () => {
  it('previews without writing transactions, commits every new row, and undo removes them again', async () => {
    const b = await newBooks(t);
    const st = statement([
      { postedOn: '2024-01-03', amountMinor: -1250n, payee: 'COFFEE HOUSE', bankId: 'A1' },
      { postedOn: '2024-01-05', amountMinor: 250000n, payee: 'ACME PAYROLL', memo: 'salary january', bankId: 'A2' },
      { postedOn: '2024-01-09', amountMinor: -8999n, payee: 'Grocer', bankId: 'A3' },
    ]);
    const before = await countAll(b);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, st, { fileName: 'jan.ofx', fileHash: 'a'.repeat(64) });
    expect(p.status).toBe('previewed');
    expect(p.counts).toEqual({ total: 3, new: 3, duplicate: 0, conflict: 0, skipped: 0, pending_replaced: 0 });
    expect(p.rows.map((r) => [r.decision, r.reason_code])).toEqual([['new', 'no_match'], ['new', 'no_match'], ['new', 'no_match']]);
    expect(p.rows[0]!.source_line).toBe(10);
    expect(p.rows[0]!.amount).toBe('-12.50');
    expect((await countAll(b)).transactions).toBe(before.transactions);

    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    expect(c.status).toBe('committed');
    expect(c.counts.new).toBe(3);
    const rows = await accountRows(b, b.checking);
    expect(rows.map((r) => [r.posted_on, Number(r.amount_minor), r.imported_id, r.payee, r.import_batch_id])).toEqual([
      ['2024-01-03', -1250, 'A1', 'COFFEE HOUSE', p.id],
      ['2024-01-05', 250000, 'A2', 'ACME PAYROLL', p.id],
      ['2024-01-09', -8999, 'A3', 'Grocer', p.id],
    ]);
    expect(rows[1]!.notes).toBe('salary january');
    expect(rows.every((r) => r.cleared_state === 'cleared')).toBe(true);
    // The import fills search_text itself (skipping the per-row trigger): it must equal what the trigger computes.
    const search = await sql<{ ok: boolean; n: number }>`
      select bool_and(t.search_text = lower(coalesce(p.name, '') || ' ' || coalesce(t.notes, ''))) as ok, count(*)::int as n
        from transactions t left join payees p on p.id = t.payee_id where t.import_batch_id = ${p.id}`.execute(t.c.db.kysely);
    expect(search.rows[0]).toEqual({ ok: true, n: 3 });
    const found = await t.c.transactions.list(b.actor, b.ledgerId, { text: 'salary jan', limit: 10 });
    expect(found.items.map((x) => x.payee_name)).toEqual(['ACME PAYROLL']);
    const m = await manual(b, b.savings, '2024-01-04', -1, { payeeName: 'Hand Entered', notes: 'Typed' });
    expect((await t.c.db.kysely.selectFrom('transactions').select('search_text').where('id', '=', m.id).executeTakeFirstOrThrow()).search_text).toBe('hand entered typed');
    expect(c.rows.map((r) => r.transaction_id).sort()).toEqual(rows.map((r) => r.id).sort());

    // Committing twice is a conflict, not a second set of rows.
    await expect(t.c.imports.commit(b.actor, b.ledgerId, p.id)).rejects.toMatchObject({ code: 'CONFLICT' });

    const u = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
    expect(u.status).toBe('undone');
    expect(u.undo).toMatchObject({ deleted: 3, kept: [] });
    expect(await accountRows(b, b.checking)).toEqual([]);
    expect((await t.c.imports.get(b.actor, b.ledgerId, p.id)).status).toBe('undone');
    await expect(t.c.imports.undo(b.actor, b.ledgerId, p.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    const audit = await t.c.db.kysely.selectFrom('audit_events').select('action').where('entity_id', '=', p.id).orderBy('at').execute();
    expect(audit.map((a) => a.action)).toEqual(['import.commit', 'import.undo']);
  });

  it('discards a preview with DELETE semantics (undo of a previewed batch) and writes nothing', async () => {
    const b = await newBooks(t);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2024-02-01', amountMinor: -100n }]));
    const r = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
    expect(r.status).toBe('discarded');
    await expect(t.c.imports.get(b.actor, b.ledgerId, p.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.c.db.kysely.selectFrom('import_rows').select('row_index').where('batch_id', '=', p.id).execute()).toEqual([]);
  });

  it('re-importing the same statement adds nothing; an overlapping statement adds only its new rows', async () => {
    const b = await newBooks(t);
    const jan = statement([
      { postedOn: '2024-01-02', amountMinor: -500n, payee: 'Bakery', bankId: 'J1' },
      { postedOn: '2024-01-15', amountMinor: -4200n, payee: 'Fuel', bankId: 'J2' },
      { postedOn: '2024-01-30', amountMinor: -500n, payee: 'Bakery', bankId: 'J3' },
    ]);
    await importAll(b, b.checking, jan);
    const again = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, jan);
    expect(again.counts).toMatchObject({ new: 0, duplicate: 3 });
    expect(again.rows.every((r) => r.reason_code === 'bank_id' && r.matched_transaction_id)).toBe(true);
    await t.c.imports.commit(b.actor, b.ledgerId, again.id);
    expect(await accountRows(b, b.checking)).toHaveLength(3);

    // Mid-January to mid-February, from another export of the same bank.
    const overlap = statement([
      { postedOn: '2024-01-15', amountMinor: -4200n, payee: 'Fuel', bankId: 'J2' },
      { postedOn: '2024-01-30', amountMinor: -500n, payee: 'Bakery', bankId: 'J3' },
      { postedOn: '2024-02-01', amountMinor: -500n, payee: 'Bakery', bankId: 'F1' },
      { postedOn: '2024-02-10', amountMinor: 100000n, payee: 'Salary', bankId: 'F2' },
    ]);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, overlap);
    expect(p.rows.map((r) => r.decision)).toEqual(['duplicate', 'duplicate', 'new', 'new']);
    // F1 has the same amount as J3 two days earlier, but both carry bank ids and they differ.
    expect(p.rows[2]!.reason_code).toBe('different_bank_id');
    await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    expect((await accountRows(b, b.checking)).map((r) => r.imported_id)).toEqual(['J1', 'J2', 'J3', 'F1', 'F2']);
  });

  it('without bank ids, matches by amount within the window preferring the payee, then the date; re-import is still idempotent', async () => {
    const b = await newBooks(t);
    await manual(b, b.checking, '2024-03-10', -2599, { payeeName: 'Amazon' });
    await manual(b, b.checking, '2024-03-11', -2599, { payeeName: 'Hardware store' });
    const csv = statement([
      { postedOn: '2024-03-12', amountMinor: -2599n, payee: 'AMAZON MKTPL*1A2B3C' },
      { postedOn: '2024-03-12', amountMinor: -2599n, payee: 'HARDWARE STORE 0042' },
      { postedOn: '2024-03-20', amountMinor: -2599n, payee: 'AMAZON MKTPL*ZZZ' },
    ], { format: 'csv' });
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, csv);
    const rows = await accountRows(b, b.checking);
    const amazon = rows.find((r) => r.payee === 'Amazon')!;
    const hardware = rows.find((r) => r.payee === 'Hardware store')!;
    expect(p.rows.map((r) => [r.decision, r.matched_transaction_id])).toEqual([
      ['duplicate', amazon.id],
      ['duplicate', hardware.id],
      ['new', null],
    ]);
    expect(p.rows[0]!.reason_code).toBe('amount_date_payee');
    expect(p.rows[0]!.reason).toContain('±2 days');
    expect(p.rows[0]!.reason).toContain('"AMAZON MKTPL*1A2B3C" ~ "Amazon"');
    await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    const again = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, csv);
    expect(again.counts).toMatchObject({ new: 0, duplicate: 3 });
  });

  it('keeps identical twin rows of one file unless the account already holds as many', async () => {
    const b = await newBooks(t);
    const twins = statement([
      { postedOn: '2024-04-02', amountMinor: -300n, payee: 'Parking' },
      { postedOn: '2024-04-02', amountMinor: -300n, payee: 'Parking' },
    ], { format: 'csv' });
    const first = await importAll(b, b.checking, twins);
    expect(first.c.counts.new).toBe(2);
    const again = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, twins);
    expect(again.counts).toMatchObject({ new: 0, duplicate: 2 });
    expect(new Set(again.rows.map((r) => r.matched_transaction_id)).size).toBe(2);
    await t.c.imports.undo(b.actor, b.ledgerId, again.id);

    // Three in the next file, two already there: exactly one is new, and it says why.
    const three = statement([...twins.transactions, { ...twins.transactions[0]! }].map((x) => ({ ...x })), { format: 'csv' });
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, three);
    expect(p.rows.map((r) => r.decision)).toEqual(['duplicate', 'duplicate', 'new']);
    expect(p.rows[2]!.reason_code).toBe('twin_rows');
  });

  it('replaces a pending row when it posts under a new bank id, keeping its category and notes; undo restores the pending row', async () => {
    const b = await newBooks(t);
    const group = await t.c.categories.createGroup(b.actor, b.ledgerId, { name: 'Living' });
    const food = await t.c.categories.createCategory(b.actor, b.ledgerId, { name: 'Food', groupId: group.id });
    const pending = await importAll(b, b.card, statement([{ postedOn: '2024-05-03', amountMinor: -4550n, payee: 'PIZZA PLACE', bankId: 'PEND-1', pending: true }]));
    const [row] = await accountRows(b, b.card);
    expect(row).toMatchObject({ pending: true, cleared_state: 'uncleared', imported_id: 'PEND-1' });
    await t.c.transactions.update(b.actor, b.ledgerId, row!.id, { categoryId: food.id, notes: 'team lunch' });

    const posted = statement([{ postedOn: '2024-05-05', amountMinor: -4550n, payee: 'PIZZA PLACE #12', bankId: 'POST-9' }]);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.card, posted);
    expect(p.rows[0]).toMatchObject({ decision: 'replace_pending', reason_code: 'pending_posted', matched_transaction_id: row!.id });
    expect(p.counts.pending_replaced).toBe(1);
    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    expect(c.counts).toMatchObject({ new: 0, pending_replaced: 1 });
    const after = await accountRows(b, b.card);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: row!.id, posted_on: '2024-05-05', imported_id: 'POST-9', pending: false, cleared_state: 'cleared', category_id: food.id, notes: 'team lunch' });

    // Undo of the posting batch puts the pending values back; category and notes stay.
    const u = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
    expect(u.undo).toMatchObject({ deleted: 0, restored_pending: 1 });
    expect((await accountRows(b, b.card))[0]).toMatchObject({ posted_on: '2024-05-03', imported_id: 'PEND-1', pending: true, cleared_state: 'uncleared', category_id: food.id });
    // The pending row's own batch sees it as edited (category and notes were set by the user).
    const u2 = await t.c.imports.undo(b.actor, b.ledgerId, pending.p.id);
    expect(u2.undo!.kept).toHaveLength(1);
    expect(u2.undo!.deleted).toBe(0);
  });

  it('a pending row posting under the same bank id with another amount is replaced; a reconciled pending row is never touched', async () => {
    const b = await newBooks(t);
    await importAll(b, b.card, statement([
      { postedOn: '2024-06-01', amountMinor: -2000n, payee: 'Restaurant', bankId: 'R1', pending: true },
      { postedOn: '2024-06-02', amountMinor: -999n, payee: 'Cinema', bankId: 'C1', pending: true },
    ]));
    const rows = await accountRows(b, b.card);
    const cinema = rows.find((r) => r.imported_id === 'C1')!;
    await t.c.transactions.update(b.actor, b.ledgerId, cinema.id, { clearedState: 'reconciled' });
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.card, statement([
      { postedOn: '2024-06-03', amountMinor: -2400n, payee: 'Restaurant', bankId: 'R1' },
      { postedOn: '2024-06-03', amountMinor: -999n, payee: 'Cinema', bankId: 'C2' },
    ]));
    expect(p.rows.map((r) => [r.decision, r.reason_code])).toEqual([
      ['replace_pending', 'bank_id_posted'],
      ['duplicate', 'pending_posted_reconciled'],
    ]);
    expect(p.rows[1]!.reason).toMatch(/has posted .*but it is reconciled, so it is kept as it is/);
    await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    const after = await accountRows(b, b.card);
    expect(after.find((r) => r.imported_id === 'R1')).toMatchObject({ amount_minor: -2400n, pending: false, posted_on: '2024-06-03' });
    expect(after.find((r) => r.id === cinema.id)).toMatchObject({ imported_id: 'C1', pending: true, cleared_state: 'reconciled', posted_on: '2024-06-02' });
    // The posted copy of the reconciled row was not added a second time.
    expect(after.filter((r) => r.amount_minor === -999n)).toHaveLength(1);
  });

  it('matches a reconciled row as a duplicate without changing it', async () => {
    const b = await newBooks(t);
    const m = await manual(b, b.checking, '2024-07-01', -1800, { payeeName: 'Gym', clearedState: 'reconciled' });
    const before = await t.c.db.kysely.selectFrom('transactions').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    const { p, c } = await importAll(b, b.checking, statement([{ postedOn: '2024-07-02', amountMinor: -1800n, payee: 'GYM MEMBERSHIP', bankId: 'G1' }]));
    expect(p.rows[0]).toMatchObject({ decision: 'duplicate', matched_transaction_id: m.id });
    expect(c.counts.new).toBe(0);
    expect(await t.c.db.kysely.selectFrom('transactions').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow()).toEqual(before);
  });

  it('reports a conflict when the bank id matches but amount or date differ, imports it only when forced', async () => {
    const b = await newBooks(t);
    await importAll(b, b.checking, statement([{ postedOn: '2024-08-01', amountMinor: -5000n, payee: 'Insurer', bankId: 'X1' }]));
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([
      { postedOn: '2024-08-01', amountMinor: -5500n, payee: 'Insurer', bankId: 'X1' },
      { postedOn: '2024-09-20', amountMinor: -5000n, payee: 'Insurer', bankId: 'X1' },
    ]));
    expect(p.rows[0]).toMatchObject({ decision: 'conflict', reason_code: 'bank_id_conflict' });
    expect(p.rows[0]!.reason).toContain('amount -55.00 in the file vs -50.00 in finhub');
    // Only one existing row has id X1, so the second file row cannot claim it too.
    expect(p.rows[1]!.decision).toBe('new');
    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id, { overrides: [{ rowIndex: 0, action: 'import' }, { rowIndex: 1, action: 'skip' }] });
    expect(c.counts).toMatchObject({ new: 1, conflict: 0, skipped: 1 });
    expect(c.rows[0]).toMatchObject({ decision: 'new', proposed: 'conflict', reason_code: 'override_import' });
    expect((await accountRows(b, b.checking)).map((r) => Number(r.amount_minor))).toEqual([-5500, -5000]);
  });

  it('treats two rows that carry different bank ids as different transactions', async () => {
    const b = await newBooks(t);
    await importAll(b, b.checking, statement([{ postedOn: '2024-08-05', amountMinor: -700n, payee: 'Toll', bankId: 'T1' }]));
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2024-08-05', amountMinor: -700n, payee: 'Toll', bankId: 'T2' }]));
    expect(p.rows[0]).toMatchObject({ decision: 'new', reason_code: 'different_bank_id' });
  });

  it('never matches rows of another account', async () => {
    const b = await newBooks(t);
    await manual(b, b.savings, '2024-08-10', -1234, { payeeName: 'Shop' });
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2024-08-10', amountMinor: -1234n, payee: 'Shop' }]));
    expect(p.rows[0]!.decision).toBe('new');
  });

  it('keeps rows edited since the import on undo and reports them, unless forced', async () => {
    const b = await newBooks(t);
    const { p } = await importAll(b, b.checking, statement([
      { postedOn: '2024-09-01', amountMinor: -100n, payee: 'A', bankId: 'E1' },
      { postedOn: '2024-09-02', amountMinor: -200n, payee: 'B', bankId: 'E2' },
      { postedOn: '2024-09-03', amountMinor: -300n, payee: 'C', bankId: 'E3' },
      { postedOn: '2024-09-04', amountMinor: -400n, payee: 'D', bankId: 'E4' },
    ]));
    const rows = await accountRows(b, b.checking);
    await t.c.transactions.update(b.actor, b.ledgerId, rows[0]!.id, { notes: 'checked' });
    await t.c.transactions.update(b.actor, b.ledgerId, rows[1]!.id, { amountMinor: -250 });
    await t.c.transactions.update(b.actor, b.ledgerId, rows[2]!.id, { splits: [{ amountMinor: -100 }, { amountMinor: -200 }] });
    const u = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
    expect(u.undo!.deleted).toBe(1);
    const kept = new Map(u.undo!.kept.map((k) => [k.transaction_id, k.changes]));
    expect(kept.get(rows[0]!.id)).toEqual(['payee, category, notes, tags or cleared state changed']);
    expect(kept.get(rows[1]!.id)).toEqual(['amount -200 -> -250']);
    expect(kept.get(rows[2]!.id)).toEqual(['split']);
    expect((await accountRows(b, b.checking)).map((r) => r.imported_id)).toEqual(['E1', 'E2', 'E3']);
    // A second, forced undo removes the kept rows (and the split's parts with them).
    const f = await t.c.imports.undo(b.actor, b.ledgerId, p.id, { force: true });
    expect(f.undo).toMatchObject({ forced: true, deleted: 4, kept: [] });
    expect(await t.c.db.kysely.selectFrom('transactions').select('id').where('account_id', '=', b.checking).execute()).toEqual([]);
  });

  it('forced undo of a row linked as a transfer keeps the other account\'s side as a plain transaction', async () => {
    const b = await newBooks(t);
    const other = await manual(b, b.savings, '2024-10-01', 5000, { payeeName: 'From checking' });
    const { p, c } = await importAll(b, b.checking, statement([{ postedOn: '2024-10-02', amountMinor: -5000n, payee: 'TRANSFER TO SAVINGS', bankId: 'TR1' }]));
    expect(c.transfer_suggestions).toHaveLength(1);
    expect(c.transfer_suggestions[0]).toMatchObject({ peer_id: other.id, days_apart: 1, peer_account_id: b.savings });
    const linked = await t.c.imports.linkTransfers(b.actor, b.ledgerId, p.id);
    expect(linked.results).toEqual([{ transaction_id: c.transfer_suggestions[0]!.transaction_id, peer_id: other.id, linked: true, posted_on: '2024-10-01' }]);
    const mine = (await accountRows(b, b.checking))[0]!;
    expect(mine).toMatchObject({ transfer_peer_id: other.id, posted_on: '2024-10-01' });
    expect((await t.c.imports.get(b.actor, b.ledgerId, p.id)).transfer_suggestions).toEqual([]);

    const soft = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
    expect(soft.undo!.kept[0]!.changes).toContain('linked as a transfer');
    const f = await t.c.imports.undo(b.actor, b.ledgerId, p.id, { force: true });
    expect(f.undo!.deleted).toBe(1);
    expect(await accountRows(b, b.checking)).toEqual([]);
    expect((await accountRows(b, b.savings))[0]).toMatchObject({ id: other.id, transfer_peer_id: null, amount_minor: 5000n });
  });

  it('refuses a statement in another currency than the account, naming both, and writes nothing', async () => {
    const b = await newBooks(t);
    const before = await countAll(b);
    const err = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2024-01-01', amountMinor: -100n }], { account: { currency: 'EUR' } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CURRENCY_MISMATCH', status: 422 });
    expect((err as Error).message).toMatch(/EUR.*USD/);
    expect(await countAll(b)).toEqual(before);
    // Single rows in another currency are skipped, with the reason.
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.euro, statement([
      { postedOn: '2024-01-01', amountMinor: -100n },
      { postedOn: '2024-01-02', amountMinor: -100n, currency: 'CHF' },
    ], { account: { currency: 'EUR' } }));
    expect(p.rows.map((r) => [r.decision, r.reason_code])).toEqual([['new', 'no_match'], ['skipped', 'foreign_currency']]);
    await expect(t.c.imports.commit(b.actor, b.ledgerId, p.id, { overrides: [{ rowIndex: 1, action: 'import' }] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('skips zero-amount rows (they move no money) unless an override imports them', async () => {
    const b = await newBooks(t);
    const st = statement([{ postedOn: '2024-02-01', amountMinor: 0n, payee: 'RATE CHANGE NOTICE' }, { postedOn: '2024-02-01', amountMinor: -5n, payee: 'Fee' }]);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, st);
    expect(p.rows.map((r) => [r.decision, r.reason_code])).toEqual([['skipped', 'zero_amount'], ['new', 'no_match']]);
    expect(p.warnings).toContain('1 row(s) with a zero amount are skipped');
    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id, { overrides: [{ rowIndex: 0, action: 'import' }] });
    expect(c.counts).toMatchObject({ new: 2, skipped: 0 });
    expect((await accountRows(b, b.checking)).map((r) => Number(r.amount_minor))).toEqual([-5, 0]);
  });

  it('commits all rows or none: a row the database rejects leaves no transaction, payee or batch change behind', async () => {
    const b = await newBooks(t);
    const foreignLedger = await newBooks(t);
    const g = await t.c.categories.createGroup(foreignLedger.actor, foreignLedger.ledgerId, { name: 'G' });
    const foreignCategory = await t.c.categories.createCategory(foreignLedger.actor, foreignLedger.ledgerId, { name: 'Elsewhere', groupId: g.id });
    const rows = Array.from({ length: 40 }, (_, i) => ({ postedOn: `2024-11-${String(1 + (i % 28)).padStart(2, '0')}`, amountMinor: BigInt(-100 - i), payee: `Brand new payee ${i}`, bankId: `ATOM${i}` }));
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement(rows));
    // The last row gets a category of another ledger: the composite foreign key rejects it mid-insert.
    t.c.imports.setRulesHook(async (drafts: DraftRow[]) => drafts.map((d) => (d.rowIndex === 39 ? { ...d, categoryId: foreignCategory.id } : d)));
    const before = await countAll(b);
    try {
      await expect(t.c.imports.commit(b.actor, b.ledgerId, p.id)).rejects.toMatchObject({ code: '23503' });
    } finally {
      t.c.imports.setRulesHook(undefined);
    }
    expect(await countAll(b)).toEqual(before);
    expect((await t.c.imports.get(b.actor, b.ledgerId, p.id)).status).toBe('previewed');
    // Nothing was half-done: the same preview commits cleanly afterwards.
    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    expect(c.counts.new).toBe(40);
  });

  it('runs the rules hook before writing: payee names, categories, notes, tags and cleared state come from it', async () => {
    const b = await newBooks(t);
    const g = await t.c.categories.createGroup(b.actor, b.ledgerId, { name: 'Bills' });
    const power = await t.c.categories.createCategory(b.actor, b.ledgerId, { name: 'Power', groupId: g.id });
    await t.c.payees.create(b.actor, b.ledgerId, { name: 'City Power' });
    const seen: { ledgerId: string; accountId: string }[] = [];
    t.c.imports.setRulesHook(async (drafts, ctx) => {
      seen.push(ctx);
      return drafts.map((d) => (/POWER/i.test(d.bankPayee ?? '') ? { ...d, payeeName: 'CITY POWER', categoryId: power.id, tags: ['utility'], notes: 'auto', cleared: 'reconciled' } : d));
    });
    try {
      await importAll(b, b.checking, statement([{ postedOn: '2024-12-01', amountMinor: -7100n, payee: 'CITYPOWER*BILL 1234', bankId: 'P1' }, { postedOn: '2024-12-02', amountMinor: -100n, payee: 'Other' }]));
    } finally {
      t.c.imports.setRulesHook(undefined);
    }
    expect(seen).toEqual([{ ledgerId: b.ledgerId, accountId: b.checking }]);
    const rows = await accountRows(b, b.checking);
    // The existing payee "City Power" is reused case-insensitively.
    expect(rows[0]).toMatchObject({ payee: 'City Power', category_id: power.id, notes: 'auto', cleared_state: 'reconciled' });
    const payees = await t.c.db.kysely.selectFrom('payees').select('name').where('ledger_id', '=', b.ledgerId).orderBy('name').execute();
    expect(payees.map((x) => x.name)).toEqual(['City Power', 'Other']);
  });

  it('checks the stated closing balance: projected in the preview, actual after commit, and sets the opening balance of a new account', async () => {
    const b = await newBooks(t);
    const st = statement([
      { postedOn: '2025-01-05', amountMinor: -2000n, bankId: 'B1' },
      { postedOn: '2025-01-20', amountMinor: 50000n, bankId: 'B2' },
      { postedOn: '2025-02-02', amountMinor: -1000n, bankId: 'B3' },
    ], { balances: [{ kind: 'closing', amountMinor: 148000n, date: '2025-01-31' }] });
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.savings, st);
    // Empty account: finhub would show 480.00 on Jan 31; the bank says 1480.00.
    expect(p.balance_check).toMatchObject({ status: 'mismatch', basis: 'projected', as_of: '2025-01-31', stated_minor: 148000, finhub_minor: 48000, difference_minor: -100000 });
    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id);
    // The account had no history, so its opening balance is derived from the closing balance.
    expect(c.balance_check).toMatchObject({ status: 'match', basis: 'actual', finhub_minor: 148000, difference_minor: 0 });
    const acc = await t.c.db.kysely.selectFrom('accounts').select(['opening_balance_minor', 'opened_on']).where('id', '=', b.savings).executeTakeFirstOrThrow();
    expect(acc).toEqual({ opening_balance_minor: 100000n, opened_on: '2025-01-05' });
    expect(await balance(b, b.savings)).toBe(147000n);

    // A second statement whose closing balance disagrees is reported, not refused.
    const p2 = await t.c.imports.preview(b.actor, b.ledgerId, b.savings, statement([{ postedOn: '2025-02-10', amountMinor: -500n, bankId: 'B4' }], { balances: [{ kind: 'closing', amountMinor: 146000n, date: '2025-02-28' }] }));
    expect(p2.balance_check).toMatchObject({ status: 'mismatch', finhub_minor: 146500, difference_minor: 500 });
    const c2 = await t.c.imports.commit(b.actor, b.ledgerId, p2.id);
    expect(c2.balance_check).toMatchObject({ status: 'mismatch', basis: 'actual', difference_minor: 500 });
    // Undo of the first batch restores the opening state it set.
    await t.c.imports.undo(b.actor, b.ledgerId, c2.id);
    const u = await t.c.imports.undo(b.actor, b.ledgerId, c.id);
    expect(u.undo!.opening_restored).toBe(true);
    expect(await t.c.db.kysely.selectFrom('accounts').select(['opening_balance_minor', 'opened_on']).where('id', '=', b.savings).executeTakeFirstOrThrow()).toEqual({ opening_balance_minor: 0n, opened_on: null });
  });

  it('refuses to commit a preview whose candidate rows changed since, and an expired preview', async () => {
    const b = await newBooks(t);
    const st = statement([{ postedOn: '2025-03-01', amountMinor: -4321n, payee: 'Vet' }]);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, st);
    await manual(b, b.checking, '2025-03-02', -4321, { payeeName: 'Vet' });
    await expect(t.c.imports.commit(b.actor, b.ledgerId, p.id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/changed since this preview/) });
    expect(await accountRows(b, b.checking)).toHaveLength(1);

    const p2 = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, st);
    expect(p2.rows[0]!.decision).toBe('duplicate');
    await t.c.db.kysely.updateTable('import_batches').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', p2.id).execute();
    expect((await t.c.imports.get(b.actor, b.ledgerId, p2.id)).status).toBe('expired');
    await expect(t.c.imports.commit(b.actor, b.ledgerId, p2.id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/expired/) });
    // The purge turned it into an expired batch without stored rows.
    const row = await t.c.db.kysely.selectFrom('import_batches').select('status').where('id', '=', p2.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    expect(await t.c.db.kysely.selectFrom('import_rows').select('row_index').where('batch_id', '=', p2.id).execute()).toEqual([]);
  });

  it('the hourly purge job expires old previews and deletes their stored rows', async () => {
    const b = await newBooks(t);
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2025-03-05', amountMinor: -1n }]));
    const fresh = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2025-03-06', amountMinor: -2n }]));
    await t.c.db.kysely.updateTable('import_batches').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', p.id).execute();
    const { builtinHandlers, BUILTIN_SCHEDULES } = await import('../../src/jobs/jobs.runtime.ts');
    expect(BUILTIN_SCHEDULES.some((s) => s.jobName === 'imports.purge-expired')).toBe(true);
    const r = (await builtinHandlers(t.c)['imports.purge-expired']!({}, {} as never)) as { expired: number };
    expect(r.expired).toBeGreaterThanOrEqual(1);
    const rows = await t.c.db.kysely.selectFrom('import_batches').select(['id', 'status']).where('id', 'in', [p.id, fresh.id]).orderBy('created_at').execute();
    expect(rows).toEqual([{ id: p.id, status: 'expired' }, { id: fresh.id, status: 'previewed' }]);
    expect(await t.c.db.kysely.selectFrom('import_rows').select('row_index').where('batch_id', '=', p.id).execute()).toEqual([]);
    expect(await t.c.db.kysely.selectFrom('import_rows').select('row_index').where('batch_id', '=', fresh.id).execute()).toHaveLength(1);
  });

  it('pages rows by cursor and filters by decision; lists batches newest first', async () => {
    const b = await newBooks(t);
    await importAll(b, b.checking, statement([{ postedOn: '2025-04-01', amountMinor: -1n, bankId: 'K0' }]));
    const rows = Array.from({ length: 7 }, (_, i) => ({ postedOn: '2025-04-01', amountMinor: BigInt(-1 - i), bankId: `K${i}` }));
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement(rows), {}, { rowsLimit: 3 });
    expect(p.rows.map((r) => r.index)).toEqual([0, 1, 2]);
    const page2 = await t.c.imports.rows(b.actor, b.ledgerId, p.id, { cursor: p.rows_next_cursor!, limit: 3 });
    expect(page2.items.map((r) => r.index)).toEqual([3, 4, 5]);
    const page3 = await t.c.imports.rows(b.actor, b.ledgerId, p.id, { cursor: page2.next_cursor!, limit: 3 });
    expect(page3.items.map((r) => r.index)).toEqual([6]);
    expect(page3.next_cursor).toBeNull();
    const dups = await t.c.imports.rows(b.actor, b.ledgerId, p.id, { decision: 'duplicate', limit: 50 });
    expect(dups.items.map((r) => r.index)).toEqual([0]);
    await expect(t.c.imports.rows(b.actor, b.ledgerId, p.id, { decision: 'nope', limit: 5 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    const list = await t.c.imports.list(b.actor, b.ledgerId, { limit: 1 });
    expect(list.items[0]!.id).toBe(p.id);
    const next = await t.c.imports.list(b.actor, b.ledgerId, { limit: 1, cursor: list.next_cursor! });
    expect(next.items[0]!.status).toBe('committed');
    expect(next.next_cursor).toBeNull();
  });

  it('a statement larger than one write chunk (10,000 rows) previews, commits, re-imports as duplicates and undoes as a whole', async () => {
    const b = await newBooks(t);
    const n = 12_345;
    const rows = Array.from({ length: n }, (_, i) => ({
      postedOn: new Date(Date.UTC(2023, 0, 1) + (i % 700) * 86_400_000).toISOString().slice(0, 10),
      amountMinor: BigInt(-(1 + ((i * 7919) % 90_000))),
      payee: `Merchant ${i % 500}`,
      bankId: i % 3 === 0 ? undefined : `BIG${i}`,
    }));
    const st = statement(rows, { format: 'csv' });
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, st, {}, { rowsLimit: 0 });
    expect(p.counts).toMatchObject({ total: n, new: n });
    const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id, { rowsLimit: 0 });
    expect(c.counts.new).toBe(n);
    const k = t.c.db.kysely;
    const count = async () => Number((await k.selectFrom('transactions').select((e) => e.fn.countAll<bigint>().as('n')).where('account_id', '=', b.checking).executeTakeFirstOrThrow()).n);
    expect(await count()).toBe(n);
    const payees = await k.selectFrom('payees').select((e) => e.fn.countAll<bigint>().as('n')).where('ledger_id', '=', b.ledgerId).executeTakeFirstOrThrow();
    expect(Number(payees.n)).toBe(500);
    const again = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, st, {}, { rowsLimit: 0 });
    expect(again.counts).toMatchObject({ new: 0, duplicate: n });
    await t.c.imports.undo(b.actor, b.ledgerId, again.id);
    const u = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
    expect(u.undo!.deleted).toBe(n);
    expect(await count()).toBe(0);
  }, 300_000);

  it('deleting an account or the ledger takes its import batches and stored rows along', async () => {
    const b = await newBooks(t);
    const { p } = await importAll(b, b.card, statement([{ postedOn: '2025-06-01', amountMinor: -10n, bankId: 'D1' }]));
    const preview = await t.c.imports.preview(b.actor, b.ledgerId, b.savings, statement([{ postedOn: '2025-06-01', amountMinor: -10n }]));
    await t.c.accounts.remove(b.actor, b.ledgerId, b.card);
    const k = t.c.db.kysely;
    expect(await k.selectFrom('import_batches').select('id').where('id', '=', p.id).execute()).toEqual([]);
    expect(await k.selectFrom('import_rows').select('row_index').where('batch_id', '=', p.id).execute()).toEqual([]);
    await t.c.ledgers.remove(b.actor, b.ledgerId);
    expect(await k.selectFrom('import_rows').select('row_index').where('batch_id', '=', preview.id).execute()).toEqual([]);
  });

  it('checks the caller\'s role: viewers read, editors write, strangers see nothing', async () => {
    const b = await newBooks(t);
    const viewer = await t.user();
    await t.c.ledgers.setMember(b.actor, b.ledgerId, { userId: viewer.id, role: 'viewer' });
    const v = { userId: viewer.id, isAdmin: false, via: 'cli' as const };
    const stranger = { userId: (await t.user()).id, isAdmin: false, via: 'cli' as const };
    const p = await t.c.imports.preview(b.actor, b.ledgerId, b.checking, statement([{ postedOn: '2025-05-01', amountMinor: -1n }]));
    expect((await t.c.imports.get(v, b.ledgerId, p.id)).id).toBe(p.id);
    await expect(t.c.imports.commit(v, b.ledgerId, p.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(t.c.imports.preview(v, b.ledgerId, b.checking, statement([]))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(t.c.imports.get(stranger, b.ledgerId, p.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.c.imports.get(b.actor, b.ledgerId, randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('pending rows that are split or linked as a transfer', () => {
  type Link = 'split' | 'transfer';
  const PENDING = { postedOn: '2024-05-03', amountMinor: -4550n, payee: 'PIZZA PLACE', bankId: 'PEND-1', pending: true };
  const postedAs = (bankId: string) => statement([{ postedOn: '2024-05-05', amountMinor: -4550n, payee: 'PIZZA PLACE #12', bankId }]);
  const changeOf = (kind: Link) => (kind === 'split' ? 'split' : 'linked as a transfer');

  /** Imports the pending row into the card account; returns its batch and transaction id. */
  async function importPending(b: Books) {
    const { p } = await importAll(b, b.card, statement([PENDING]));
    const [row] = await accountRows(b, b.card);
    return { batchId: p.id, id: row!.id };
  }

  /** Splits the row into two categorised parts, or links it as a transfer from checking (a new row there). */
  async function link(b: Books, id: string, kind: Link) {
    if (kind === 'split') {
      const group = await t.c.categories.createGroup(b.actor, b.ledgerId, { name: 'Living' });
      const food = await t.c.categories.createCategory(b.actor, b.ledgerId, { name: 'Food', groupId: group.id });
      const drinks = await t.c.categories.createCategory(b.actor, b.ledgerId, { name: 'Drinks', groupId: group.id });
      await t.c.transactions.update(b.actor, b.ledgerId, id, { splits: [{ amountMinor: -3000, categoryId: food.id }, { amountMinor: -1550, categoryId: drinks.id }] });
    } else {
      await t.c.transactions.update(b.actor, b.ledgerId, id, { transferAccountId: b.checking });
    }
    const row = await t.c.db.kysely.selectFrom('transactions').select(['is_split', 'transfer_peer_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(kind === 'split' ? row.is_split : row.transfer_peer_id !== null).toBe(true);
  }

  /** Every split's parts sum to it and share its date; every transfer pair points both ways, same date, amounts cancel. */
  async function brokenLinks(b: Books): Promise<string[]> {
    const r = await sql<{ id: string }>`
      select p.id from transactions p
       where p.ledger_id = ${b.ledgerId}::uuid and p.is_split
         and (p.amount_minor <> (select coalesce(sum(c.amount_minor), 0) from transactions c where c.parent_id = p.id)
              or exists (select 1 from transactions c where c.parent_id = p.id and c.posted_on <> p.posted_on))
      union all
      select a.id from transactions a left join transactions z on z.id = a.transfer_peer_id
       where a.ledger_id = ${b.ledgerId}::uuid and a.transfer_peer_id is not null
         and (z.id is null or z.transfer_peer_id is distinct from a.id or z.posted_on <> a.posted_on or z.amount_minor <> -a.amount_minor)`.execute(t.c.db.kysely);
    return r.rows.map((x) => x.id);
  }

  const parts = async (id: string) => (await t.c.db.kysely.selectFrom('transactions').select(['posted_on', 'amount_minor']).where('parent_id', '=', id).orderBy('amount_minor').execute())
    .map((x) => [x.posted_on, Number(x.amount_minor)]);

  /** Undo of the pending row's own batch: keeps the linked row and says why; forced, it goes (a transfer's other side stays, plain). */
  async function undoPendingBatch(b: Books, batchId: string, id: string, kind: Link, changes: string[]) {
    const soft = await t.c.imports.undo(b.actor, b.ledgerId, batchId);
    expect(soft.undo).toMatchObject({ deleted: 0, kept: [{ transaction_id: id, row_index: 0, changes }] });
    expect(await brokenLinks(b)).toEqual([]);
    const forced = await t.c.imports.undo(b.actor, b.ledgerId, batchId, { force: true });
    expect(forced.undo).toMatchObject({ forced: true, deleted: 1, kept: [] });
    expect(await accountRows(b, b.card)).toEqual([]);
    expect(await parts(id)).toEqual([]);
    const other = await accountRows(b, b.checking);
    if (kind === 'transfer') expect(other.map((r) => [Number(r.amount_minor), r.transfer_peer_id])).toEqual([[4550, null]]);
    else expect(other).toEqual([]);
    expect(await brokenLinks(b)).toEqual([]);
  }

  for (const kind of ['split', 'transfer'] as const) {
    it(`the posted version of a pending row made a ${kind} is a duplicate (new or same bank id); the row is left as it is and both undos stay clean`, async () => {
      const b = await newBooks(t);
      const pending = await importPending(b);
      await link(b, pending.id, kind);
      const before = await accountRows(b, b.card);
      const beforeOther = await accountRows(b, b.checking);
      const cardBalance = await balance(b, b.card);
      expect(before).toHaveLength(1);

      for (const [bankId, text] of [['POST-9', 'of 2024-05-03 has posted (same amount, ±2 days'], ['PEND-1', 'with bank id "PEND-1" has posted']] as const) {
        const p = await t.c.imports.preview(b.actor, b.ledgerId, b.card, postedAs(bankId));
        expect(p.rows[0]).toMatchObject({ decision: 'duplicate', reason_code: 'pending_posted_linked', matched_transaction_id: pending.id });
        expect(p.rows[0]!.reason).toContain(text);
        expect(p.rows[0]!.reason).toContain('split or part of a transfer, so it is kept as it is');
        expect(p.counts).toMatchObject({ new: 0, duplicate: 1, pending_replaced: 0 });
        const c = await t.c.imports.commit(b.actor, b.ledgerId, p.id);
        expect(c.counts).toMatchObject({ new: 0, duplicate: 1, pending_replaced: 0 });
        // Nothing written: no second copy of the money, the linked row unchanged.
        expect(await accountRows(b, b.card)).toEqual(before);
        expect(await accountRows(b, b.checking)).toEqual(beforeOther);
        expect(await balance(b, b.card)).toBe(cardBalance);
        const u = await t.c.imports.undo(b.actor, b.ledgerId, p.id);
        expect(u.undo).toMatchObject({ deleted: 0, kept: [], restored_pending: 0, not_restored: [] });
        expect(await accountRows(b, b.card)).toEqual(before);
      }
      if (kind === 'split') expect(await parts(pending.id)).toEqual([['2024-05-03', -3000], ['2024-05-03', -1550]]);
      expect(await brokenLinks(b)).toEqual([]);
      await undoPendingBatch(b, pending.batchId, pending.id, kind, [changeOf(kind)]);
    });

    it(`a pending row made a ${kind} after its posted version replaced it is not restored by undo (also forced), and both undos stay clean`, async () => {
      for (const [bankId, force] of [['POST-9', false], ['PEND-1', true]] as const) {
        const b = await newBooks(t);
        const pending = await importPending(b);
        const p = await t.c.imports.preview(b.actor, b.ledgerId, b.card, postedAs(bankId));
        expect(p.rows[0]).toMatchObject({ decision: 'replace_pending', matched_transaction_id: pending.id });
        await t.c.imports.commit(b.actor, b.ledgerId, p.id);
        await link(b, pending.id, kind);
        const before = await accountRows(b, b.card);
        expect(before[0]).toMatchObject({ id: pending.id, posted_on: '2024-05-05', pending: false, imported_id: bankId });

        const u = await t.c.imports.undo(b.actor, b.ledgerId, p.id, { force });
        expect(u.undo).toMatchObject({ forced: force, deleted: 0, restored_pending: 0 });
        expect(u.undo!.not_restored).toEqual([{ transaction_id: pending.id, reason: `it was ${changeOf(kind)} after the import; its pending values cannot be put back, so it is left as it is` }]);
        expect(await accountRows(b, b.card)).toEqual(before);
        if (kind === 'split') expect(await parts(pending.id)).toEqual([['2024-05-05', -3000], ['2024-05-05', -1550]]);
        expect(await brokenLinks(b)).toEqual([]);
        await undoPendingBatch(b, pending.batchId, pending.id, kind, ['date 2024-05-03 -> 2024-05-05', changeOf(kind)]);
      }
    });

    it(`refuses with 409 naming the row when the pending row was made a ${kind} between preview and commit; a fresh preview then says duplicate`, async () => {
      const b = await newBooks(t);
      const pending = await importPending(b);
      const p = await t.c.imports.preview(b.actor, b.ledgerId, b.card, postedAs('POST-9'));
      expect(p.rows[0]).toMatchObject({ decision: 'replace_pending', matched_transaction_id: pending.id });
      await link(b, pending.id, kind);
      const before = await accountRows(b, b.card);
      const err = await t.c.imports.commit(b.actor, b.ledgerId, p.id).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'CONFLICT', status: 409, details: { batch_status: 'stale', row_index: 0, transaction_id: pending.id } });
      expect((err as AppError).message).toContain(`row 0: the pending transaction ${pending.id} this import would replace was ${changeOf(kind)} since the preview`);
      expect(await accountRows(b, b.card)).toEqual(before);
      expect((await t.c.imports.get(b.actor, b.ledgerId, p.id)).status).toBe('previewed');

      const again = await t.c.imports.preview(b.actor, b.ledgerId, b.card, postedAs('POST-9'));
      expect(again.rows[0]).toMatchObject({ decision: 'duplicate', reason_code: 'pending_posted_linked', matched_transaction_id: pending.id });
      await t.c.imports.commit(b.actor, b.ledgerId, again.id);
      expect(await accountRows(b, b.card)).toEqual(before);
      expect(await brokenLinks(b)).toEqual([]);
    });
  }
});
