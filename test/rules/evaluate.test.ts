// The in-memory evaluator (src/query/evaluate.ts) against the SQL compiler on
// the same database: random ledgers and random queries from the grammar must
// select exactly the same transactions, on both engines. Also regexes: random
// patterns from the accepted subset must match exactly the texts PostgreSQL's
// `~*` matches, and the constructs outside the subset are refused with a
// coded error that points at the term.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { listTransactions } from '../../src/ledger/transactions.repository.ts';
import { compileQuery } from '../../src/query/compile.ts';
import { QuerySyntaxError } from '../../src/query/errors.ts';
import { compileEvaluator } from '../../src/query/evaluate.ts';
import { parseQuery } from '../../src/query/parser.ts';
import { pgCaseInsensitiveRegex } from '../../src/query/pg-regex.ts';
import { pgLower } from '../../src/query/pg-text.ts';
import { checkRegexes, ledgerCurrencies } from '../../src/query/prepare.ts';
import { printQuery } from '../../src/query/printer.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { queryArb, type Pools } from '../query/arbitrary.ts';
import { buildRulesLedger, evalRows, type Fixture } from './fixture.ts';

const NOW = new Date('2024-03-20T10:00:00Z');
let t: TestApp;
let ledgers: (Fixture & { rows: Awaited<ReturnType<typeof evalRows>> })[];

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  const actor: Actor = { userId: u.id, isAdmin: false, via: 'cli' };
  ledgers = [];
  for (const [seed, n] of [[61, 110], [62, 60]] as const) {
    const f = await buildRulesLedger(t.c, actor, seed, n, '2024-03-10');
    ledgers.push({ ...f, rows: await evalRows(t.c, f.ledgerId) });
  }
});
afterAll(async () => t?.close());

async function sqlIds(f: Fixture, text: string): Promise<string[]> {
  const k = t.c.db.kysely;
  const compiled = compileQuery(parseQuery(text), { ledgerId: f.ledgerId, currencies: await ledgerCurrencies(k, f.ledgerId), now: NOW });
  await checkRegexes(k, compiled);
  return (await listTransactions(k, f.ledgerId, { where: compiled.where }, undefined, 100_000)).map((r) => r.id).sort();
}

async function memIds(f: (typeof ledgers)[number], text: string): Promise<string[]> {
  const pred = compileEvaluator(parseQuery(text), { currencies: await ledgerCurrencies(t.c.db.kysely, f.ledgerId), now: NOW });
  return f.rows.filter((r) => pred(r)).map((r) => r.id).sort();
}

async function same(text: string, f = ledgers[0]!) {
  const want = await sqlIds(f, text);
  expect(await memIds(f, text), text).toEqual(want);
  return want.length;
}

const pools: Pools = {
  payee: ['amazon', 'AMA', 'ǅ', 'ǆ', 'Ǆ', 'σασ', 'ΣΑΣ', 'ς', 'İ', 'istanbul', 'ſ', 'store', 'k', 'K', 'é', 'É', '%', '_', '\\', 'zzz'],
  account: ['visa', 'ǆ', 'Ǆ', 'ǅ', 'wallet', 'box', '%', 'c', 'savings'],
  category: ['Groceries', 'σπίτι', 'ΣΠΊΤΙ', 'éducation', 'ÉDUCATION', 'Fun_100%', 'none', 'nope', 'eating out'],
  tag: ['reimbursable', 'work', 'σασ', 'ΣΑΣ', 'tax', 'other'],
  notes: ['lunch', 'σοφια', 'ΣΟΦΙΑ', 'ǅ', 'ǆ', 'ſ', 's', 'kelvin', 'k', 'İ', 'iz', '50%', 'a_b', '\\', 'ß', 'STRASSE', 'strasse', '[x]'],
  regex: ['^lunch', 'σ', 'Σ', 'ς', 'ǅ', 'ǆ', '[ǅ]', '[ǅ-ǅ]', 'ſ', 's', '[a-z]+ing', '^[^a-z]', 'k', 'K', 'İ', 'i', '\\d{4}', '(?:gift|lunch) ', 'e$', '^$',
    '[]x]', '\\[x\\]', 'line.break', '(?!x).', 'a{1,2}_', '[-_]b', 'É', 'é', '[à-ê]', '\\.', '}', 'x{', 'o{2,}?', 'ǆ|Σ', '[^ǅ]'],
  text: ['amazon', 'σασ', 'ΣΑΣ', 'ǅ', 'ſ', 'k', 'K', '%', '_', 'a b', 'İ', 'kebap', 'x', 'team'],
};

