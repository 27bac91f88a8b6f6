import { describe, expect, it } from 'vitest';
import { ACCOUNT_TYPES } from '../db/schema.ts';
import { isCurrencyCode } from '../money/currencies.ts';
import { MAX_MINOR, MIN_MINOR } from '../money/money.ts';
import { DEMO_TX_PER_YEAR, generateHousehold, type DemoHousehold } from './demo-data.ts';

const full = generateHousehold({ seed: 42 });
const small = generateHousehold({ seed: 'small', years: 2 });

function within(h: DemoHousehold, target: number, tolerancePct: number): void {
  const n = h.transactions.length;
  expect(n).toBeGreaterThanOrEqual((target * (100 - tolerancePct)) / 100);
  expect(n).toBeLessThanOrEqual((target * (100 + tolerancePct)) / 100);
}

describe('generateHousehold', () => {
  it('is deterministic: same options give deep-equal output', () => {
    expect(generateHousehold({ seed: 42 })).toEqual(full);
    expect(generateHousehold({ seed: 'small', years: 2 })).toEqual(small);
  });

  it('different seeds give different households', () => {
    const other = generateHousehold({ seed: 43 });
    expect(other.transactions.length).not.toBe(full.transactions.length);
    expect(other.transactions.slice(0, 50)).not.toEqual(full.transactions.slice(0, 50));
  });

  it('produces about 3,000 entries a year at scale 1, and scales', () => {
    expect(DEMO_TX_PER_YEAR * 10).toBe(30_000);
    within(full, 30_000, 15);
    within(small, 6_000, 15);
    within(generateHousehold({ seed: 1, scale: 0.34 }), 10_200, 15);
  });

  it('reaches ~200k entries at scale 6.7 in a few seconds', () => {
    const t0 = performance.now();
    const big = generateHousehold({ seed: 5, scale: 6.7 });
    const ms = performance.now() - t0;
    within(big, 201_000, 15);
    expect(ms).toBeLessThan(5_000);
  });

  it('keeps every date within [start, endDate] and in order', () => {
    for (const [h, start, end] of [[full, '2016-11-01', '2026-10-31'], [small, '2024-11-01', '2026-10-31']] as const) {
      let prev = '';
      for (const t of h.transactions) {
        expect(/^\d{4}-\d{2}-\d{2}$/.test(t.postedOn)).toBe(true);
        expect(t.postedOn >= start && t.postedOn <= end).toBe(true);
        expect(t.postedOn >= prev).toBe(true);
        prev = t.postedOn;
      }
      expect(h.transactions[0]?.postedOn).toBe(start);
      expect(h.transactions.at(-1)?.postedOn).toBe(end);
      const opened = new Map(h.accounts.map((a) => [a.key, a.openedOn]));
      for (const t of h.transactions) {
        expect(t.postedOn >= (opened.get(t.accountKey) as string)).toBe(true);
        if (t.transfer) expect(t.postedOn >= (opened.get(t.transfer.toAccountKey) as string)).toBe(true);
      }
    }
    const leap = generateHousehold({ seed: 1, years: 1, endDate: '2024-02-29', scale: 0.1 });
    expect(leap.transactions.every((t) => t.postedOn >= '2023-03-01' && t.postedOn <= '2024-02-29')).toBe(true);
  });

  it('uses only valid account types, ISO 4217 currencies and unique keys', () => {
    const keys = new Set<string>();
    for (const a of full.accounts) {
      expect(ACCOUNT_TYPES).toContain(a.type);
      expect(isCurrencyCode(a.currency)).toBe(true);
      expect(typeof a.openingBalanceMinor).toBe('bigint');
      expect(keys.has(a.key)).toBe(false);
      keys.add(a.key);
    }
    expect(new Set(full.accounts.map((a) => a.type))).toEqual(new Set(['checking', 'savings', 'credit_card', 'cash', 'investment', 'loan', 'asset']));
    expect(new Set(full.accounts.map((a) => a.currency))).toEqual(new Set(['USD', 'EUR']));
    const jpy = generateHousehold({ seed: 1, years: 1, baseCurrency: 'JPY', scale: 0.2 });
    expect(jpy.accounts.filter((a) => a.currency === 'JPY').length).toBe(jpy.accounts.length - 1);
  });

  it('uses bigint amounts within the supported range everywhere', () => {
    const ok = (v: unknown): boolean => typeof v === 'bigint' && v >= MIN_MINOR && v <= MAX_MINOR;
    for (const t of full.transactions) {
      expect(ok(t.amountMinor)).toBe(true);
      if (t.transfer) expect(ok(t.transfer.amountMinor)).toBe(true);
      for (const s of t.splits ?? []) expect(ok(s.amountMinor)).toBe(true);
    }
  });

  it('has split parts that sum exactly to the parent', () => {
    const splits = full.transactions.filter((t) => t.splits);
    expect(splits.length).toBeGreaterThan(200);
    for (const t of splits) {
      const parts = t.splits ?? [];
      expect(parts.length).toBeGreaterThanOrEqual(2);
      expect(parts.reduce((s, p) => s + p.amountMinor, 0n)).toBe(t.amountMinor);
      expect(t.category).toBeNull();
      expect(t.transfer).toBeUndefined();
    }
    // Supermarket trips split into Groceries + Household, paychecks into gross and deductions.
    expect(splits.some((t) => t.splits?.some((p) => p.category === 'Household') && t.splits.some((p) => p.category === 'Groceries'))).toBe(true);
    expect(splits.some((t) => t.splits?.some((p) => p.category === 'Salary' && p.amountMinor > t.amountMinor))).toBe(true);
  });

  it('has consistent transfer pairs, including cross-currency ones', () => {
    const currency = new Map(full.accounts.map((a) => [a.key, a.currency]));
    const transfers = full.transactions.filter((t) => t.transfer);
    let cross = 0;
    for (const t of transfers) {
      const to = t.transfer!;
      expect(currency.has(to.toAccountKey)).toBe(true);
      expect(to.toAccountKey).not.toBe(t.accountKey);
      expect(t.splits).toBeUndefined();
      if (currency.get(t.accountKey) === currency.get(to.toAccountKey)) {
        expect(to.amountMinor).toBe(-t.amountMinor);
      } else {
        cross++;
        expect(t.amountMinor < 0n && to.amountMinor > 0n).toBe(true);
      }
    }
    expect(cross).toBeGreaterThanOrEqual(3);
    const pairs = new Set(transfers.map((t) => `${t.accountKey}>${t.transfer!.toAccountKey}`));
    for (const p of ['checking>visa', 'checking>mastercard', 'checking>savings', 'checking>cash', 'checking>foreign', 'checking>mortgage', 'mortgage>house']) {
      expect(pairs.has(p)).toBe(true);
    }
  });

  it('refers only to listed payees and categories, which are unique', () => {
    const lower = full.payees.map((p) => p.toLowerCase());
    expect(new Set(lower).size).toBe(full.payees.length);
    const payees = new Set(full.payees);
    const categories = full.categoryGroups.flatMap((g) => g.categories);
    expect(new Set(categories.map((c) => c.toLowerCase())).size).toBe(categories.length);
    const catSet = new Set(categories);
    for (const t of full.transactions) {
      if (t.payee !== null) expect(payees.has(t.payee)).toBe(true);
      if (t.category !== null) expect(catSet.has(t.category)).toBe(true);
      for (const s of t.splits ?? []) expect(catSet.has(s.category)).toBe(true);
      expect(['uncleared', 'cleared', 'reconciled']).toContain(t.cleared);
    }
    expect(full.categoryGroups.filter((g) => g.isIncome).map((g) => g.name)).toEqual(['Income']);
  });

  it('looks like a household: salaries, rent then mortgage, refunds, tags, notes', () => {
    const tx = full.transactions;
    const salaryPayees = new Set(tx.filter((t) => t.category === 'Salary' || t.splits?.some((s) => s.category === 'Salary')).map((t) => t.payee));
    expect(salaryPayees.size).toBeGreaterThanOrEqual(2);
    const lastRent = tx.filter((t) => t.category === 'Rent').at(-1)!.postedOn;
    const firstInterest = tx.find((t) => t.category === 'Mortgage Interest')!.postedOn;
    expect(lastRent < firstInterest).toBe(true);
    const refunds = tx.filter((t) => t.amountMinor > 0n && ['Household', 'Clothing', 'Electronics', 'Books', 'Gifts', 'Personal Care'].includes(t.category ?? ''));
    expect(refunds.length).toBeGreaterThan(20);
    expect(tx.some((t) => t.tags.includes('vacation'))).toBe(true);
    expect(tx.some((t) => t.tags.includes('reimbursable'))).toBe(true);
    expect(tx.filter((t) => t.notes !== null).length).toBeGreaterThan(1000);
    const groceries = tx.filter((t) => t.category === 'Groceries' || t.splits?.some((s) => s.category === 'Groceries'));
    expect(groceries.length / 10).toBeGreaterThan(100); // ~2-3 trips a week
    expect(new Set(groceries.map((t) => t.payee)).size).toBeGreaterThanOrEqual(5);
    // Netflix changes its price at least once over ten years.
    expect(new Set(tx.filter((t) => t.payee === 'Netflix').map((t) => t.amountMinor)).size).toBeGreaterThan(1);
  });

  it('rejects bad options', () => {
    expect(() => generateHousehold({ seed: 1, years: 0 })).toThrow(RangeError);
    expect(() => generateHousehold({ seed: 1, years: 1.5 })).toThrow(RangeError);
    expect(() => generateHousehold({ seed: 1, scale: 0 })).toThrow(RangeError);
    expect(() => generateHousehold({ seed: 1, baseCurrency: 'XXX' })).toThrow(RangeError);
    expect(() => generateHousehold({ seed: 1, endDate: '2026-02-30' })).toThrow(RangeError);
  });
});
