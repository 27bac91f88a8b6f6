// The duplicate matcher as a pure function: examples for each rule, and
// properties over random statements (fast-check, fixed seed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchRows, type ExistingRow, type FileRow } from '../../src/imports/flow/dedupe.ts';
import { normalizePayee, payeeKey, payeeSimilarity } from '../../src/imports/flow/payee-similarity.ts';

const A = 'acct-a';
const B = 'acct-b';
const opts = { accountId: A, windowDays: 3 };

const ex = (id: string, postedOn: string, amountMinor: bigint, more: Partial<ExistingRow> = {}): ExistingRow => ({ id, accountId: A, postedOn, amountMinor, pending: false, reconciled: false, ...more });
const fr = (postedOn: string, amountMinor: bigint, more: Partial<FileRow> = {}): FileRow => ({ postedOn, amountMinor, pending: false, ...more });

describe('payee similarity', () => {
  it('normalises case, accents, punctuation and spacing', () => {
    expect(normalizePayee('  Café  du-Monde!! ')).toBe('cafe du monde');
    expect(normalizePayee(undefined)).toBe('');
  });
  it('rates same > similar > different, and unknown as 0', () => {
    const s = (a: string, b: string) => payeeSimilarity(payeeKey(a), payeeKey(b));
    expect(s('AMAZON', 'amazon')).toBe(1);
    expect(s('AMAZON MKTPL*1A2B3C', 'Amazon')).toBeGreaterThanOrEqual(0.5);
    expect(s('WHOLEFDS MKT #102', 'Whole Foods Market')).toBeGreaterThan(0);
    expect(s('POS PURCHASE SHELL', 'POS PURCHASE STARBUCKS')).toBeLessThan(0.5);
    expect(s('', 'Amazon')).toBe(0);
  });
});

