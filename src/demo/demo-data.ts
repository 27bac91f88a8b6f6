// A deterministic, pure generator of a realistic household's books: two
// salaries with yearly raises, rent then a mortgage, utilities, groceries,
// dining, fuel, subscriptions whose prices change, insurance, two credit cards
// paid monthly from checking, savings sweeps, a brokerage account, cash, a
// euro account fed by cross-currency transfers, vacations and reimbursable
// business trips, refunds, and split transactions.
//
// Nothing here touches a database or the clock: the same options give a
// deep-equal result. Money is bigint minor units throughout; the PRNG only
// yields integers and every proportion is integer arithmetic (src/money).
import type { AccountType, ClearedState } from '../db/schema.ts';
import { currencyExponent, isCurrencyCode, type CurrencyCode } from '../money/currencies.ts';
import { allocate, divRound, type Minor } from '../money/money.ts';
import { Prng, type Seed } from './prng.ts';

export interface DemoAccount {
  key: string;
  name: string;
  type: AccountType;
  currency: string;
  openingBalanceMinor: bigint;
  openedOn: string;
}

export interface DemoCategoryGroup {
  name: string;
  isIncome: boolean;
  categories: string[];
}

export interface DemoSplit {
  amountMinor: bigint;
  category: string;
  notes?: string;
}

export interface DemoTransfer {
  toAccountKey: string;
  /** Amount on the receiving side, in that account's currency (minor units). */
  amountMinor: bigint;
}

export interface DemoTx {
  accountKey: string;
  postedOn: string;
  amountMinor: bigint;
  payee: string | null;
  category: string | null;
  notes: string | null;
  tags: string[];
  cleared: ClearedState;
  transfer?: DemoTransfer;
  splits?: DemoSplit[];
}

export interface DemoHousehold {
  accounts: DemoAccount[];
  categoryGroups: DemoCategoryGroup[];
  payees: string[];
  transactions: DemoTx[];
}

export interface GenerateHouseholdOptions {
  seed: Seed;
  /** Whole years of history ending at endDate (default 10). */
  years?: number;
  /** Last day of history, 'YYYY-MM-DD' (default '2026-10-31'). */
  endDate?: string;
  /** Volume multiplier: 1 ≈ DEMO_TX_PER_YEAR entries a year; 0.34 ≈ 10k and 6.7 ≈ 200k over 10 years. */
  scale?: number;
  /** ISO 4217 code of the household's main accounts (default 'USD'). */
  baseCurrency?: string;
}

/** Target number of DemoTx entries per year at scale 1 (transfers and splits count once). */
export const DEMO_TX_PER_YEAR = 3000;

const CATEGORY_GROUPS: readonly DemoCategoryGroup[] = [
  { name: 'Income', isIncome: true, categories: ['Salary', 'Bonus', 'Interest', 'Dividends', 'Reimbursements', 'Other Income'] },
  { name: 'Housing', isIncome: false, categories: ['Rent', 'Mortgage Interest', 'Property Tax', 'Home Insurance', 'Home Maintenance', 'Closing Costs'] },
  { name: 'Utilities', isIncome: false, categories: ['Electricity', 'Gas & Heating', 'Water', 'Internet', 'Mobile Phone'] },
  { name: 'Food', isIncome: false, categories: ['Groceries', 'Restaurants', 'Takeout', 'Coffee Shops', 'Convenience'] },
  { name: 'Transportation', isIncome: false, categories: ['Fuel', 'Parking', 'Public Transit', 'Rideshare', 'Car Maintenance', 'Car Insurance'] },
  { name: 'Subscriptions', isIncome: false, categories: ['Streaming', 'Music', 'Cloud Storage', 'News', 'Gym', 'Memberships'] },
  { name: 'Shopping', isIncome: false, categories: ['Household', 'Clothing', 'Electronics', 'Personal Care', 'Gifts', 'Books'] },
  { name: 'Health', isIncome: false, categories: ['Pharmacy', 'Doctor', 'Dental', 'Health Insurance', 'Life Insurance'] },
  { name: 'Leisure', isIncome: false, categories: ['Movies', 'Events', 'Hobbies', 'Pet Food', 'Vet'] },
  { name: 'Travel', isIncome: false, categories: ['Flights', 'Lodging', 'Car Rental', 'Vacation Activities'] },
  { name: 'Financial', isIncome: false, categories: ['Income Tax', 'Bank Fees', 'Charity'] },
];

// ---------------------------------------------------------------------------
// Calendar

interface Day {
  iso: string;
  y: number;
  m: number; // 1..12
  d: number;
  dow: number; // 0 = Sunday
  dim: number; // days in month
}

const DAY_MS = 86_400_000;

function parseIsoDate(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new RangeError(`"${s}" is not a YYYY-MM-DD date`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`"${s}" is not a valid date`);
  }
  return t;
}

function buildCalendar(startMs: number, endMs: number): Day[] {
  const days: Day[] = [];
  for (let t = startMs; t <= endMs; t += DAY_MS) {
    const dt = new Date(t);
    const y = dt.getUTCFullYear();
    const m = dt.getUTCMonth() + 1;
    const d = dt.getUTCDate();
    const dim = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    days.push({ iso, y, m, d, dow: dt.getUTCDay(), dim });
  }
  return days;
}

// ---------------------------------------------------------------------------
// Currency handling: prices are written in US cents and converted to the
// account currency through a rough integer price level (units per USD, ×1000).

const PRICE_LEVEL_MILLI: Readonly<Record<string, bigint>> = {
  USD: 1000n, EUR: 920n, GBP: 790n, CHF: 880n, CAD: 1370n, AUD: 1520n, NZD: 1650n, JPY: 150_000n,
  SEK: 10_500n, NOK: 10_700n, DKK: 6_900n, PLN: 4_000n, CZK: 23_000n, INR: 83_000n, MXN: 17_000n,
  BRL: 5_000n, ZAR: 18_500n, SGD: 1350n, HKD: 7_800n, CNY: 7_200n, KRW: 1_330_000n,
  BHD: 377n, KWD: 307n, OMR: 385n, JOD: 709n, ISK: 138_000n, HUF: 360_000n, CLP: 930_000n,
};

interface Converter {
  num: bigint;
  den: bigint;
}

function converterFor(code: CurrencyCode): Converter {
  const level = PRICE_LEVEL_MILLI[code] ?? 1000n;
  const e = BigInt(currencyExponent(code));
  // minor = cents × level/1000 × 10^e / 100
  return { num: level * 10n ** e, den: 100_000n };
}

const ppm = 1_000_000n;

/** 920000n → "0.9200"; keeps all six places when they matter (0.006133). */
function formatPpm(v: bigint): string {
  const whole = v / ppm;
  const frac = (v % ppm).toString().padStart(6, '0').replace(/0{1,2}$/, '');
  return `${whole}.${frac.padEnd(4, '0')}`;
}

// ---------------------------------------------------------------------------
// Discretionary spending catalogue

type SpendAccount = 'visa' | 'mastercard' | 'checking' | 'cash';