describe('evaluate() selects the same rows as the SQL compiler', () => {
  const queries = [
    'payee:amazon', 'payee:ǆ', 'payee:Ǆ', 'payee:ǅ', 'payee:σασ', 'payee:ΣΑΣ', 'payee:istanbul', 'payee:İstanbul', 'payee:ſ', 'payee:store', 'payee:K', 'payee:é', 'payee:%', 'payee:_', 'payee:\\',
    'account:ǆ', 'account:dinar', 'category:σπίτι', 'category:ΣΠΊΤΙ', 'category:éducation', 'category:none', 'category:fun_100%', 'tag:σασ', 'tag:work',
    'notes:σοφια', 'notes:ΣΟΦΙΑ', 'notes:ǅ', 'notes:ſ', 'notes:k', 'notes:ß', 'notes:strasse', 'notes:İ',
    'notes:~σ', 'notes:~Σ', 'notes:~ς', 'notes:~ǅ', 'notes:~[ǅ]', 'notes:~[ǅ-ǅ]', 'notes:~ſ', 'notes:~[a-z]', 'notes:~K', 'notes:~k', 'notes:~"line.break"', 'notes:~"^$"', 'notes:~İ', 'notes:~i',
    'amount:12.345', 'amount:>12.3', 'amount:0.001', 'amount:<=1', 'amount:5', 'amount:-5..5', 'inflow:1..2', 'outflow:>0.5',
    'date:last-30-days', 'date:this-month', 'date:2024-02', 'is:pending', 'is:transfer', 'is:split', 'is:uncategorized', 'is:reconciled',
    'σασ', 'ΣΑΣ', 'ǅ', 'k', 'K', '"amazon lunch"', 'kebap', '%',
  ];
  it.each(queries)('%s', async (q) => {
    await same(q);
  });

  it('is not vacuous: the Unicode cases select some rows and not all', async () => {
    const total = ledgers[0]!.rows.length;
    for (const q of ['payee:σασ', 'payee:ǆ', 'notes:~ǅ', 'notes:~σ', 'category:σπίτι', 'tag:σασ', 'amount:>12.3']) {
      const n = await same(q);
      expect(n, q).toBeGreaterThan(0);
      expect(n, q).toBeLessThan(total);
    }
  });

  it('random queries from the grammar give the same ids on every ledger', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb(pools), fc.integer({ min: 0, max: ledgers.length - 1 }), async (n, li) => {
        const text = printQuery(n);
        const f = ledgers[li]!;
        expect(await memIds(f, text), text).toEqual(await sqlIds(f, text));
      }),
      { numRuns: 300, seed: 6_2024 },
    );
  });
});