describe('matchRows: rules', () => {
  it('matches by bank id first, whatever the payee says', () => {
    const d = matchRows([fr('2024-01-02', -100n, { bankId: 'X', payee: 'Totally different' })], [ex('e1', '2024-01-02', -100n, { bankId: 'X', payee: 'Shop' })], opts);
    expect(d[0]).toMatchObject({ decision: 'duplicate', matchedId: 'e1', reasonCode: 'bank_id' });
  });

  it('reports a conflict, saying what differs, when the bank id matches but the amount or date do not', () => {
    const d = matchRows(
      [fr('2024-01-02', -150n, { bankId: 'X' }), fr('2024-03-01', -100n, { bankId: 'Y' })],
      [ex('e1', '2024-01-02', -100n, { bankId: 'X' }), ex('e2', '2024-01-01', -100n, { bankId: 'Y' })],
      { ...opts, formatAmount: (m) => (Number(m) / 100).toFixed(2) },
    );
    expect(d[0]).toMatchObject({ decision: 'conflict', matchedId: 'e1', reasonCode: 'bank_id_conflict' });
    expect(d[0]!.reason).toContain('amount -1.50 in the file vs -1.00 in finhub');
    expect(d[1]!.reason).toContain('date 2024-03-01 in the file vs 2024-01-01 in finhub (60 days apart, window ±3)');
  });

  it('never pairs two rows whose bank ids differ, except a pending row that posts', () => {
    const d = matchRows([fr('2024-01-02', -100n, { bankId: 'NEW' })], [ex('e1', '2024-01-02', -100n, { bankId: 'OLD' })], opts);
    expect(d[0]).toMatchObject({ decision: 'new', reasonCode: 'different_bank_id' });
    const p = matchRows([fr('2024-01-04', -100n, { bankId: 'NEW' })], [ex('e1', '2024-01-02', -100n, { bankId: 'OLD', pending: true })], opts);
    expect(p[0]).toMatchObject({ decision: 'replace_pending', matchedId: 'e1', reasonCode: 'pending_posted' });
  });

  it('does not replace reconciled, split or transfer rows even when pending', () => {
    for (const more of [{ reconciled: true }, { linked: true }]) {
      const d = matchRows([fr('2024-01-04', -100n)], [ex('e1', '2024-01-02', -100n, { pending: true, ...more })], opts);
      expect(d[0]!.decision).toBe('duplicate');
    }
  });

  it('matches the posted version of a split or transfer pending row as a duplicate, under a new or the same bank id', () => {
    const linked = ex('e1', '2024-01-02', -100n, { bankId: 'OLD', pending: true, linked: true });
    for (const bankId of ['NEW', 'OLD']) {
      const d = matchRows([fr('2024-01-04', -100n, { bankId })], [linked], opts);
      expect(d[0]).toMatchObject({ decision: 'duplicate', matchedId: 'e1', reasonCode: 'pending_posted_linked' });
      expect(d[0]!.reason).toContain('split or part of a transfer');
    }
    // Another amount under the same id is still a conflict; a pending file row is a plain duplicate.
    expect(matchRows([fr('2024-01-04', -120n, { bankId: 'OLD' })], [linked], opts)[0]).toMatchObject({ decision: 'conflict', reasonCode: 'bank_id_conflict' });
    expect(matchRows([fr('2024-01-02', -100n, { bankId: 'OLD', pending: true })], [linked], opts)[0]).toMatchObject({ decision: 'duplicate', reasonCode: 'bank_id' });
    // A reconciled pending row is matched by its posted version too, and kept as it is.
    expect(matchRows([fr('2024-01-04', -100n, { bankId: 'NEW' })], [{ ...linked, linked: false, reconciled: true }], opts)[0]).toMatchObject({ decision: 'duplicate', reasonCode: 'pending_posted_reconciled' });
  });

  it('respects the window, inclusive', () => {
    const e = [ex('e1', '2024-01-10', -100n)];
    expect(matchRows([fr('2024-01-13', -100n)], e, opts)[0]!.decision).toBe('duplicate');
    expect(matchRows([fr('2024-01-14', -100n)], e, opts)[0]!.decision).toBe('new');
    expect(matchRows([fr('2024-01-14', -100n)], e, { ...opts, windowDays: 4 })[0]!.decision).toBe('duplicate');
    expect(matchRows([fr('2024-01-10', -100n)], e, { ...opts, windowDays: 0 })[0]!.decision).toBe('duplicate');
  });

  it('prefers the similar payee over the nearer date, then the nearer date', () => {
    const e = [ex('near', '2024-01-10', -100n, { payee: 'Bakery' }), ex('far', '2024-01-12', -100n, { payee: 'Amazon' })];
    const d = matchRows([fr('2024-01-10', -100n, { payee: 'AMAZON MARKETPLACE' })], e, opts);
    expect(d[0]).toMatchObject({ matchedId: 'far', reasonCode: 'amount_date_payee' });
    const d2 = matchRows([fr('2024-01-11', -100n, { payee: 'Amazon' })], [ex('d2', '2024-01-13', -100n, { payee: 'Amazon' }), ex('d1', '2024-01-12', -100n, { payee: 'Amazon' })], opts);
    expect(d2[0]!.matchedId).toBe('d1');
  });

  it('assigns globally: the row that fits an existing row best gets it, the other finds its own', () => {
    // File order would give "Shop A" the first pick; the better pair wins instead.
    const e = [ex('e1', '2024-01-10', -100n, { payee: 'Shop B' }), ex('e2', '2024-01-12', -100n, { payee: 'Shop A' })];
    const d = matchRows([fr('2024-01-10', -100n, { payee: 'Shop A' }), fr('2024-01-10', -100n, { payee: 'Shop B' })], e, opts);
    expect(d.map((x) => x.matchedId)).toEqual(['e2', 'e1']);
  });

  it('keeps twin rows when there are not enough existing rows, and explains it', () => {
    const d = matchRows([fr('2024-01-10', -100n, { payee: 'Bus' }), fr('2024-01-10', -100n, { payee: 'Bus' })], [ex('e1', '2024-01-10', -100n, { payee: 'Bus' })], opts);
    expect(d.map((x) => x.decision)).toEqual(['duplicate', 'new']);
    expect(d[1]!.reasonCode).toBe('twin_rows');
  });

  it('matches a pending row to its pending copy before offering that copy to a posted twin', () => {
    const file = [fr('2024-01-10', -100n, { payee: 'Bus' }), fr('2024-01-10', -100n, { payee: 'Bus', pending: true })];
    const d = matchRows(file, [ex('e1', '2024-01-10', -100n, { payee: 'Bus', rawPayee: 'Bus', pending: true })], opts);
    expect(d.map((x) => [x.decision, x.matchedId])).toEqual([['new', undefined], ['duplicate', 'e1']]);
  });

  it('uses the bank payee text kept from an earlier import as well as the payee name', () => {
    const d = matchRows([fr('2024-01-10', -100n, { payee: 'SQ *COFFEE 123' })], [ex('e1', '2024-01-11', -100n, { payee: 'My coffee place', rawPayee: 'SQ *COFFEE 123' }), ex('e2', '2024-01-10', -100n, { payee: 'Tea' })], opts);
    expect(d[0]!.matchedId).toBe('e1');
  });

  it('stays linear-ish on hundreds of identical rows (twins beyond the candidate cap)', () => {
    const file = Array.from({ length: 300 }, () => fr('2024-01-10', -100n, { payee: 'Same' }));
    const existing = Array.from({ length: 300 }, (_, i) => ex(`e${i}`, '2024-01-10', -100n, { payee: 'Same' }));
    const d = matchRows(file, existing, opts);
    expect(d.every((x) => x.decision === 'duplicate')).toBe(true);
    expect(new Set(d.map((x) => x.matchedId)).size).toBe(300);
  });
});

// ---------------------------------------------------------------- properties