interface SpendKind {
  id: string;
  weight: number; // relative events per year at scale 1
  category: string | readonly string[];
  payees: readonly string[];
  min: number; // US cents at the start year's prices
  max: number;
  cashOk?: boolean;
  refundable?: boolean;
  notes?: readonly string[];
  tags?: readonly string[];
  accounts?: readonly (readonly [SpendAccount, number])[];
  afterPurchaseOnly?: boolean;
}

const CARD_MIX: readonly (readonly [SpendAccount, number])[] = [['visa', 58], ['mastercard', 20], ['checking', 14], ['cash', 8]];

const KINDS: readonly SpendKind[] = [
  { id: 'coffee', weight: 260, category: 'Coffee Shops', payees: ['Starbucks', 'Blue Bottle Coffee', 'Corner Espresso Bar', "Dunkin'"], min: 325, max: 820, cashOk: true },
  { id: 'takeout', weight: 180, category: 'Takeout', payees: ['Chipotle', 'Sweetgreen', 'Panera Bread', 'Five Guys', 'Subway', 'Pho Saigon', "Domino's Pizza"], min: 900, max: 3200, cashOk: true, notes: ['Lunch', 'Team lunch', 'Late dinner'] },
  { id: 'restaurant', weight: 80, category: 'Restaurants', payees: ['The Olive Tree', 'Sakura Sushi', "Luigi's Trattoria", 'Blue Plate Diner', 'El Camino Cantina', 'The Local Tap House', 'Golden Dragon'], min: 2800, max: 11000, notes: ['Birthday dinner', 'Date night', 'Dinner with the Parkers', 'Anniversary', 'Brunch'] },
  { id: 'convenience', weight: 100, category: 'Convenience', payees: ['7-Eleven', 'Wawa', 'Circle K'], min: 250, max: 1850, cashOk: true },
  { id: 'fuel', weight: 45, category: 'Fuel', payees: ['Shell', 'Chevron', 'ExxonMobil', 'Costco Gas'], min: 2800, max: 7600, accounts: [['visa', 70], ['mastercard', 20], ['checking', 10]] },
  { id: 'parking', weight: 60, category: 'Parking', payees: ['City Parking Meter', 'SpotHero', 'ParkMobile'], min: 200, max: 2600, cashOk: true },
  { id: 'transit', weight: 100, category: 'Public Transit', payees: ['Metro Transit'], min: 275, max: 2000, accounts: [['visa', 60], ['checking', 40]] },
  { id: 'rideshare', weight: 30, category: 'Rideshare', payees: ['Uber', 'Lyft'], min: 900, max: 4800, notes: ['Airport ride', 'Ride home'] },
  { id: 'household', weight: 35, category: 'Household', payees: ['Target', 'HomeGoods', 'IKEA', 'The Container Store'], min: 1200, max: 9000, refundable: true },
  { id: 'clothing', weight: 25, category: 'Clothing', payees: ['Uniqlo', 'Old Navy', 'Nordstrom', 'Gap', 'REI'], min: 2000, max: 12000, refundable: true, notes: ['Winter jacket', 'Running shoes', 'Work clothes'] },
  { id: 'electronics', weight: 3, category: 'Electronics', payees: ['Best Buy', 'Apple Store', 'B&H Photo'], min: 2500, max: 60000, refundable: true, notes: ['New headphones', 'Laptop charger', 'Phone case', 'Monitor'] },
  { id: 'personal', weight: 30, category: 'Personal Care', payees: ['CVS Pharmacy', 'Sephora', 'Great Clips', 'Walgreens'], min: 800, max: 8500, cashOk: true },
  { id: 'gifts', weight: 15, category: 'Gifts', payees: ['Etsy', 'Barnes & Noble', '1-800-Flowers', 'Target'], min: 2000, max: 10000, notes: ["Mom's birthday", 'Wedding gift', 'Baby shower', 'Holiday gifts'] },
  { id: 'amazon', weight: 70, category: ['Household', 'Electronics', 'Books', 'Clothing', 'Personal Care', 'Gifts'], payees: ['Amazon'], min: 899, max: 8000, refundable: true },
  { id: 'pharmacy', weight: 20, category: 'Pharmacy', payees: ['CVS Pharmacy', 'Walgreens'], min: 600, max: 6000, notes: ['Prescription refill', 'Allergy medicine'] },
  { id: 'doctor', weight: 6, category: 'Doctor', payees: ['Dr. Alvarez Family Practice', 'Urgent Care Plus'], min: 2500, max: 15000, notes: ['Copay', 'Annual physical'], tags: ['hsa'] },
  { id: 'dental', weight: 2, category: 'Dental', payees: ['Bright Smile Dental'], min: 4000, max: 30000, tags: ['hsa'] },
  { id: 'movies', weight: 15, category: 'Movies', payees: ['AMC Theatres', 'Regal Cinemas'], min: 1400, max: 5500 },
  { id: 'events', weight: 4, category: 'Events', payees: ['Ticketmaster', 'Eventbrite'], min: 4500, max: 32000, notes: ['Concert tickets', 'Theater tickets', 'Ball game'] },
  { id: 'books', weight: 15, category: 'Books', payees: ['Barnes & Noble', 'Kindle Store'], min: 299, max: 3500 },
  { id: 'hobbies', weight: 15, category: 'Hobbies', payees: ['Michaels', 'Guitar Center', 'REI'], min: 1000, max: 12000 },
  { id: 'petfood', weight: 18, category: 'Pet Food', payees: ['Chewy', 'PetSmart'], min: 2500, max: 9500 },
  { id: 'vet', weight: 2, category: 'Vet', payees: ['Happy Paws Veterinary'], min: 6000, max: 45000, notes: ['Annual checkup', 'Vaccines'] },
  { id: 'hardware', weight: 20, category: 'Home Maintenance', payees: ['Home Depot', "Lowe's", 'Ace Hardware'], min: 800, max: 25000, afterPurchaseOnly: true, notes: ['Paint', 'Garden supplies', 'Faucet repair'] },
  { id: 'carcare', weight: 3, category: 'Car Maintenance', payees: ['Jiffy Lube', 'Firestone Complete Auto Care', 'Discount Tire'], min: 4500, max: 90000, notes: ['Oil change', 'New tires', 'Brake pads', 'State inspection'], accounts: [['visa', 60], ['checking', 40]] },
  { id: 'charity', weight: 6, category: 'Charity', payees: ['American Red Cross', 'Local Food Bank', 'Wikimedia Foundation'], min: 1000, max: 25000, tags: ['tax-deductible'], accounts: [['visa', 50], ['checking', 50]] },
  { id: 'market', weight: 10, category: 'Groceries', payees: ['Farmers Market'], min: 800, max: 4500, cashOk: true, accounts: [['cash', 80], ['checking', 20]] },
];

const VACATION_KINDS = new Set(['coffee', 'takeout', 'restaurant', 'convenience', 'rideshare', 'movies', 'events', 'books', 'parking']);

