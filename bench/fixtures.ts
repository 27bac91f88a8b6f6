// Reference data the bulk loader gives every ledger: 8 accounts, 40 categories
// in 8 groups, 300 payees with varied names, note phrases with known
// frequencies. The search terms in scenarios.ts are chosen against these lists.
import type { AccountType } from '../src/db/schema.ts';

export interface AccountFixture {
  name: string;
  type: AccountType;
  openingMinor: number;
  /** Share of ordinary (non-transfer) expense rows booked on this account. */
  expenseWeight: number;
}

/** Order matters: ord 0 is the main checking account (income lands there). */
export const ACCOUNTS: readonly AccountFixture[] = [
  { name: 'Everyday Checking', type: 'checking', openingMinor: 250_000, expenseWeight: 0.34 },
  { name: 'Joint Checking', type: 'checking', openingMinor: 120_000, expenseWeight: 0.16 },
  { name: 'Visa Rewards', type: 'credit_card', openingMinor: 0, expenseWeight: 0.22 },
  { name: 'Amex Gold', type: 'credit_card', openingMinor: 0, expenseWeight: 0.16 },
  { name: 'Wallet Cash', type: 'cash', openingMinor: 10_000, expenseWeight: 0.08 },
  { name: 'High-Yield Savings', type: 'savings', openingMinor: 1_500_000, expenseWeight: 0.02 },
  { name: 'Emergency Fund', type: 'savings', openingMinor: 800_000, expenseWeight: 0.01 },
  { name: 'Brokerage', type: 'investment', openingMinor: 2_000_000, expenseWeight: 0.01 },
];

/** Transfer routes (from account ord -> to account ord) with relative weights. */
export const TRANSFER_ROUTES: readonly [from: number, to: number, weight: number][] = [
  [0, 2, 0.3], // card payment
  [0, 3, 0.25],
  [0, 5, 0.15], // savings sweep
  [0, 6, 0.05],
  [0, 7, 0.1],
  [0, 4, 0.1], // ATM withdrawal
  [1, 0, 0.05],
];

export const CATEGORY_GROUPS: readonly { name: string; isIncome: boolean; categories: string[] }[] = [
  { name: 'Income', isIncome: true, categories: ['Salary', 'Bonus', 'Interest', 'Refunds', 'Other Income'] },
  { name: 'Housing', isIncome: false, categories: ['Rent', 'Mortgage', 'Home Insurance', 'Home Maintenance', 'Furniture'] },
  { name: 'Utilities', isIncome: false, categories: ['Electricity', 'Gas & Heating', 'Water', 'Internet', 'Mobile Phone'] },
  { name: 'Food', isIncome: false, categories: ['Groceries', 'Restaurants', 'Takeout', 'Coffee Shops', 'Alcohol & Bars'] },
  { name: 'Transportation', isIncome: false, categories: ['Fuel', 'Parking', 'Public Transit', 'Rideshare', 'Car Maintenance'] },
  { name: 'Shopping', isIncome: false, categories: ['Household', 'Clothing', 'Electronics', 'Gifts', 'Books'] },
  { name: 'Health & Fun', isIncome: false, categories: ['Pharmacy', 'Doctor', 'Fitness', 'Streaming', 'Events'] },
  { name: 'Travel & Other', isIncome: false, categories: ['Flights', 'Lodging', 'Bank Fees', 'Charity', 'Education'] },
];

