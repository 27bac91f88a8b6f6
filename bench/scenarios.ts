// The measured requests. Each scenario yields one request path at a time; a
// stateful one (deep paging) also sees the response to pick the next cursor.
import type { Prng } from './stats.ts';

export interface LedgerInfo {
  id: string;
  /** Account ids by fixture ord (fixtures.ts ACCOUNTS order). */
  accounts: string[];
  categories: string[];
}

export interface BenchIds {
  big: LedgerInfo;
  small: LedgerInfo[];
}

export interface Step {
  path: string;
  /** Sub-class for the breakdown (search term class, page number). */
  tag?: string;
}

export interface Scenario {
  name: string;
  description: string;
  next(): Step;
  /** Sees the parsed JSON of each response (deep paging follows next_cursor). */
  after?(json: unknown): void;
  /** Tags whose samples are reported as extra rows in the table. */
  reportTags?: string[];
}

/** Search terms by class; 'common' hit many rows, 'rare' a handful, 'absent' none. */
export const SEARCH_TERMS: Record<string, { weight: number; terms: string[] }> = {
  common: { weight: 0.4, terms: ['market', 'amazon', 'cafe', 'coffee', 'oak', 'groceries'] },
  medium: { weight: 0.25, terms: ['pharmacy', 'business trip', 'uber eats', 'sushi bar', 'birthday'] },
  rare: { weight: 0.2, terms: ['warranty claim', 'invoice 471', 'invoice 9999', 'hilton'] },
  absent: { weight: 0.15, terms: ['zebra stripes', 'qqxz', 'xylophone'] },
};

export const DEEP_PAGES = 20;

const ledgerPath = (l: LedgerInfo, rest: string) => `/api/v1/ledgers/${l.id}${rest}`;

function isoDaysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