const GROCERY_STORES: readonly (readonly [string, number, number, number])[] = [
  // payee, weight, min cents, max cents
  ['Whole Foods Market', 18, 2500, 21000],
  ["Trader Joe's", 24, 2000, 14000],
  ['Safeway', 16, 1500, 18000],
  ['Kroger', 12, 1500, 18000],
  ['Costco', 10, 9000, 42000],
  ['Target', 8, 2000, 16000],
  ['Walmart', 6, 2000, 16000],
  ['Aldi', 6, 1500, 9000],
];
const SPLIT_STORES = new Set(['Costco', 'Target', 'Walmart']);

const EURO_SHOPS: readonly (readonly [string, string])[] = [
  ['Zalando', 'Clothing'], ['Bol.com', 'Household'], ['Thalia', 'Books'], ['Deutsche Bahn', 'Public Transit'], ['Fleurop', 'Gifts'],
];
const EURO_VACATION: readonly (readonly [string, string, number, number])[] = [
  ['Café de Flore', 'Coffee Shops', 450, 1800],
  ['Trattoria da Mario', 'Restaurants', 3500, 12000],
  ['Brasserie Lipp', 'Restaurants', 4500, 16000],
  ['Carrefour City', 'Groceries', 800, 4500],
  ['Musée d\'Orsay', 'Vacation Activities', 1600, 4800],
  ['SNCF', 'Public Transit', 1900, 16000],
  ['Boulangerie Paul', 'Coffee Shops', 300, 1400],
  ['Uber', 'Rideshare', 900, 4200],
];
const DOMESTIC_DESTINATIONS = ['San Diego', 'Asheville', 'Lake Tahoe', 'Maui', 'Chicago', 'Santa Fe', 'Portland', 'Savannah', 'Yellowstone', 'Miami'];
const EUROPE_DESTINATIONS = ['Paris', 'Rome', 'Barcelona', 'Lisbon', 'Berlin', 'Amsterdam', 'Vienna'];
const BUSINESS_CITIES = ['Denver', 'Boston', 'Atlanta', 'Seattle', 'Austin', 'New York', 'Minneapolis', 'Phoenix'];

const EMPLOYER_A = 'Northwind Analytics';
const EMPLOYER_A2 = 'Contoso Health Systems';
const EMPLOYER_B = 'Riverside Medical Center';

// ---------------------------------------------------------------------------

interface Trip {
  start: number;
  end: number;
  europe: boolean;
  business: boolean;
  place: string;
  expenses: bigint;
}

