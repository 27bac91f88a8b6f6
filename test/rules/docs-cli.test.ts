// docs/rules.md, run: every `finhub` command of its ```sh rules-example blocks
// runs in order against the demo household (`finhub demo`), and its ```json
// rule is created through the API. Then suggestions through the API and the
// CLI on the same ledger.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let ledgerId: string;
let headers: Record<string, string>;
const LEDGER = 'Demo household (seed 42)';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out, err };
}

/** Shell words: '…' literal, "…" with \" and \\ escapes, bare words split on spaces. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end);
      i = end;
      has = true;
    } else if (ch === '"') {
      for (i++; line[i] !== '"'; i++) cur += line[i] === '\\' && /["\\$`]/.test(line[i + 1]!) ? line[++i] : line[i];
      has = true;
    } else if (ch === ' ') {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

const doc = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```(sh|json) rules-example\n([\s\S]*?)```/g)].map((m) => ({ kind: m[1]!, text: m[2]! }));
const commands = blocks.filter((b) => b.kind === 'sh').flatMap((b) => b.text.split('\n').filter((l) => l.startsWith('finhub ')).map((l) => words(l).slice(1)));

beforeAll(async () => {
  t = await createTestApp();
  const r = await cli('demo', '--years', '1', '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  const demo = JSON.parse(r.out[0]!) as { ledger_id: string; token: string };
  ledgerId = demo.ledger_id;
  headers = { authorization: `Bearer ${demo.token}` };
}, 300_000);
afterAll(async () => t?.close());

describe('docs/rules.md', () => {
  it('has runnable examples', () => {
    expect(commands.length).toBeGreaterThanOrEqual(12);
    expect(commands.every((c) => c[0] === 'rules' && c.includes(LEDGER))).toBe(true);
  });

  it('runs every CLI example in order on the demo household, with the effects the text describes', async () => {
    const applies: string[][] = [];
    for (const argv of commands) {
      const r = await cli(...argv);
      expect(r.code, `${argv.join(' ')}\n${r.err.join('\n')}`).toBe(0);
      const verb = argv[1];
      if (verb === 'add') expect(r.out[0]).toMatch(/^added rule /);
      if (verb === 'list') expect(r.out.at(-1)).toBe('8 rules ("-": disabled)');
      if (verb === 'dry-run') {
        expect(r.out.join('\n')).toContain('CONFLICT category: "Pharmacy" sets Pharmacy, "Walgreens is health" sets Doctor (the last one wins)');
        expect(r.out.join('\n')).toContain('    rules: Pharmacy, Walgreens is health');
        expect(r.out.join('\n')).toContain('    category: Personal Care → Doctor');
      }
      if (verb === 'apply') applies.push(r.out);
    }
    expect(applies).toHaveLength(2);
    const changed = (out: string[]) => Number(/, (\d+) changed,/.exec(out[0]!)?.[1]);
    expect(changed(applies[0]!)).toBeGreaterThan(100);
    expect(changed(applies[1]!)).toBe(0);
    // What the examples promised, in the data.
    const k = t.c.db.kysely;
    const payees = await k.selectFrom('payees').select('name').where('ledger_id', '=', ledgerId).where('name', 'like', 'Costco%').execute();
    const costcoGas = await k.selectFrom('transactions as t').innerJoin('payees as p', 'p.id', 't.payee_id').select('t.id').where('t.ledger_id', '=', ledgerId).where('p.name', '=', 'Costco Gas').execute();
    expect(payees.length).toBeGreaterThan(0);
    expect(costcoGas).toEqual([]);
    const coffee = await k.selectFrom('transactions as t').innerJoin('payees as p', 'p.id', 't.payee_id').select(['p.name', 't.tags']).where('t.ledger_id', '=', ledgerId).where('p.name', 'in', ['Starbucks', 'Blue Bottle Coffee', "Dunkin'"]).execute();
    expect(coffee.length).toBeGreaterThan(10);
    expect(coffee.every((x) => x.tags.includes('coffee'))).toBe(true);
    const walgreens = await k.selectFrom('transactions as t').innerJoin('payees as p', 'p.id', 't.payee_id').innerJoin('categories as c', 'c.id', 't.category_id').select('c.name').where('t.ledger_id', '=', ledgerId).where('p.name', '=', 'Walgreens').execute();
    expect(walgreens.length).toBeGreaterThan(0);
    expect(new Set(walgreens.map((x) => x.name))).toEqual(new Set(['Pharmacy']));
  });

  it('creates the JSON example through the API and it matches demo transactions', async () => {
    const json = blocks.find((b) => b.kind === 'json')!;
    const r = await t.req({ method: 'POST', url: `/api/v1/ledgers/${ledgerId}/rules`, headers, payload: JSON.parse(json.text) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const dry = await t.req({ method: 'POST', url: `/api/v1/ledgers/${ledgerId}/rules/dry-run`, headers, payload: { rule_ids: [r.body.id], limit: 5 } });
    expect(dry.status).toBe(200);
    expect(dry.body.summary.rules[0].matched).toBeGreaterThan(0);
  });

  it('suggests a rule after three manual recategorizations on the demo ledger, through the API and the CLI', async () => {
    const k = t.c.db.kysely;
    const rows = await k.selectFrom('transactions as t').innerJoin('payees as p', 'p.id', 't.payee_id').select('t.id').where('t.ledger_id', '=', ledgerId).where('p.name', '=', 'Five Guys').where('t.is_split', '=', false).limit(3).execute();
    const restaurants = await k.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where('name', '=', 'Restaurants').executeTakeFirstOrThrow();
    expect(rows).toHaveLength(3);
    for (const x of rows) expect((await t.req({ method: 'PATCH', url: `/api/v1/ledgers/${ledgerId}/transactions/${x.id}`, headers, payload: { category_id: restaurants.id } })).status).toBe(200);
    const api = await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/rules/suggestions`, headers });
    expect(api.body.items.map((s: { rule: { name: string } }) => s.rule.name)).toContain('Five Guys → Restaurants');
    const list = await cli('rules', 'suggestions', '--ledger', LEDGER);
    const line = list.out.find((l) => l.includes('Five Guys → Restaurants'))!;
    expect(line).toMatch(/recategorized by hand 3 times/);
    const n = /^\s*(\d+)\./.exec(line)![1]!;
    const acc = await cli('rules', 'suggestions', '--ledger', LEDGER, '--accept', n);
    expect(acc.code, acc.err.join('\n')).toBe(0);
    expect(acc.out[0]).toMatch(/^added rule /);
    expect((await cli('rules', 'suggestions', '--ledger', LEDGER)).out.join('\n')).not.toContain('Five Guys');
  });

  it('reports CLI usage and query errors with exit codes', async () => {
    expect((await cli('rules', 'add', '--ledger', LEDGER, '--name', 'x')).code).toBe(2);
    const bad = await cli('rules', 'add', '--ledger', LEDGER, '--name', 'x', '--when', 'payee:x amount:', '--mark-cleared');
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(['  payee:x amount:', `  ${' '.repeat(15)}^`, "error: expected a value after 'amount:' at column 16 [QUERY_INVALID]"]);
    expect((await cli('rules', 'remove', '--ledger', LEDGER, 'no such rule')).code).toBe(3);
  });
});