const day = fc.integer({ min: 0, max: 20 }).map((n) => new Date(Date.UTC(2024, 0, 1 + n)).toISOString().slice(0, 10));
const amount = fc.constantFrom(-100n, -250n, -999n, 500n, 120000n);
const payee = fc.option(fc.constantFrom('Amazon', 'AMAZON MKTPL*1', 'Bakery', 'Shell', 'Bus'), { nil: undefined });
const fileRow = (ids: fc.Arbitrary<string | undefined>) =>
  fc.record({ postedOn: day, amountMinor: amount, payee, bankId: ids, pending: fc.boolean() }).map((r): FileRow => ({ ...r }));
const statementRows = fc.oneof(
  // With unique bank ids, without, and with a few ids reused (banks do that).
  fc.array(fileRow(fc.constant(undefined)), { maxLength: 40 }),
  fc.array(fileRow(fc.constant(undefined)), { maxLength: 40 }).map((rs) => rs.map((r, i) => ({ ...r, bankId: `id${i}` }))),
  fc.array(fileRow(fc.option(fc.constantFrom('r1', 'r2', 'r3'), { nil: undefined })), { maxLength: 40 }),
);

/** The statement as it sits in the account after a commit. */
const committed = (rows: FileRow[], account = A): ExistingRow[] =>
  rows.map((r, i) => ({ id: `c${i}`, accountId: account, postedOn: r.postedOn, amountMinor: r.amountMinor, payee: r.payee, rawPayee: r.payee, bankId: r.bankId, pending: r.pending, reconciled: false }));

const existingRows = fc.array(
  fc.record({ postedOn: day, amountMinor: amount, payee, bankId: fc.option(fc.constantFrom('id1', 'id2', 'r1', 'x9'), { nil: undefined }), pending: fc.boolean(), reconciled: fc.boolean(), accountId: fc.constantFrom(A, A, B) }),
  { maxLength: 40 },
).map((rs) => rs.map((r, i): ExistingRow => ({ ...r, id: `e${i}` })));

const FC = { seed: 20261124, numRuns: 400 };

describe('matchRows: properties', () => {
  it('claims every existing row at most once (one-to-one across the whole statement)', () => {
    fc.assert(fc.property(statementRows, existingRows, fc.integer({ min: 0, max: 5 }), (file, existing, w) => {
      const ids = matchRows(file, existing, { accountId: A, windowDays: w }).flatMap((d) => (d.matchedId ? [d.matchedId] : []));
      expect(new Set(ids).size).toBe(ids.length);
    }), FC);
  });

  it('never matches a row of another account', () => {
    fc.assert(fc.property(statementRows, existingRows, (file, existing) => {
      const byId = new Map(existing.map((e) => [e.id, e]));
      for (const d of matchRows(file, existing, opts)) if (d.matchedId) expect(byId.get(d.matchedId)!.accountId).toBe(A);
      // Only other accounts' rows: everything is new.
      const foreign = existing.map((e) => ({ ...e, accountId: B }));
      expect(matchRows(file, foreign, opts).every((d) => d.decision === 'new')).toBe(true);
    }), FC);
  });

  it('re-importing a committed statement finds every row as a duplicate of its own copy', () => {
    fc.assert(fc.property(statementRows, fc.integer({ min: 0, max: 5 }), (file, w) => {
      const d = matchRows(file, committed(file), { accountId: A, windowDays: w });
      expect(d.map((x) => x.decision)).toEqual(file.map(() => 'duplicate'));
    }), FC);
  });

  it('with part of the statement already in the account, exactly the rest is new', () => {
    fc.assert(fc.property(statementRows, fc.func(fc.boolean()), (file, pick) => {
      const kept = file.filter((_, i) => pick(i));
      const d = matchRows(file, committed(kept), opts);
      expect(d.filter((x) => x.decision === 'duplicate').length).toBe(kept.length);
      expect(d.filter((x) => x.decision === 'new').length).toBe(file.length - kept.length);
    }), FC);
  });

  it('is deterministic and gives every row a reason', () => {
    fc.assert(fc.property(statementRows, existingRows, (file, existing) => {
      const a = matchRows(file, existing, opts);
      expect(matchRows(file, existing, opts)).toEqual(a);
      for (const d of a) {
        expect(d.reasonCode.length).toBeGreaterThan(0);
        expect(d.reason.length).toBeGreaterThan(0);
      }
    }), FC);
  });

  it('only proposes replace_pending for a pending, unreconciled row and a posted file row', () => {
    fc.assert(fc.property(statementRows, existingRows, (file, existing) => {
      const byId = new Map(existing.map((e) => [e.id, e]));
      matchRows(file, existing, opts).forEach((d, i) => {
        if (d.decision !== 'replace_pending') return;
        const e = byId.get(d.matchedId!)!;
        expect(e.pending && !e.reconciled && !file[i]!.pending).toBe(true);
      });
    }), FC);
  });
});