/** Generates a household; pure and deterministic for the given options. */
export function generateHousehold(options: GenerateHouseholdOptions): DemoHousehold {
  const years = options.years ?? 10;
  const endDate = options.endDate ?? '2026-10-31';
  const scale = options.scale ?? 1;
  const baseCode = options.baseCurrency ?? 'USD';
  if (!Number.isSafeInteger(years) || years < 1 || years > 100) throw new RangeError('years must be an integer between 1 and 100');
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) throw new RangeError('scale must be a number in (0, 1000]');
  if (!isCurrencyCode(baseCode)) throw new RangeError(`unknown currency ${baseCode}`);
  const foreignCode = (baseCode === 'EUR' ? 'GBP' : 'EUR') as CurrencyCode;
  const endMs = parseIsoDate(endDate);
  const endDt = new Date(endMs);
  const startMs = Date.UTC(endDt.getUTCFullYear() - years, endDt.getUTCMonth(), endDt.getUTCDate() + 1);
  const days = buildCalendar(startMs, endMs);
  const last = days.length - 1;
  const startYear = (days[0] as Day).y;
  const dayAt = (i: number): Day => days[i] as Day;
  const indexOf = (y: number, m: number, d: number): number => {
    const i = (Date.UTC(y, m - 1, d) - startMs) / DAY_MS;
    return i >= 0 && i <= last ? i : -1;
  };
  const prevBusinessDay = (i: number): number => {
    let j = i;
    while (j > 0 && (dayAt(j).dow === 0 || dayAt(j).dow === 6)) j--;
    return j;
  };

  // Scale as an integer per-mille for the integer rate arithmetic below.
  const scaleMilli = Math.max(1, Math.trunc(scale * 1000 + 0.5));
  const rng = new Prng(options.seed);
  const planRng = rng.fork('plan');

  const base = converterFor(baseCode);
  const foreign = converterFor(foreignCode);

  // Consumer price index per calendar year (ppm of start-year prices).
  const lastYear = dayAt(last).y;
  const cpi: bigint[] = [];
  {
    let idx = ppm;
    for (let y = startYear; y <= lastYear; y++) {
      cpi.push(idx);
      idx = divRound(idx * (ppm + BigInt(planRng.int(15_000, 48_000))), ppm);
    }
  }
  const cpiAt = (i: number): bigint => cpi[dayAt(i).y - startYear] as bigint;
  /** US cents at start-year prices → base minor units on day i. */
  const price = (cents: number | bigint, i: number): bigint =>
    divRound(BigInt(cents) * cpiAt(i) * base.num, ppm * base.den);
  const priceForeign = (cents: number | bigint, i: number): bigint =>
    divRound(BigInt(cents) * cpiAt(i) * foreign.num, ppm * foreign.den);
  /** Flat (non-inflated) conversion for amounts already set in the past. */
  const flat = (cents: number | bigint): bigint => divRound(BigInt(cents) * base.num, base.den);
  const roundTo = (v: bigint, unit: bigint): bigint => divRound(v, unit, 'half-up') * unit;
  const hundred = flat(10_000); // 100 units of the base currency, for rounding transfers

  // Savings interest (basis points APY) per calendar year, and the starting FX rate (ppm of foreign units per base unit).
  const savingsApy: number[] = [];
  {
    let apy = planRng.int(40, 150);
    for (let y = startYear; y <= lastYear; y++) {
      savingsApy.push(apy);
      apy = Math.min(480, Math.max(25, apy + planRng.int(-90, 140)));
    }
  }
  const fxBase = divRound(920_000n * (PRICE_LEVEL_MILLI[foreignCode] ?? 1000n) * 1000n, 920n * (PRICE_LEVEL_MILLI[baseCode] ?? 1000n));
  let fxRate = fxBase; // ppm of foreign major units per base major unit

  // ---- Accounts -----------------------------------------------------------
  const purchaseIdx = (() => {
    const target = Math.trunc((days.length * 2) / 5);
    const dd = dayAt(target);
    const i = indexOf(dd.y, dd.m, 20);
    return prevBusinessDay(i >= 0 ? i : target);
  })();
  const startIso = dayAt(0).iso;
  const purchaseIso = dayAt(purchaseIdx).iso;

  const accounts: DemoAccount[] = [
    { key: 'checking', name: 'Joint Checking', type: 'checking', currency: baseCode, openingBalanceMinor: price(planRng.int(250_000, 600_000), 0), openedOn: startIso },
    { key: 'savings', name: 'High-Yield Savings', type: 'savings', currency: baseCode, openingBalanceMinor: price(planRng.int(1_800_000, 3_500_000), 0), openedOn: startIso },
    { key: 'visa', name: 'Visa Rewards Card', type: 'credit_card', currency: baseCode, openingBalanceMinor: -price(planRng.int(40_000, 180_000), 0), openedOn: startIso },
    { key: 'mastercard', name: 'Travel Mastercard', type: 'credit_card', currency: baseCode, openingBalanceMinor: -price(planRng.int(5_000, 60_000), 0), openedOn: startIso },
    { key: 'cash', name: 'Wallet', type: 'cash', currency: baseCode, openingBalanceMinor: price(planRng.int(4_000, 16_000), 0), openedOn: startIso },
    { key: 'brokerage', name: 'Index Fund Brokerage', type: 'investment', currency: baseCode, openingBalanceMinor: price(planRng.int(500_000, 2_500_000), 0), openedOn: startIso },
    { key: 'foreign', name: foreignCode === 'EUR' ? 'Euro Account' : `${foreignCode} Account`, type: 'checking', currency: foreignCode, openingBalanceMinor: priceForeign(planRng.int(40_000, 150_000), 0), openedOn: startIso },
    { key: 'mortgage', name: 'Home Mortgage', type: 'loan', currency: baseCode, openingBalanceMinor: 0n, openedOn: purchaseIso },
    { key: 'house', name: 'Family Home', type: 'asset', currency: baseCode, openingBalanceMinor: 0n, openedOn: purchaseIso },
  ];
  const balance = new Map<string, bigint>(accounts.map((a) => [a.key, a.openingBalanceMinor]));
  const bal = (key: string): bigint => balance.get(key) ?? 0n;

  // ---- Output and bookkeeping -----------------------------------------------
  const out: DemoTx[] = [];
  const payeeSet = new Map<string, string>(); // lower-case → name as first used
  const notePayee = (name: string | null): void => {
    if (name === null) return;
    const k = name.toLowerCase();
    const had = payeeSet.get(k);
    if (had === undefined) payeeSet.set(k, name);
    else if (had !== name) throw new Error(`payee "${name}" clashes with "${had}"`);
  };

  const clearedFor = (account: string, i: number): ClearedState => {
    const age = last - i;
    if (account === 'cash') return 'cleared';
    if (age > 45) return 'reconciled';
    if (age > 4) return rng.chance(970) ? 'cleared' : 'uncleared';
    return rng.chance(250) ? 'cleared' : 'uncleared';
  };

  interface Emit {
    account: string;
    i: number;
    amount: bigint;
    payee?: string | null;
    category?: string | null;
    notes?: string | null;
    tags?: readonly string[];
    splits?: DemoSplit[];
    transfer?: DemoTransfer;
  }
  let currentDay = 0; // the day being generated; entries are emitted in date order
  const emit = (e: Emit): DemoTx => {
    if (e.i !== currentDay) throw new Error(`internal: entry for day ${e.i} emitted on day ${currentDay}`);
    const tx: DemoTx = {
      accountKey: e.account,
      postedOn: dayAt(e.i).iso,
      amountMinor: e.amount,
      payee: e.payee ?? null,
      category: e.splits ? null : (e.category ?? null),
      notes: e.notes ?? null,
      tags: e.tags ? [...e.tags] : [],
      cleared: clearedFor(e.account, e.i),
    };
    if (e.transfer) tx.transfer = e.transfer;
    if (e.splits) tx.splits = e.splits;
    notePayee(tx.payee);
    out.push(tx);
    balance.set(e.account, bal(e.account) + e.amount);
    if (e.transfer) balance.set(e.transfer.toAccountKey, bal(e.transfer.toAccountKey) + e.transfer.amountMinor);
    return tx;
  };
  const transfer = (from: string, to: string, i: number, amount: bigint, notes: string, toAmount = amount, tags?: readonly string[]): void => {
    if (amount <= 0n) return;
    emit({ account: from, i, amount: -amount, notes, transfer: { toAccountKey: to, amountMinor: toAmount }, ...(tags ? { tags } : {}) });
  };

  // Per-day agenda of scheduled work, run before the day's discretionary spending.
  const agenda: (Array<() => void> | undefined)[] = new Array(days.length);
  const at = (i: number, fn: () => void): void => {
    if (i < 0 || i > last) return;
    (agenda[i] ??= []).push(fn);
  };
  const monthStarts: number[] = [];
  for (let i = 0; i <= last; i++) if (dayAt(i).d === 1 || i === 0) monthStarts.push(i);
  interface Schedule { from?: number; to?: number; business?: boolean; everyMonths?: number; phase?: number; month?: number }
  /** Runs fn on day-of-month dom (clamped to the month's length, optionally moved back to a weekday) of every month in [from, to]. */
  const monthly = (dom: number, fn: (i: number) => void, opts: Schedule = {}): void => {
    const from = opts.from ?? 0;
    const to = opts.to ?? last;
    for (const ms of monthStarts) {
      const d0 = dayAt(ms);
      if (opts.month !== undefined && d0.m !== opts.month) continue;
      if (opts.everyMonths && (d0.y * 12 + d0.m + (opts.phase ?? 0)) % opts.everyMonths !== 0) continue;
      let i = indexOf(d0.y, d0.m, Math.min(dom, d0.dim));
      if (i < 0) continue;
      if (opts.business) i = prevBusinessDay(i);
      if (i >= from && i <= to) at(i, () => fn(i));
    }
  };
  const yearly = (month: number, dom: number, fn: (i: number) => void, opts: Omit<Schedule, 'month'> = {}): void => {
    monthly(dom, fn, { ...opts, month });
  };

  // ---- Income -------------------------------------------------------------
  const incomeBoost = BigInt(Math.max(1000, scaleMilli)); // bigger volumes get bigger paychecks
  const jobChangeIdx = Math.trunc((days.length * 3) / 5) + planRng.int(-60, 60);
  let grossA = divRound(price(planRng.int(8_800_000, 10_500_000), 0) * incomeBoost, 1000n);
  let taxBpA = BigInt(planRng.int(2050, 2450));
  let healthA = price(planRng.int(15_000, 21_000), 0);
  let netB = divRound(price(planRng.int(380_000, 470_000), 0) * incomeBoost, 1000n);
  const employerA = (i: number): string => (i < jobChangeIdx ? EMPLOYER_A : EMPLOYER_A2);

  const paycheckA = (i: number): void => {
    const gross = divRound(grossA, 24n);
    const tax = divRound(gross * taxBpA, 10_000n);
    const net = gross - tax - healthA;
    emit({
      account: 'checking', i, amount: net, payee: employerA(i), notes: 'Payroll deposit',
      splits: [
        { amountMinor: gross, category: 'Salary' },
        { amountMinor: -tax, category: 'Income Tax', notes: 'Federal and state withholding' },
        { amountMinor: -healthA, category: 'Health Insurance', notes: 'Medical/dental premium' },
      ],
    });
  };
  monthly(15, paycheckA, { business: true });
  monthly(31, paycheckA, { business: true });
  monthly(31, (i) => emit({ account: 'checking', i, amount: netB, payee: EMPLOYER_B, category: 'Salary', notes: rng.chance(100) ? 'Includes overtime' : null }), { business: true });
  // Raises: A in March, B in July; A changes jobs once with a bigger step.
  yearly(3, 1, () => {
    grossA = divRound(grossA * BigInt(10_000 + rng.int(200, 600)), 10_000n);
    taxBpA = BigInt(Math.min(2800, Number(taxBpA) + rng.int(-20, 40)));
    healthA = divRound(healthA * BigInt(10_000 + rng.int(300, 900)), 10_000n);
  });
  yearly(7, 1, () => { netB = divRound(netB * BigInt(10_000 + rng.int(150, 500)), 10_000n); });
  at(jobChangeIdx, () => { grossA = divRound(grossA * BigInt(10_000 + rng.int(800, 1600)), 10_000n); });
  yearly(12, 15, (i) => {
    const bonus = divRound(grossA * BigInt(rng.int(400, 1200)), 10_000n);
    emit({ account: 'checking', i, amount: bonus - divRound(bonus * 3_200n, 10_000n), payee: employerA(i), category: 'Bonus', notes: 'Annual bonus (net of withholding)' });
  }, { business: true });
  // Tax refund in spring, sometimes a payment instead.
  yearly(4, 5, (i) => {
    const amt = price(rng.int(-180_000, 320_000), i);
    if (amt !== 0n) emit({ account: 'checking', i, amount: amt, payee: amt > 0n ? 'IRS Treasury' : 'IRS Direct Pay', category: 'Income Tax', notes: amt > 0n ? 'Tax refund' : 'Balance due' });
  });

  // ---- Housing ----------------------------------------------------------------
  let rent = price(planRng.int(175_000, 225_000), 0);
  monthly(1, (i) => emit({ account: 'checking', i, amount: -rent, payee: 'Maple Court Apartments', category: 'Rent' }), { to: purchaseIdx });
  yearly(dayAt(0).m, 1, () => { rent = roundTo(divRound(rent * BigInt(10_000 + rng.int(150, 550)), 10_000n), flat(500)); }, { to: purchaseIdx });
  monthly(12, (i) => emit({ account: 'visa', i, amount: -price(1800, 0), payee: 'Lemonade Insurance', category: 'Home Insurance', notes: 'Renters insurance' }), { to: purchaseIdx });

  // Purchase: down payment from savings, mortgage disbursed into the house asset.
  const housePrice = roundTo(price(planRng.int(30_000_000, 38_000_000), purchaseIdx), flat(100_000));
  const mortgageRateBp = BigInt(planRng.int(325, 690));
  let mortgagePayment = 0n;
  at(purchaseIdx, () => {
    const i = purchaseIdx;
    // 20% down if savings allow; otherwise sell index funds to reach at least 10%.
    const wanted = divRound(housePrice * 20n, 100n);
    const floor = divRound(housePrice * 10n, 100n);
    let fromSavings = roundTo(bal('savings') - flat(1_000_000), flat(100_000));
    if (fromSavings > wanted) fromSavings = wanted;
    if (fromSavings < 0n) fromSavings = 0n;
    let fromBrokerage = floor - fromSavings;
    if (fromBrokerage > bal('brokerage')) fromBrokerage = roundTo(bal('brokerage') - hundred, hundred);
    transfer('savings', 'house', i, fromSavings, 'Down payment');
    transfer('brokerage', 'house', i, fromBrokerage, 'Down payment – sold index funds');
    const loan = housePrice - (fromSavings > 0n ? fromSavings : 0n) - (fromBrokerage > 0n ? fromBrokerage : 0n);
    transfer('mortgage', 'house', i, loan, `Mortgage disbursement, ${mortgageRateBp / 100n}.${String(mortgageRateBp % 100n).padStart(2, '0')}% fixed 30y`);
    emit({ account: 'checking', i, amount: -divRound(housePrice * BigInt(rng.int(180, 320)), 10_000n), payee: 'Title & Escrow Services', category: 'Closing Costs', notes: 'Closing costs' });
    // Level payment: L·r·f / (f − 1) with f = (1 + r)^360, in 1e18 fixed point.
    const S = 10n ** 18n;
    const r = (mortgageRateBp * S) / 120_000n;
    let f = S;
    for (let k = 0; k < 360; k++) f = (f * (S + r)) / S;
    mortgagePayment = divRound(loan * r * f, S * (f - S), 'ceiling');
  });
  monthly(1, (i) => {
    const owed = -bal('mortgage');
    if (owed <= 0n) return;
    const interest = divRound(owed * mortgageRateBp, 120_000n);
    emit({ account: 'mortgage', i, amount: -interest, payee: 'First Harbor Mortgage', category: 'Mortgage Interest' });
    const pay = owed + interest < mortgagePayment ? owed + interest : mortgagePayment;
    transfer('checking', 'mortgage', i, pay, 'Mortgage payment');
  }, { from: purchaseIdx + 1 });
  yearly(1, 20, (i) => {
    if (!rng.chance(350) || bal('mortgage') >= 0n) return;
    const extra = roundTo(price(rng.int(200_000, 1_000_000), i), hundred);
    transfer('savings', 'mortgage', i, extra < -bal('mortgage') ? extra : -bal('mortgage'), 'Extra principal payment');
  }, { from: purchaseIdx + 1 });
  const propertyTax = (i: number): void => {
    emit({ account: 'checking', i, amount: -divRound(housePrice * BigInt(rng.int(45, 62)), 10_000n), payee: 'County Tax Collector', category: 'Property Tax', tags: ['tax-deductible'] });
  };
  yearly(4, 10, propertyTax, { from: purchaseIdx + 1 });
  yearly(10, 10, propertyTax, { from: purchaseIdx + 1 });
  yearly(dayAt(purchaseIdx).m, 25, (i) => {
    emit({ account: 'checking', i, amount: -price(rng.int(110_000, 170_000), i), payee: 'State Farm', category: 'Home Insurance', notes: 'Homeowners policy renewal' });
  }, { from: purchaseIdx });
  yearly(dayAt(purchaseIdx).m, 28, (i) => {
    const change = roundTo(divRound(bal('house') * BigInt(rng.int(-250, 900)), 10_000n), flat(100_000));
    if (change !== 0n) emit({ account: 'house', i, amount: change, notes: 'Annual market value estimate' });
  }, { from: purchaseIdx + 300 });

  // ---- Utilities and phone ------------------------------------------------------
  const seasonal = (m: number, summer: number, winter: number): bigint =>
    BigInt(m >= 6 && m <= 8 ? summer : m === 12 || m <= 2 ? winter : 100);
  monthly(12, (i) => {
    const houseFactor = i > purchaseIdx ? 145n : 100n;
    const amt = divRound(rng.jitterMinor(price(8_500, i), 180) * seasonal(dayAt(i).m, 165, 130) * houseFactor, 10_000n);
    emit({ account: 'checking', i, amount: -amt, payee: 'Metro Power & Light', category: 'Electricity' });
  });
  monthly(18, (i) => {
    const amt = divRound(rng.jitterMinor(price(3_200, i), 200) * seasonal(dayAt(i).m, 45, 310), 100n);
    emit({ account: 'checking', i, amount: -amt, payee: 'City Gas Co.', category: 'Gas & Heating' });
  });
  monthly(5, (i) => {
    emit({ account: 'checking', i, amount: -rng.jitterMinor(price(9_500, i), 250), payee: 'Municipal Water Utility', category: 'Water' });
  }, { from: purchaseIdx + 1, everyMonths: 2 });
  let internet = price(5_999, 0);
  monthly(3, (i) => emit({ account: 'checking', i, amount: -internet, payee: 'Xfinity', category: 'Internet' }));
  yearly(2, 3, () => { if (rng.chance(450)) internet += price(rng.pick([500, 1000, 1500]), 0); });
  let phone = price(11_000, 0);
  monthly(22, (i) => emit({ account: 'visa', i, amount: -phone, payee: 'Verizon Wireless', category: 'Mobile Phone', notes: rng.chance(60) ? 'Includes device installment' : null }));
  yearly(9, 1, () => { if (rng.chance(350)) phone += price(rng.int(-1500, 2500), 0); });

  // ---- Subscriptions ------------------------------------------------------------
  interface Sub { payee: string; category: string; cents: number; dom: number; account: SpendAccount; from: number; to: number; bumpPerMille: number; bumpMin: number; bumpMax: number; everyMonths?: number; notes?: string }
  const span = (percent: number): number => Math.trunc((days.length * percent) / 100);
  const subs: Sub[] = [
    { payee: 'Netflix', category: 'Streaming', cents: 1099, dom: 7, account: 'visa', from: 0, to: last, bumpPerMille: 450, bumpMin: 100, bumpMax: 250 },
    { payee: 'Spotify', category: 'Music', cents: 1499, dom: 11, account: 'visa', from: 0, to: last, bumpPerMille: 250, bumpMin: 100, bumpMax: 200, notes: 'Family plan' },
    { payee: 'Disney+', category: 'Streaming', cents: 799, dom: 14, account: 'mastercard', from: span(30), to: span(72), bumpPerMille: 500, bumpMin: 100, bumpMax: 300 },
    { payee: 'Iron Works Gym', category: 'Gym', cents: 3999, dom: 1, account: 'mastercard', from: span(8), to: span(85), bumpPerMille: 200, bumpMin: 200, bumpMax: 500 },
    { payee: 'iCloud', category: 'Cloud Storage', cents: 299, dom: 19, account: 'visa', from: 0, to: last, bumpPerMille: 120, bumpMin: 600, bumpMax: 700 },
    { payee: 'The New York Times', category: 'News', cents: 1700, dom: 26, account: 'visa', from: span(45), to: last, bumpPerMille: 300, bumpMin: 100, bumpMax: 400 },
    { payee: 'Amazon Prime', category: 'Memberships', cents: 11_900, dom: 9, account: 'visa', from: 0, to: last, bumpPerMille: 300, bumpMin: 1000, bumpMax: 2000, everyMonths: 12 },
    { payee: 'Costco Membership', category: 'Memberships', cents: 6000, dom: 2, account: 'checking', from: 0, to: last, bumpPerMille: 200, bumpMin: 500, bumpMax: 500, everyMonths: 12 },
  ];
  subs.forEach((s, n) => {
    let p = flat(s.cents);
    monthly(s.dom, (i) => emit({ account: s.account, i, amount: -p, payee: s.payee, category: s.category, notes: s.notes ?? null }), { from: s.from, to: s.to, ...(s.everyMonths ? { everyMonths: s.everyMonths, phase: n } : {}) });
    yearly(1 + ((n * 5) % 12), Math.max(1, s.dom - 1), () => { if (rng.chance(s.bumpPerMille)) p += flat(rng.int(s.bumpMin, s.bumpMax)); }, { from: s.from, to: s.to });
  });

  // ---- Insurance --------------------------------------------------------------
  const carInsurance = (i: number): void => {
    emit({ account: 'checking', i, amount: -price(rng.int(54_000, 71_000), i), payee: 'GEICO', category: 'Car Insurance', notes: 'Six-month premium' });
  };
  yearly(1, 15, carInsurance);
  yearly(7, 15, carInsurance);
  const life = price(4_200, 0);
  monthly(9, (i) => emit({ account: 'checking', i, amount: -life, payee: 'Haven Life', category: 'Life Insurance' }));

  // ---- Card payments, savings, investing, cash -------------------------------------
  const payCard = (card: string) => (i: number): void => {
    const owed = -bal(card);
    if (owed > 0n) transfer('checking', card, i, owed, 'Card payment – statement balance');
  };
  monthly(24, payCard('visa'), { business: true });
  monthly(9, payCard('mastercard'), { business: true });
  let savingsMonthly = price(60_000, 0);
  monthly(3, (i) => transfer('checking', 'savings', i, savingsMonthly, 'Monthly savings'));
  yearly(1, 2, () => { savingsMonthly = roundTo(divRound(savingsMonthly * 105n, 100n), flat(1000)); });
  monthly(27, (i) => {
    const excess = bal('checking') - price(900_000, i);
    if (excess > 0n) transfer('checking', 'savings', i, roundTo(excess + price(400_000, i), hundred), 'Sweep excess to savings');
  });
  for (let i = 0; i <= last; i++) {
    if (dayAt(i).dow !== 1) continue;
    at(i, () => {
      const floor = price(80_000, i);
      if (bal('checking') >= floor) return;
      const need = roundTo(price(300_000, i) - bal('checking'), hundred);
      let fromSavings = need;
      if (fromSavings > bal('savings')) fromSavings = roundTo(bal('savings') - hundred, hundred);
      transfer('savings', 'checking', i, fromSavings, 'Top up checking');
      const rest = need - (fromSavings > 0n ? fromSavings : 0n);
      if (rest > 0n && bal('brokerage') > rest) transfer('brokerage', 'checking', i, rest, 'Sold index funds');
    });
  }
  monthly(31, (i) => {
    const interest = divRound(bal('savings') * BigInt(savingsApy[dayAt(i).y - startYear] ?? 100), 120_000n);
    if (interest > 0n) emit({ account: 'savings', i, amount: interest, payee: 'Ally Bank', category: 'Interest' });
  });
  let invest = price(40_000, 0);
  monthly(16, (i) => transfer('checking', 'brokerage', i, invest, 'Monthly index fund contribution'), { business: true });
  yearly(1, 16, () => { invest = roundTo(divRound(invest * BigInt(rng.int(102, 112)), 100n), flat(1000)); });
  monthly(28, (i) => {
    const div = divRound(bal('brokerage') * BigInt(rng.int(35, 60)), 10_000n);
    if (div > 0n) emit({ account: 'brokerage', i, amount: div, payee: 'Vanguard', category: 'Dividends', notes: 'Quarterly dividend, reinvested' });
  }, { everyMonths: 3 });
  const atm = (i: number): void => {
    transfer('checking', 'cash', i, flat(rng.int(3, 15) * 2_000), 'ATM withdrawal');
    if (rng.chance(150)) emit({ account: 'checking', i, amount: -flat(300), payee: 'Out-of-Network ATM', category: 'Bank Fees' });
  };

  // ---- Foreign currency -------------------------------------------------------
  monthly(1, () => { fxRate = divRound(fxRate * BigInt(1_000_000 + rng.jitter(14_000)), ppm); });
  const eBase = BigInt(currencyExponent(baseCode));
  const eForeign = BigInt(currencyExponent(foreignCode));
  const fxTopUp = (i: number, baseAmount: bigint, tags?: readonly string[]): void => {
    const toAmount = divRound(baseAmount * fxRate * 10n ** eForeign, ppm * 10n ** eBase);
    if (toAmount <= 0n) return;
    transfer('checking', 'foreign', i, baseAmount, `Currency exchange ${baseCode}→${foreignCode} at ${formatPpm(fxRate)}`, toAmount, tags);
  };
  const foreignSpend = (i: number, amount: bigint, payee: string, category: string, tags?: readonly string[], notes?: string): void => {
    if (bal('foreign') < amount) fxTopUp(i, roundTo(divRound(amount * ppm * 10n ** eBase, fxRate * 10n ** eForeign) + price(50_000, i), hundred), tags);
    emit({ account: 'foreign', i, amount: -amount, payee, category, notes: notes ?? null, ...(tags ? { tags } : {}) });
  };
  for (let i = 0; i <= last; i++) {
    if (planRng.chance(40)) {
      at(i, () => {
        const [payee, category] = rng.pick(EURO_SHOPS);
        foreignSpend(i, priceForeign(rng.int(1200, 14_000), i), payee, category);
      });
    }
  }
  yearly(5, 12, (i) => { if (bal('foreign') < priceForeign(60_000, i)) fxTopUp(i, roundTo(price(rng.int(50_000, 150_000), i), hundred)); });

  // ---- Trips: vacations and reimbursable business travel ------------------------
  const trips: Trip[] = [];
  const onTrip = new Int32Array(days.length).fill(-1);
  const reserve = (start: number, len: number): boolean => {
    if (start < 0 || start + len - 1 > last) return false;
    for (let k = start - 3; k <= start + len + 2; k++) if (k >= 0 && k <= last && onTrip[k] !== -1) return false;
    return true;
  };
  const addTrip = (t: Omit<Trip, 'expenses'>): void => {
    trips.push({ ...t, expenses: 0n });
    for (let k = t.start; k <= t.end; k++) onTrip[k] = trips.length - 1;
  };
  for (let y = startYear; y <= lastYear; y++) {
    const summerStart = indexOf(y, planRng.int(6, 8), planRng.int(1, 20));
    const europe = planRng.chance(450);
    const len = planRng.int(7, 12);
    if (summerStart >= 0 && reserve(summerStart, len)) {
      addTrip({ start: summerStart, end: summerStart + len - 1, europe, business: false, place: planRng.pick(europe ? EUROPE_DESTINATIONS : DOMESTIC_DESTINATIONS) });
    }
    const m2 = planRng.pick([2, 3, 4, 10, 11, 12]);
    const s2 = indexOf(y, m2, planRng.int(1, 22));
    const len2 = planRng.int(3, 6);
    if (s2 >= 0 && planRng.chance(700) && reserve(s2, len2)) {
      addTrip({ start: s2, end: s2 + len2 - 1, europe: false, business: false, place: planRng.pick(DOMESTIC_DESTINATIONS) });
    }
    const nBiz = planRng.int(2, 4);
    for (let b = 0; b < nBiz; b++) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const s = indexOf(y, planRng.int(1, 12), planRng.int(1, 26));
        const l = planRng.int(2, 4);
        if (s >= 0 && reserve(s, l) && dayAt(s).dow >= 1 && dayAt(s).dow <= 3) {
          addTrip({ start: s, end: s + l - 1, europe: false, business: true, place: planRng.pick(BUSINESS_CITIES) });
          break;
        }
      }
    }
  }
  trips.forEach((t) => {
    const tags = t.business ? ['reimbursable'] : ['vacation'];
    const nights = t.end - t.start;
    const label = t.business ? `Client visit – ${t.place}` : `${t.place} trip`;
    const card: SpendAccount = t.business ? 'mastercard' : 'visa';
    const book = t.start - (t.business ? planRng.int(7, 21) : planRng.int(30, 100));
    at(book, () => {
      const cents = t.business ? rng.int(28_000, 72_000) : t.europe ? rng.int(140_000, 320_000) : rng.int(45_000, 140_000);
      const amt = price(cents, book);
      t.expenses += amt;
      emit({ account: card, i: book, amount: -amt, payee: rng.pick(t.europe ? ['Lufthansa', 'Air France', 'Delta Air Lines'] : ['Delta Air Lines', 'United Airlines', 'Southwest Airlines', 'Alaska Airlines']), category: 'Flights', notes: label, tags });
    });
    if (t.europe) {
      const fx = t.start - planRng.int(2, 10);
      at(fx, () => fxTopUp(fx, roundTo(price(rng.int(15, 30) * 1_000 * (nights + 1), fx), hundred), tags));
    }
    at(t.start, () => {
      if (!t.business && !t.europe && rng.chance(600)) {
        emit({ account: card, i: t.start, amount: -price(rng.int(4_500, 9_000) * (nights + 1), t.start), payee: rng.pick(['Hertz', 'Enterprise Rent-A-Car']), category: 'Car Rental', notes: label, tags });
      }
    });
    at(t.end, () => {
      const perNight = t.business ? rng.int(16_000, 29_000) : rng.int(12_000, 26_000);
      if (t.europe) {
        foreignSpend(t.end, priceForeign(perNight * nights, t.end), rng.pick(['Hotel Le Marais', 'Hotel Artemide', 'Casa Camper']), 'Lodging', tags, label);
      } else {
        const amt = price(perNight, t.end) * BigInt(nights);
        t.expenses += amt;
        emit({ account: card, i: t.end, amount: -amt, payee: rng.pick(t.business ? ['Marriott', 'Hilton', 'Hyatt'] : ['Airbnb', 'Marriott', 'Hilton', 'VRBO']), category: 'Lodging', notes: label, tags });
      }
      if (t.business && t.expenses > 0n) {
        const pay = t.end + rng.int(10, 30);
        const total = t.expenses;
        at(pay, () => emit({ account: 'checking', i: pay, amount: total, payee: employerA(pay), category: 'Reimbursements', notes: `Expense report: ${t.place} trip` }));
      }
    });
  });

  // ---- Day-by-day spending ---------------------------------------------------------
  // Scheduled entries above come to roughly FIXED_PER_YEAR a year whatever the
  // scale; groceries and discretionary spending fill the rest of the target.
  const FIXED_PER_YEAR = 330;
  const target = Math.trunc((DEMO_TX_PER_YEAR * years * scaleMilli) / 1000);
  const groceryMilliPerDay = Math.trunc((2_500 * scaleMilli) / 7_000); // ≈ 2.5 a week at scale 1
  const groceryTotal = Math.trunc((groceryMilliPerDay * days.length) / 1000);
  // Refunds, wallet refills and euro top-ups add about 5% on top of the drawn events.
  const discretionaryTotal = Math.max(0, Math.trunc(((target - FIXED_PER_YEAR * years - groceryTotal) * 95) / 100));
  const discMilliPerDay = Math.trunc((discretionaryTotal * 1000) / days.length);
  const DOW_WEIGHT = [1250, 880, 900, 920, 960, 1100, 1390]; // per-mille, Sun..Sat, mean 1000
  const GROCERY_DOW = [1500, 700, 700, 800, 900, 1100, 1300];

  const draw = (milli: number): number => {
    let n = Math.trunc(milli / 1000) + (rng.chance(milli % 1000) ? 1 : 0);
    const half = Math.trunc(milli / 2000);
    if (half > 0) n += rng.jitter(Math.min(2, half), 1);
    return n < 0 ? 0 : n;
  };
  const skewed = (lo: number, hi: number): number => {
    const a = rng.int(lo, hi);
    if (!rng.chance(650)) return a;
    const b = rng.int(lo, hi);
    return a < b ? a : b;
  };
  const kindTable = (pred: (k: SpendKind) => boolean): (readonly [SpendKind, number])[] =>
    KINDS.filter(pred).map((k) => [k, k.weight] as const);
  const beforeHouse = kindTable((k) => !k.afterPurchaseOnly);
  const afterHouse = kindTable(() => true);
  const vacationKinds = kindTable((k) => VACATION_KINDS.has(k.id));
  const refundNotes = ['Return', 'Refund – wrong size', 'Returned item', 'Price adjustment'];

  const scheduleRefund = (tx: DemoTx, i: number): void => {
    const when = i + rng.int(3, 25);
    const full = rng.chance(700);
    const amt = full ? -tx.amountMinor : divRound(-tx.amountMinor * BigInt(rng.int(20, 80)), 100n);
    const { accountKey, payee, category } = tx;
    at(when, () => emit({ account: accountKey, i: when, amount: amt, payee, category, notes: rng.pick(refundNotes) }));
  };

  const chooseAccount = (k: SpendKind, amount: bigint): string => {
    let acct = rng.weighted(k.accounts ?? CARD_MIX);
    if (acct === 'cash') {
      if (!k.cashOk) acct = 'visa';
      else if (bal('cash') < amount) {
        atm(currentDay);
        if (bal('cash') < amount) acct = 'visa';
      }
    }
    return acct;
  };
  const spend = (i: number, k: SpendKind, trip: Trip | undefined): void => {
    const tags = trip ? [trip.business ? 'reimbursable' : 'vacation', ...(k.tags ?? [])] : k.tags ? [...k.tags] : [];
    if (trip?.europe && !trip.business) {
      const [payee, category, lo, hi] = rng.pick(EURO_VACATION);
      foreignSpend(i, priceForeign(skewed(lo, hi), i), payee, category, tags, `${trip.place} trip`);
      return;
    }
    const amount = price(skewed(k.min, k.max), i);
    const category = typeof k.category === 'string' ? k.category : rng.pick(k.category as readonly string[]);
    const account = trip ? (trip.business ? 'mastercard' : 'visa') : chooseAccount(k, amount);
    const payee = rng.pick(k.payees);
    let notes: string | null = null;
    if (trip) notes = trip.business ? `Client visit – ${trip.place}` : `${trip.place} trip`;
    else if (k.notes && rng.chance(120)) notes = rng.pick(k.notes);
    if (k.id === 'amazon' && rng.chance(150)) {
      const cats = rng.shuffle(k.category as readonly string[]).slice(0, rng.int(2, 3));
      const parts = allocate(-amount as Minor, cats.map(() => rng.int(1, 10)));
      const tx = emit({ account, i, amount: -amount, payee, notes: 'Order with several items', tags, splits: cats.map((c, n) => ({ amountMinor: parts[n] as bigint, category: c })) });
      if (rng.chance(60)) scheduleRefund({ ...tx, category: cats[0] as string }, i);
      return;
    }
    const tx = emit({ account, i, amount: -amount, payee, category, notes, tags });
    if (trip?.business) trip.expenses += amount;
    if (k.refundable && !trip && rng.chance(60)) scheduleRefund(tx, i);
  };

  const storeTable = GROCERY_STORES.map((s) => [s, s[1]] as const);
  const groceryTrip = (i: number): void => {
    const [store, , lo, hi] = rng.weighted(storeTable);
    const amount = price(skewed(lo, hi), i);
    const account = rng.weighted<SpendAccount>([['visa', 60], ['checking', 30], ['mastercard', 10]]);
    if (SPLIT_STORES.has(store) && rng.chance(400)) {
      const withCare = rng.chance(400);
      const weights = withCare ? [rng.int(55, 85), rng.int(10, 30), rng.int(5, 15)] : [rng.int(60, 85), rng.int(15, 40)];
      const parts = allocate(-amount as Minor, weights);
      const splits: DemoSplit[] = [
        { amountMinor: parts[0] as bigint, category: 'Groceries' },
        { amountMinor: parts[1] as bigint, category: 'Household', ...(rng.chance(300) ? { notes: 'Paper towels, detergent' } : {}) },
      ];
      if (withCare) splits.push({ amountMinor: parts[2] as bigint, category: 'Personal Care' });
      emit({ account, i, amount: -amount, payee: store, splits });
      return;
    }
    emit({ account, i, amount: -amount, payee: store, category: 'Groceries', notes: rng.chance(30) ? rng.pick(['Weekly shop', 'Party supplies', 'Thanksgiving groceries']) : null });
  };

  for (let i = 0; i <= last; i++) {
    currentDay = i;
    const todo = agenda[i];
    if (todo) for (let n = 0; n < todo.length; n++) (todo[n] as () => void)();
    agenda[i] = undefined;
    const day = dayAt(i);
    const tripIdx = onTrip[i] as number;
    const trip = tripIdx >= 0 ? trips[tripIdx] : undefined;
    const dowW = DOW_WEIGHT[day.dow] as number;

    if (!trip || trip.business) {
      const g = draw(Math.trunc((groceryMilliPerDay * (GROCERY_DOW[day.dow] as number)) / 1000));
      for (let n = 0; n < g; n++) groceryTrip(i);
    }
    if (bal('cash') < price(6_000, i) && rng.chance(300)) atm(i); // refill a thin wallet; spend() also refills when short
    const count = draw(Math.trunc((discMilliPerDay * dowW) / 1000));
    const table = trip && !trip.business ? vacationKinds : i > purchaseIdx ? afterHouse : beforeHouse;
    for (let n = 0; n < count; n++) {
      const kind = rng.weighted(table);
      spend(i, kind, trip && (trip.business ? VACATION_KINDS.has(kind.id) : true) ? trip : undefined);
    }
  }

  // ---- Result ---------------------------------------------------------------------
  const payees = [...payeeSet.values()];
  const categoryGroups = CATEGORY_GROUPS.map((g) => ({ name: g.name, isIncome: g.isIncome, categories: [...g.categories] }));
  return { accounts, categoryGroups, payees, transactions: out };
}