export function buildScenarios(ids: BenchIds, rng: Prng): Scenario[] {
  const randomSmall = () => rng.pick(ids.small);
  const out: Scenario[] = [];

  for (const [suffix, pickLedger, what] of [
    ['big', () => ids.big, 'the 200k-row ledger'],
    ['10k', randomSmall, 'a random 10k-row ledger'],
  ] as const) {
    out.push({
      name: `list_first_page_${suffix}`,
      description: `GET /transactions?limit=50 (newest first) of ${what}`,
      next: () => ({ path: ledgerPath(pickLedger(), '/transactions?limit=50') }),
    });
  }

  const classes = Object.entries(SEARCH_TERMS);
  const pickTerm = (): [string, string] => {
    let r = rng.next();
    for (const [cls, { weight, terms }] of classes) {
      if (r < weight) return [cls, rng.pick(terms)];
      r -= weight;
    }
    const [cls, { terms }] = classes[classes.length - 1]!;
    return [cls, rng.pick(terms)];
  };
  for (const [suffix, pickLedger, what] of [
    ['big', () => ids.big, 'the 200k-row ledger'],
    ['10k', randomSmall, 'a random 10k-row ledger'],
  ] as const) {
    out.push({
      name: `search_${suffix}`,
      description: `GET /transactions?q=<term>&limit=50 of ${what}; terms ${classes.map(([c, x]) => `${c} ${Math.round(x.weight * 100)}%`).join(', ')}`,
      next: () => {
        const [cls, term] = pickTerm();
        return { path: ledgerPath(pickLedger(), `/transactions?limit=50&q=${encodeURIComponent(term)}`), tag: cls };
      },
      reportTags: classes.map(([c]) => c),
    });
  }

  // Three-clause queries in the query language (docs/query-language.md), the issue's search target.
  const month = (daysAgo: number) => isoDaysAgo(daysAgo).slice(0, 7);
  const window = () => {
    const len = 90 + rng.int(276);
    const end = rng.int(3650 - len);
    return `date:${month(end + len)}..${month(end)}`;
  };
  const merchant = () => rng.pick(['starbucks', 'amazon', '"whole foods"', 'shell', 'uber', 'netflix', 'cafe', 'market', 'target', 'hilton']);
  const category = () => `category:"${rng.pick(['Groceries', 'Restaurants', 'Fuel', 'Coffee Shops', 'Takeout', 'Household', 'Streaming', 'Lodging'])}"`;
  const QUERIES: Record<string, () => string> = {
    payee_amount_date: () => `payee:${merchant()} amount:>${5 + rng.int(40)} ${window()}`,
    category_range_pending: () => `${category()} amount:${5 + rng.int(20)}..${50 + rng.int(150)} -is:pending`,
    or_group_date: () => `(payee:${merchant()} OR payee:${merchant()}) ${window()} -is:transfer`,
    account_category_text: () => `account:${rng.pick(['visa', 'amex', 'checking', 'cash'])} ${category()} ${rng.pick(['coffee', 'groceries', 'market', 'oak', 'invoice'])}`,
  };
  const queryKinds = Object.keys(QUERIES);
  for (const [suffix, pickLedger, what] of [
    ['big', () => ids.big, 'the 200k-row ledger'],
    ['10k', randomSmall, 'a random 10k-row ledger'],
  ] as const) {
    out.push({
      name: `search_3clause_${suffix}`,
      description: `GET /transactions?q=<three-clause query>&limit=50 of ${what}: ${queryKinds.join(', ')}`,
      next: () => {
        const kind = rng.pick(queryKinds);
        return { path: ledgerPath(pickLedger(), `/transactions?limit=50&q=${encodeURIComponent(QUERIES[kind]!())}`), tag: kind };
      },
      reportTags: queryKinds,
    });
  }

  for (const [suffix, pickLedger, what] of [
    ['big', () => ids.big, 'the 200k-row ledger'],
    ['10k', randomSmall, 'a random 10k-row ledger'],
  ] as const) {
    out.push({
      name: `category_range_${suffix}`,
      description: `GET /transactions?category_id=<random of 40>&from=&to= (window 30-365 days within 10 years) of ${what}`,
      next: () => {
        const l = pickLedger();
        const len = 30 + rng.int(336);
        const end = rng.int(3650 - len);
        const q = `/transactions?limit=50&category_id=${rng.pick(l.categories)}&from=${isoDaysAgo(end + len)}&to=${isoDaysAgo(end)}`;
        return { path: ledgerPath(l, q) };
      },
    });
  }

  for (const [suffix, pickLedger, what] of [
    ['big', () => ids.big, 'the 200k-row ledger'],
    ['10k', randomSmall, 'a random 10k-row ledger'],
  ] as const) {
    out.push({ name: `balances_${suffix}`, description: `GET /balances of ${what}`, next: () => ({ path: ledgerPath(pickLedger(), '/balances') }) });
  }

  for (const [suffix, pickLedger, what] of [
    ['big', () => ids.big, 'the 200k-row ledger'],
    ['10k', randomSmall, 'a random 10k-row ledger'],
  ] as const) {
    // Walk one account's list with running balance, following next_cursor for DEEP_PAGES pages, then start over elsewhere.
    let ledger = pickLedger();
    let account = '';
    let cursor: string | null = null;
    let page = 0;
    const restart = () => {
      ledger = pickLedger();
      account = ledger.accounts[rng.int(5)]!; // the five busy accounts (checking x2, cards x2, cash)
      cursor = null;
      page = 0;
    };
    restart();
    out.push({
      name: `account_pages_${suffix}`,
      description: `GET /transactions?account_id=&limit=50 with running balance, pages 1-${DEEP_PAGES} via next_cursor, of ${what} (every page is a sample; p${DEEP_PAGES} row = page ${DEEP_PAGES} only)`,
      next: () => {
        if (page >= DEEP_PAGES) restart();
        page++;
        const q = `/transactions?limit=50&account_id=${account}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        return { path: ledgerPath(ledger, q), tag: `p${page}` };
      },
      after: (json) => {
        const next = (json as { next_cursor?: string | null }).next_cursor ?? null;
        cursor = next;
        if (next === null) page = DEEP_PAGES; // account exhausted: start over
      },
      reportTags: [`p${DEEP_PAGES}`],
    });
  }
  return out;
}
