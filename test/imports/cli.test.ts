// finhub import / import list / import commit / import undo through runCommand,
// as a forwarded command runs (no stdin, no TTY), on both engines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { accountRows, newBooks, type Books } from './flow-helpers.ts';
import { JANUARY_OFX, ofx1 } from './fixtures.ts';

let t: TestApp;
let dir: string;
let b: Books;
let ledgerName: string;

beforeAll(async () => {
  t = await createTestApp();
  dir = mkdtempSync(join(tmpdir(), 'finhub-import-cli-'));
  b = await newBooks(t);
  ledgerName = `Cli books ${Date.now()}`;
  await t.c.db.kysely.updateTable('ledgers').set({ name: ledgerName }).where('id', '=', b.ledgerId).execute();
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('finhub import', () => {
  it('without --yes and without a terminal, leaves a preview and says how to commit it; import commit writes it', async () => {
    const f = file('january.ofx', JANUARY_OFX);
    const r = await run('import', f, '--ledger', ledgerName, '--account', 'checking');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('january.ofx: OFX 1.x (windows-1252), account 999988, CHECKING, USD, 2024-01-01 to 2024-01-31 -> "Checking"');
    expect(r.out).toMatch(/^ {2}new +3$/m);
    expect(r.out).toMatch(/^ {2}duplicate +0$/m);
    expect(r.out).toMatch(/^ {2}pending replaced +0$/m);
    expect(r.out).toContain("Balance check: the file's closing balance 2397.51 on 2024-01-31 matches finhub's balance after import.");
    const id = /finhub import commit ([0-9a-f-]{36})/.exec(r.out)?.[1];
    expect(id).toBeDefined();
    expect(await accountRows(b, b.checking)).toEqual([]);

    const c = await run('import', 'commit', id!);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toContain(`Imported batch ${id}: 3 new`);
    expect(await accountRows(b, b.checking)).toHaveLength(3);
    expect((await run('import', 'commit', id!)).code).toBe(3);

    const l = await run('import', 'list', '--ledger', b.ledgerId);
    expect(l.code).toBe(0);
    expect(l.out).toContain(id!);
    expect(l.out).toMatch(new RegExp(`${id} .* committed +3 +0`));
  });

  it('re-importing with --yes adds nothing and shows a sample of duplicates with their reasons', async () => {
    const f = file('january-again.ofx', JANUARY_OFX);
    const r = await run('import', f, '--ledger', b.ledgerId, '--account', b.checking, '--yes');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}duplicate +3$/m);
    expect(r.out).toContain('Duplicates (3):');
    expect(r.out).toMatch(/row 1 \(line \d+\) +2024-01-03 +-12.50 +COFFEE HOUSE: same bank transaction id "F1"/);
    expect(r.out).toContain('0 new');
    expect(await accountRows(b, b.checking)).toHaveLength(3);
  });

  it('--dry-run leaves nothing behind; --json prints the preview', async () => {
    const before = await t.c.db.kysely.selectFrom('import_batches').select('id').where('ledger_id', '=', b.ledgerId).execute();
    const f = file('feb.ofx', ofx1({ rows: [{ date: '2024-02-02', amount: '-5.00', fitid: 'FEB1', name: 'KIOSK' }] }));
    const r = await run('import', f, '--ledger', b.ledgerId, '--account', 'Savings', '--dry-run', '--json');
    expect(r.code, r.err).toBe(0);
    const preview = JSON.parse(r.out.split('\n')[0]!);
    expect(preview).toMatchObject({ status: 'previewed', counts: { new: 1 } });
    expect(preview.rows[0]).toMatchObject({ bank_id: 'FEB1', decision: 'new' });
    expect(await t.c.db.kysely.selectFrom('import_batches').select('id').where('ledger_id', '=', b.ledgerId).execute()).toEqual(before);
    expect(await accountRows(b, b.savings)).toEqual([]);
  });

  it('asks for the CSV date order when it is ambiguous, and takes --csv-date-format', async () => {
    const f = file('card.csv', 'Date,Amount,Description\n03/04/2024,-1.00,Bus\n04/05/2024,-2.00,Tram\n');
    const r = await run('import', f, '--ledger', b.ledgerId, '--account', 'visa', '--yes');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/IMPORT_CSV_MAPPING_REQUIRED/);
    expect(r.err).toMatch(/day-month-year/);
    const ok = await run('import', f, '--ledger', b.ledgerId, '--account', 'visa', '--yes', '--csv-date-format', 'MDY');
    expect(ok.code, ok.err).toBe(0);
    expect((await accountRows(b, b.card)).map((x) => x.posted_on)).toEqual(['2024-03-04', '2024-04-05']);
  });

  it('undo deletes the batch\'s rows, keeps edited ones and says how to force', async () => {
    const f = file('march.ofx', ofx1({ rows: [{ date: '2024-03-01', amount: '-1.00', fitid: 'M1', name: 'A' }, { date: '2024-03-02', amount: '-2.00', fitid: 'M2', name: 'B' }] }));
    const r = await run('import', f, '--ledger', b.ledgerId, '--account', 'savings', '--yes', '--json');
    expect(r.code, r.err).toBe(0);
    const committed = JSON.parse(r.out.split('\n')[1]!);
    const rows = await accountRows(b, b.savings);
    await t.c.transactions.update(b.actor, b.ledgerId, rows[0]!.id, { notes: 'keep me' });
    const u = await run('import', 'undo', committed.id);
    expect(u.code, u.err).toBe(0);
    expect(u.out).toContain('deleted 1 transaction(s)');
    expect(u.out).toContain('Kept 1 transaction(s) edited since the import:');
    expect(u.out).toContain(`finhub import undo ${committed.id} --force`);
    const f2 = await run('import', 'undo', committed.id, '--force');
    expect(f2.code, f2.err).toBe(0);
    expect(await accountRows(b, b.savings)).toEqual([]);
  });

  it('reports usage errors, unknown ledgers and accounts, unreadable and malformed files with the right exit codes', async () => {
    const f = file('ok.ofx', JANUARY_OFX);
    expect((await run('import', f, '--account', 'checking')).code).toBe(2);
    expect((await run('import', '--ledger', b.ledgerId, '--account', 'checking')).code).toBe(2);
    expect((await run('import', f, '--ledger', 'No such ledger', '--account', 'checking')).code).toBe(3);
    const acc = await run('import', f, '--ledger', b.ledgerId, '--account', 'Brokerage');
    expect(acc.code).toBe(3);
    expect(acc.err).toMatch(/accounts: Checking, Euro account, Savings, Visa/);
    expect((await run('import', join(dir, 'missing.ofx'), '--ledger', b.ledgerId, '--account', 'checking')).code).toBe(3);
    const bad = await run('import', file('bad.csv', 'Date,Amount,Payee\n2024-05-01,-1.00,Kiosk\n2024-05-02,twelve,Refund\n'), '--ledger', b.ledgerId, '--account', 'checking');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/line 3.*IMPORT_MALFORMED_FILE/);
    expect((await run('import', f, '--ledger', b.ledgerId, '--account', 'checking', '--format', 'xlsx')).code).toBe(2);
    expect((await run('import', 'undo', '00000000-0000-4000-8000-000000000000')).code).toBe(3);
  });

  it('the runbook\'s "A bad import" commands work as written', async () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const start = runbook.indexOf('\n## A bad import\n');
    expect(start).toBeGreaterThan(0);
    const section = runbook.slice(start + 1).split(/\n## /)[0]!;
    const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('npx finhub ')));
    expect(commands).toEqual(['npx finhub import list --ledger "Household"', 'npx finhub import undo <batch>', 'npx finhub import undo <batch> --force']);

    const h = await newBooks(t); // a ledger named "Household", as in the runbook
    const f = file('bad.ofx', ofx1({ rows: [{ date: '2024-04-01', amount: '-1.00', fitid: 'R1', name: 'A' }, { date: '2024-04-02', amount: '-2.00', fitid: 'R2', name: 'B' }] }));
    const imported = await run('import', f, '--ledger', h.ledgerId, '--account', 'checking', '--yes', '--json');
    const batch = JSON.parse(imported.out.split('\n')[1]!).id as string;
    const rows = await accountRows(h, h.checking);
    await t.c.transactions.update(h.actor, h.ledgerId, rows[1]!.id, { notes: 'reviewed' });
    const words = (cmd: string) => [...cmd.replace('<batch>', batch).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(2);

    const list = await run(...words(commands[0]!));
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(new RegExp(`${batch} .* committed +2 +0 +0 +0 +0 +Household / Checking / bad.ofx \\(ofx1\\)`));
    const undo = await run(...words(commands[1]!));
    expect(undo.code, undo.err).toBe(0);
    expect(undo.out).toContain('deleted 1 transaction(s)');
    expect(undo.out).toContain('Kept 1 transaction(s) edited since the import');
    const force = await run(...words(commands[2]!));
    expect(force.code, force.err).toBe(0);
    expect(await accountRows(h, h.checking)).toEqual([]);
    expect((await run(...words(commands[1]!))).code).toBe(3);
  });

  it('counts imports and rows in metrics that promtool accepts', async () => {
    const text = await t.c.metrics.registry.metrics();
    expect(text).toMatch(/^finhub_imports_total\{format="ofx1",outcome="committed"\} [1-9]/m);
    expect(text).toMatch(/^finhub_imports_total\{format="csv",outcome="rejected"\} [1-9]/m);
    expect(text).toMatch(/^finhub_import_rows_total\{decision="duplicate"\} [1-9]/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool must be installed').toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
  });
});