describe('regular expressions', () => {
  // Patterns from the accepted subset over an alphabet with case traps.
  const CHARS = ['a', 'b', 'A', 'k', 'K', 'K', 's', 'S', 'ſ', 'σ', 'Σ', 'ς', 'ǅ', 'ǆ', 'Ǆ', 'é', 'É', 'İ', 'i', 'I', 'ı', '1', ' ', '\n', '-', '.', '_'];
  const lit = fc.constantFrom(...CHARS).map((c) => (/[.\\[\](){}|*+?^$-]/.test(c) ? `\\${c}` : c === '\n' ? '\\n' : c));
  const bracketItem = fc.oneof(fc.constantFrom(...CHARS.filter((c) => !'-]\\^['.includes(c))), fc.constantFrom('a-z', 'A-Z', 'à-ê', 'ǅ-ǆ', 'ǆ-ǆ', 'Α-Ω', 'α-ω', 'i-k', '0-9', '\\d'));
  const bracket = fc.tuple(fc.boolean(), fc.array(bracketItem, { minLength: 1, maxLength: 3 })).map(([neg, items]) => `[${neg ? '^' : ''}${items.join('')}]`);
  const atom: fc.Arbitrary<string> = fc.oneof({ weight: 5, arbitrary: lit }, { weight: 2, arbitrary: bracket }, { weight: 1, arbitrary: fc.constantFrom('.', '\\d', '\\D') });
  const quant = fc.constantFrom('', '', '', '*', '+', '?', '{2}', '{1,2}', '{0,}', '*?', '+?');
  const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
  const { re } = fc.letrec<{ re: string; branch: string }>((tie) => ({
    branch: fc.array(fc.oneof({ weight: 4, arbitrary: piece }, { weight: 1, arbitrary: tie('re').map((r) => `(${r})`) }, { weight: 1, arbitrary: tie('re').map((r) => `(?:${r})`) }), { minLength: 1, maxLength: 4 }).map((xs) => xs.join('')),
    re: fc.tuple(fc.boolean(), fc.array(tie('branch'), { minLength: 1, maxLength: 2 }), fc.boolean()).map(([s, bs, e]) => `${s ? '^' : ''}${bs.join('|')}${e ? '$' : ''}`),
  }));
  const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 8 }).map((xs) => xs.join(''));

  it('random patterns match exactly what PostgreSQL matches', async () => {
    const cases = fc.sample(fc.tuple(re, fc.array(text, { minLength: 6, maxLength: 6 })), { numRuns: 400, seed: 4711 });
    const patterns: string[] = [];
    const texts: string[] = [];
    for (const [p, ts] of cases) for (const s of ts) {
      patterns.push(p);
      texts.push(s);
    }
    const rows = await sql<{ i: string; m: boolean }>`select i, x.s ~* x.p as m from unnest(${texts}::text[], ${patterns}::text[]) with ordinality as x(s, p, i) order by i`.execute(t.c.db.kysely);
    const span = { offset: 0, length: 0 };
    const mismatches = rows.rows.map((r, i) => ({ p: patterns[i]!, s: texts[i]!, pg: r.m, js: pgCaseInsensitiveRegex(patterns[i]!, span).test(texts[i]!) })).filter((x) => x.pg !== x.js);
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Not vacuous: both outcomes occur often.
    const hits = rows.rows.filter((r) => r.m).length;
    expect(hits).toBeGreaterThan(rows.rows.length / 20);
    expect(hits).toBeLessThan(rows.rows.length - rows.rows.length / 20);
  });

  it.each([
    ['\\w', 'locale'], ['\\s', 'locale'], ['\\b', 'backspace'], ['a\\1', 'escape'], ['[[:alpha:]]', 'POSIX'], ['(?<=a)b', 'lookbehind'], ['(?i)a', 'embedded option'],
    ['straße', 'disagree'], ['[a-ÿ]', 'disagree'], ['\\x41', 'escape'], ['[a-z-0]', "'-'"],
  ])('refuses %s with a QUERY error naming the reason', async (pattern, reason) => {
    const q = `payee:x notes:~"${pattern.replace(/[\\"]/g, (c) => '\\' + c)}"`;
    let err: unknown;
    try {
      compileEvaluator(parseQuery(q), { currencies: ['USD' as never], now: NOW });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuerySyntaxError);
    expect((err as QuerySyntaxError).message).toContain(reason);
    expect((err as QuerySyntaxError).offset).toBe(8);
  });

  it('an amount out of range is refused by both engines alike', async () => {
    const q = 'amount:999999999999999';
    expect(() => compileQuery(parseQuery(q), { ledgerId: ledgers[0]!.ledgerId, currencies: ['BHD' as never], now: NOW })).toThrow(QuerySyntaxError);
    expect(() => compileEvaluator(parseQuery(q), { currencies: ['BHD' as never], now: NOW })).toThrow(QuerySyntaxError);
  });
});

describe('pgLower', () => {
  it('is PostgreSQL lower() on the tricky letters', async () => {
    const words = ['ΣΑΣ', 'ΟΔΟΣ', 'İSTANBUL', 'ǅemal', 'Ǆ', 'KELVIN', 'Straße', 'ẞ', 'ÉCOLE', 'plain ascii', 'ΑΣ.'];
    const r = await sql<{ w: string; l: string }>`select w, lower(w) as l from unnest(${words}::text[]) as x(w)`.execute(t.c.db.kysely);
    for (const row of r.rows) expect(pgLower(row.w), row.w).toBe(row.l);
  });
});
