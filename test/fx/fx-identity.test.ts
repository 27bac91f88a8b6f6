// Property test: the SQL conversion (finhub_fx_convert / finhub_fx_factor, used by
// budgets and reports in bulk) gives exactly the TypeScript result (RateBook),
// including NULL exactly where TypeScript reports a missing rate, on both engines.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng, type Prng } from '../../src/demo/prng.ts';
import { allCurrencyCodes, currencyExponent, type CurrencyCode } from '../../src/money/currencies.ts';
import { divRound, MAX_MINOR, type Minor } from '../../src/money/money.ts';
import { FX_ROUNDING } from '../../src/fx/fx-math.ts';
import { RateBook, type StoredRate } from '../../src/fx/rate-book.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

const SEED = process.env.FINHUB_PROPERTY_SEED ?? 'fx-identity-1';
// Exponents 0, 2, 3 and 4 (JPY, USD/EUR/GBP, BHD, CLF).
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'BHD', 'CLF'] as CurrencyCode[];

let tdb: TestDb;
let userId: string;

beforeAll(async () => {
  tdb = await createTestDb();
  const u = await tdb.db.kysely.insertInto('users').values({ email: 'fx@example.com', display_name: 'fx', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow();
  userId = u.id;
});
afterAll(async () => tdb?.cleanup());

function randomRate(r: Prng): string {
  // Rates from 0.000000000001 to 999999.999999999999, weighted to realistic ones, with ties made likely.
  const whole = r.pick([0, 0, 1, 1, 2, 7, 110, 150, 1234, r.int(0, 999_999)]);
  const places = r.int(0, 12);
  const frac = places === 0 ? '' : String(r.int(0, 10 ** Math.min(places, 9) - 1)).padStart(Math.min(places, 9), '0') + '5'.repeat(Math.max(0, places - 9));
  const text = frac ? `${whole}.${frac}` : String(whole);
  return /^0(\.0*)?$/.test(text) ? '0.5' : text;
}

function randomDate(r: Prng): string {
  return `2024-0${r.int(1, 6)}-${String(r.int(1, 28)).padStart(2, '0')}`;
}

function randomAmount(r: Prng): bigint {
  switch (r.int(0, 4)) {
    case 0: return BigInt(r.int(-20, 20));
    case 1: return BigInt(r.int(-10_000_000, 10_000_000));
    case 2: return r.bigint(-(10n ** 12n), 10n ** 12n);
    case 3: return BigInt(r.pick([5, -5, 15, -15, 25, 50, 500, -500, 1, -1]));
    default: return r.bigint(-MAX_MINOR / 1000n, MAX_MINOR / 1000n);
  }
}

async function ledgerWithRates(r: Prng, base: CurrencyCode): Promise<{ id: string; rates: StoredRate[] }> {
  const k = tdb.db.kysely;
  const l = await k.insertInto('ledgers').values({ name: 'fx', base_currency: base, created_by: userId }).returning('id').executeTakeFirstOrThrow();
  const seen = new Set<string>();
  const rates: StoredRate[] = [];
  const n = r.int(0, 60);
  for (let i = 0; i < n; i++) {
    const from = r.pick(CURRENCIES);
    const to = r.pick(CURRENCIES.filter((c) => c !== from));
    const date = randomDate(r);
    const key = `${from}${to}${date}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rates.push({ from_currency: from, to_currency: to, rate_date: date, rate: randomRate(r) });
  }
  if (rates.length) await k.insertInto('fx_rates').values(rates.map((x) => ({ ...x, ledger_id: l.id }))).execute();
  // Read back: the stored text is what both sides use.
  const stored = await k.selectFrom('fx_rates').select(['from_currency', 'to_currency', 'rate_date', 'rate']).where('ledger_id', '=', l.id).execute();
  return { id: l.id, rates: stored };
}

describe('FX conversion: SQL and TypeScript agree', () => {
  it('fx_currencies holds exactly the exponents of src/money/currencies.ts', async () => {
    const rows = await tdb.db.kysely.selectFrom('fx_currencies').select(['code', 'exponent', 'minor_per_major']).orderBy('code').execute();
    expect(rows.map((r) => [r.code, r.exponent, BigInt(r.minor_per_major)])).toEqual(allCurrencyCodes().sort().map((c) => [c, currencyExponent(c), 10n ** BigInt(currencyExponent(c))]));
  });

  it('finhub_fx_convert equals RateBook.convert for random ledgers, rates, amounts and dates', async () => {
    const r = createPrng(SEED);
    let compared = 0;
    let missing = 0;
    const vias = new Set<string>();
    for (let ledgerNo = 0; ledgerNo < 16; ledgerNo++) {
      const base = r.pick(CURRENCIES);
      const { id, rates } = await ledgerWithRates(r, base);
      const book = new RateBook(base, rates);
      const cases = Array.from({ length: 150 }, () => ({ amount: randomAmount(r), from: r.pick(CURRENCIES), to: r.pick(CURRENCIES), on: r.chance(100) ? '2023-12-31' : randomDate(r) }));
      // Both SQL paths: the bulk pattern (factor + round_div, no range check) and finhub_fx_convert (in range only).
      const res = await sql<{ i: number; bulk: string | null; v: string | null }>`
        select i::int as i, bulk::text as bulk,
               case when bulk is null or abs(bulk) <= ${MAX_MINOR.toString()}::numeric then finhub_fx_convert(${id}::uuid, amount, f, t, d)::text end as v
          from (select c.*, finhub_fx_round_div(c.amount * x.num, x.den) as bulk
                  from unnest(${cases.map((c) => c.amount.toString())}::bigint[], ${cases.map((c) => c.from)}::text[], ${cases.map((c) => c.to)}::text[], ${cases.map((c) => c.on)}::date[])
                       with ordinality as c(amount, f, t, d, i)
                  cross join lateral finhub_fx_factor(${id}::uuid, c.f, c.t, c.d) x) q
         order by i`.execute(tdb.db.kysely);
      for (const [i, c] of cases.entries()) {
        const where = `seed ${SEED} ledger ${ledgerNo} (base ${base}) case ${i}: ${c.amount} ${c.from}→${c.to} on ${c.on}`;
        const f = book.factor(c.from, c.to, c.on);
        const row = res.rows[i]!;
        if (!f) {
          missing++;
          expect(row.bulk, where).toBeNull();
          // A zero amount needs no rate (both sides); anything else without a rate is NULL / FX_RATE_MISSING.
          expect(row.v, where).toBe(c.amount === 0n ? '0' : null);
          if (c.amount === 0n) expect(book.convert(0n as Minor, c.from, c.to, c.on)).toBe(0n);
          else expect(() => book.convert(c.amount as Minor, c.from, c.to, c.on), where).toThrow(/no exchange rate/);
          continue;
        }
        vias.add(f.via);
        const raw = divRound(c.amount * f.num, f.den, FX_ROUNDING);
        expect(row.bulk, where).toBe(raw.toString());
        if (raw <= MAX_MINOR && raw >= -MAX_MINOR) {
          expect(row.v, where).toBe(book.convert(c.amount as Minor, c.from, c.to, c.on).toString());
          compared++;
        } else {
          expect(() => book.convert(c.amount as Minor, c.from, c.to, c.on), where).toThrow(/outside the supported range/);
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(missing).toBeGreaterThan(10);
    expect([...vias].sort()).toEqual(['direct', 'identity', 'inverse', 'triangulated']);
  });

  it('a converted amount outside the stored range is an error in SQL (22003) and in TypeScript', async () => {
    const l = await tdb.db.kysely.insertInto('ledgers').values({ name: 'big', base_currency: 'USD', created_by: userId }).returning('id').executeTakeFirstOrThrow();
    await tdb.db.kysely.insertInto('fx_rates').values({ ledger_id: l.id, from_currency: 'USD', to_currency: 'JPY', rate_date: '2024-01-01', rate: '150' }).execute();
    const book = new RateBook('USD' as CurrencyCode, [{ from_currency: 'USD', to_currency: 'JPY', rate_date: '2024-01-01', rate: '150' }]);
    expect(() => book.convert(MAX_MINOR, 'USD' as CurrencyCode, 'JPY' as CurrencyCode, '2024-02-01')).toThrow(/outside the supported range/);
    await expect(sql`select finhub_fx_convert(${l.id}::uuid, ${MAX_MINOR.toString()}::bigint, 'USD', 'JPY', '2024-02-01')`.execute(tdb.db.kysely)).rejects.toMatchObject({ code: '22003' });
  });
});