export const CATEGORY_NAMES: readonly string[] = CATEGORY_GROUPS.flatMap((g) => g.categories);
const cat = (name: string): number => {
  const i = CATEGORY_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown category ${name}`);
  return i;
};

export interface PayeeFixture {
  name: string;
  /** Index into CATEGORY_NAMES: the category most of its rows get. */
  category: number;
}

/** Income payees: ords 0..INCOME_PAYEES-1. */
const INCOME: [string, string][] = [
  ['Acme Corp Payroll', 'Salary'], ['Globex Payroll', 'Salary'], ['Initech Bonus', 'Bonus'], ['First National Interest', 'Interest'],
  ['IRS Tax Refund', 'Refunds'], ['Venmo Cashout', 'Other Income'], ['Etsy Payout', 'Other Income'], ['State Tax Refund', 'Refunds'],
  ['Dividend Reinvestment', 'Interest'], ['Freelance Client LLC', 'Other Income'],
];
export const INCOME_PAYEES = INCOME.length;

/** Well-known merchants first (they are the popular ones before per-ledger rotation). */
const MERCHANTS: [string, string][] = [
  ['Amazon', 'Household'], ['Whole Foods Market', 'Groceries'], ["Trader Joe's", 'Groceries'], ['Safeway', 'Groceries'], ['Costco Wholesale', 'Groceries'],
  ['Starbucks', 'Coffee Shops'], ['Blue Bottle Coffee', 'Coffee Shops'], ['Shell', 'Fuel'], ['Chevron', 'Fuel'], ['Exxon Mobil', 'Fuel'],
  ['Netflix', 'Streaming'], ['Spotify', 'Streaming'], ['Hulu', 'Streaming'], ['Comcast Xfinity', 'Internet'], ['Verizon Wireless', 'Mobile Phone'],
  ['PG&E', 'Electricity'], ['City Water Dept', 'Water'], ['National Grid Gas', 'Gas & Heating'], ['CVS Pharmacy', 'Pharmacy'], ['Walgreens', 'Pharmacy'],
  ['Target', 'Household'], ['Walmart Supercenter', 'Groceries'], ['Home Depot', 'Home Maintenance'], ["Lowe's", 'Home Maintenance'], ['IKEA', 'Furniture'],
  ['Uber', 'Rideshare'], ['Lyft', 'Rideshare'], ['Uber Eats', 'Takeout'], ['DoorDash', 'Takeout'], ['Grubhub', 'Takeout'],
  ['Delta Air Lines', 'Flights'], ['United Airlines', 'Flights'], ['Marriott Hotels', 'Lodging'], ['Airbnb', 'Lodging'], ['Hilton', 'Lodging'],
  ['Apple Store', 'Electronics'], ['Best Buy', 'Electronics'], ['Barnes & Noble', 'Books'], ['Macy\'s', 'Clothing'], ['Uniqlo', 'Clothing'],
  ['Planet Fitness', 'Fitness'], ['Ticketmaster', 'Events'], ['Red Cross', 'Charity'], ['Coursera', 'Education'], ['Chase Bank Fee', 'Bank Fees'],
  ['Metro Transit', 'Public Transit'], ['ParkMobile', 'Parking'], ['Jiffy Lube', 'Car Maintenance'], ['Geico Insurance', 'Home Insurance'], ['Landlord Properties LLC', 'Rent'],
  ['Wells Fargo Mortgage', 'Mortgage'], ['Kaiser Permanente', 'Doctor'], ['Chipotle', 'Restaurants'], ['Olive Garden', 'Restaurants'], ['Total Wine', 'Alcohol & Bars'],
];

const ADJ = ['Blue', 'Golden', 'Silver', 'Red', 'Green', 'Old Town', 'Harbor', 'Maple', 'Sunset', 'Northside', 'Riverside', 'Lucky', 'Happy', 'Little', 'Grand', 'Urban', 'Cedar', 'Pine'];
const NOUN = ['Oak', 'Fox', 'Lantern', 'Bridge', 'Garden', 'Anchor', 'Kettle', 'Mill', 'Sparrow', 'Stone', 'Barrel', 'Tide', 'Orchard', 'Summit', 'Meadow'];
const KIND: [string, string][] = [
  ['Cafe', 'Coffee Shops'], ['Bakery', 'Groceries'], ['Bistro', 'Restaurants'], ['Pizzeria', 'Takeout'], ['Tavern', 'Alcohol & Bars'],
  ['Hardware', 'Home Maintenance'], ['Books', 'Books'], ['Boutique', 'Clothing'], ['Pharmacy', 'Pharmacy'], ['Auto Repair', 'Car Maintenance'],
  ['Grocers', 'Groceries'], ['Dental', 'Doctor'], ['Yoga Studio', 'Fitness'], ['Gift Shop', 'Gifts'], ['Market', 'Groceries'], ['Sushi Bar', 'Restaurants'],
];

export const PAYEE_COUNT = 300;

/** 300 distinct payees: 10 income, 55 well-known merchants, the rest generated local businesses. */
export function payeeFixtures(): PayeeFixture[] {
  const out: PayeeFixture[] = [];
  const seen = new Set<string>();
  const add = (name: string, category: string) => {
    if (seen.has(name.toLowerCase())) return;
    seen.add(name.toLowerCase());
    out.push({ name, category: cat(category) });
  };
  for (const [n, c] of INCOME) add(n, c);
  for (const [n, c] of MERCHANTS) add(n, c);
  // Deterministic walk over ADJ x NOUN x KIND (co-prime strides give variety).
  for (let i = 0; out.length < PAYEE_COUNT; i++) {
    const [k, c] = KIND[i % KIND.length]!;
    const a = ADJ[(i * 5 + Math.floor(i / KIND.length)) % ADJ.length]!;
    const n = NOUN[(i * 7 + Math.floor(i / (KIND.length * ADJ.length))) % NOUN.length]!;
    add(`${a} ${n} ${k}`, c);
    if (i > 100_000) throw new Error('could not generate enough payee names');
  }
  return out;
}

/** Common note phrases (about 10% of ordinary rows get one, evenly). */
export const COMMON_NOTES: readonly string[] = [
  'weekly groceries', 'monthly bill', 'birthday gift', 'team lunch', 'refund pending', 'business trip', 'school supplies', 'car wash',
  'dinner with friends', 'home office', 'reimbursable expense', 'online order', 'subscription renewal', 'pharmacy pickup', 'parking downtown', 'vacation',
];
/** Fraction of ordinary rows with a common note, an 'invoice <n>' note (n < 10000), a 'warranty claim' note. */
export const NOTE_RATES = { common: 0.1, invoice: 0.01, warranty: 0.0005 } as const;
