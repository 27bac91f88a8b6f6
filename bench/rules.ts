// Rules benchmark (the `rules` group of `npm run bench`): 50 rules of every
// kind on one ledger of --rules-rows transactions (100,000 at full scale,
// loaded by the read benchmark's set-based loader), measured two ways:
//   - hook:  the import rules step on as many drafts (in the commit's pages of
//            10,000), after the one program load a commit does;
//   - apply: POST …/rules/apply over every transaction of the ledger (the
//            service call, so the time is the engine's and the database's),
//            then the dry run, apply again (nothing left to change), and apply
//            after a tenth of the rows lost their category again.
// Target: >= 50,000 rows/s on PostgreSQL. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createContainer, type Container } from '../src/app/container.ts';
import type { Actor } from '../src/auth/actor.ts';
import { loadConfig } from '../src/config/config.ts';
import { createDb, type Db, type Engine } from '../src/db/create-db.ts';
import { migrateUp } from '../src/db/migrator.ts';
import { CHUNK as IMPORT_PAGE } from '../src/imports/flow/imports.repository.ts';
import type { DraftRow } from '../src/imports/flow/rules-hook.ts';
import { createLogger } from '../src/ops/logs/logger.ts';
import { applyToDrafts } from '../src/rules/import-hook.ts';
import { loadProgram } from '../src/rules/program.ts';
import type { ActionInput } from '../src/rules/validate.ts';
import { CATEGORY_NAMES, COMMON_NOTES, payeeFixtures } from './fixtures.ts';
import { loadData, type LedgerSpec } from './load.ts';
import { prng } from './stats.ts';
import { createScratchDatabase, createScratchDataDir, type Cleanup } from './pg-scratch.ts';

const RESULTS_DIR = join(new URL('.', import.meta.url).pathname, 'results');
export const RULES_TARGET_ROWS_PER_SECOND = 50_000;
export const RULE_COUNT = 50;

export interface RulesBenchOptions {
  scale: 'full' | 'small';
  rows: number;
  adminUrl: string;
  keep: boolean;
}


interface Step {
  name: 'hook' | 'apply' | 'dry_run' | 'apply_again' | 'apply_tenth' | 'rewrite_floor';
  rows: number;
  seconds: number;
  rows_per_second: number;
  target_rows_per_second: number | null;
  pass: boolean | null;
  /** 1, 5 and 15 minute load averages right after the step (the machine has few cores: > cores means the step competed for CPU). */
  loadavg: number[];
  detail: Record<string, unknown>;
}

export interface RulesBenchResult {
  group: 'rules';
  engine: Engine;
  scale: RulesBenchOptions['scale'];
  started_at: string;
  finished_at: string;
  command: string;
  machine: Record<string, unknown>;
  data: { transactions: number; rules: number; load_seconds: number };
  steps: Step[];
}

const stamp = () => new Date().toISOString().replace(/[-:.]/g, '').replace(/z$/i, '').toLowerCase();

async function openDatabase(engine: Engine, opts: RulesBenchOptions, cleanups: Cleanup[], log: (m: string) => void): Promise<Db> {
  if (engine === 'postgres') {
    const url = await createScratchDatabase(opts.adminUrl, `finhub_bench_rules_${stamp()}`, opts.keep, cleanups, log);
    return createDb({ databaseUrl: url, poolSize: 4, applicationName: 'finhub-bench' });
  }
  const dir = createScratchDataDir('finhub-bench-rules-', opts.keep, cleanups, log);
  return createDb({ dataDir: dir });
}

/** 50 rules: payee → category for popular merchants, renames (some merging), notes, amounts, regex, OR/NOT, a post-stage clean-up. */
export function benchRules(): { name: string; stage: 'pre' | 'default' | 'post'; condition: string; actions: ActionInput[] }[] {
  const payees = payeeFixtures();
  const merchants = payees.slice(10, 10 + 30);
  const local = payees.slice(100, 108);
  const out: ReturnType<typeof benchRules> = [];
  for (const p of merchants) out.push({ name: `cat ${p.name}`, stage: 'default', condition: `payee:"${p.name.toLowerCase().split(' ')[0]}"`, actions: [{ type: 'set_category', category: CATEGORY_NAMES[p.category]! }] });
  for (const [i, p] of local.entries()) {
    out.push({ name: `rename ${p.name}`, stage: 'pre', condition: `payee:"${p.name}"`, actions: [{ type: 'rename_payee', payee: i % 2 ? `${p.name.split(' ')[0]} Shop` : payees[20 + i]!.name }] });
  }
  out.push({ name: 'invoices', stage: 'default', condition: 'notes:~"^invoice [0-9]+$"', actions: [{ type: 'add_tags', tags: ['invoice'] }, { type: 'set_category', category: 'Bank Fees' }] });
  out.push({ name: 'warranty', stage: 'default', condition: 'notes:warranty', actions: [{ type: 'add_tags', tags: ['warranty'] }, { type: 'set_notes', notes: 'keep receipt', mode: 'append' }] });
  out.push({ name: 'big spend', stage: 'default', condition: 'outflow:>250 -is:transfer', actions: [{ type: 'add_tags', tags: ['big'] }] });
  out.push({ name: 'small cafes', stage: 'default', condition: '(payee:cafe OR payee:bakery) amount:<10', actions: [{ type: 'add_tags', tags: ['treat'] }] });
  out.push({ name: 'team lunch', stage: 'default', condition: 'notes:"team lunch" OR notes:"business trip"', actions: [{ type: 'add_tags', tags: ['reimbursable'] }] });
  out.push({ name: 'vacation', stage: 'default', condition: 'tag:vacation -category:none', actions: [{ type: 'set_notes', notes: 'trip', mode: 'append' }] });
  out.push({ name: 'income', stage: 'default', condition: 'inflow:>500 -is:transfer', actions: [{ type: 'add_tags', tags: ['income'] }] });
  out.push({ name: 'recent uncleared', stage: 'post', condition: 'is:uncleared date:last-30-days', actions: [{ type: 'mark_cleared' }] });
  out.push({ name: 'leftover', stage: 'post', condition: 'is:uncategorized -is:split', actions: [{ type: 'add_tags', tags: ['review'] }] });
  out.push({ name: 'savings moves', stage: 'default', condition: 'account:savings payee:"transfer"', actions: [{ type: 'link_transfer', within_days: 3 }] });
  out.push({ name: 'regex refund', stage: 'default', condition: 'notes:~"refund (pending|issued)"', actions: [{ type: 'add_tags', tags: ['refund'] }] });
  out.push({ name: 'not amazon', stage: 'default', condition: '-payee:amazon category:household', actions: [{ type: 'add_tags', tags: ['home'] }] });
  while (out.length < RULE_COUNT) out.push({ name: `extra ${out.length}`, stage: 'default', condition: `payee:"${payees[200 + out.length]!.name}" date:2020..`, actions: [{ type: 'add_tags', tags: [`x${out.length}`] }] });
  return out.slice(0, RULE_COUNT);
}

/** Drafts as an import of a bank file of the same merchants would make them. */
function benchDrafts(n: number): DraftRow[] {
  const payees = payeeFixtures();
  const r = prng(7).next;
  const today = new Date();
  return Array.from({ length: n }, (_, i) => {
    const p = payees[Math.floor(Math.pow(r(), 2) * payees.length)]!;
    const memo = r() < 0.1 ? COMMON_NOTES[Math.floor(r() * COMMON_NOTES.length)]! : r() < 0.02 ? `invoice ${Math.floor(r() * 10000)}` : null;
    return {
      rowIndex: i, postedOn: new Date(today.getTime() - Math.floor(r() * 400) * 86_400_000).toISOString().slice(0, 10), amountMinor: -BigInt(50 + Math.floor(Math.pow(r(), 3) * 40000)),
      bankPayee: p.name.toUpperCase(), memo, bankId: `B${i}`, pending: r() < 0.02,
      payeeName: p.name.toUpperCase(), categoryId: null, notes: memo, tags: [], cleared: 'cleared',
    };
  });
}

const rate = (rows: number, s: number) => Math.round(rows / s);
class Rollback extends Error {}
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

export async function runRulesBench(engine: Engine, opts: RulesBenchOptions, cleanups: Cleanup[], log: (m: string) => void): Promise<RulesBenchResult> {
  const started = new Date();
  const loadAtStart = loadavg();
  const db = await openDatabase(engine, opts, cleanups, log);
  cleanups.push({ label: 'close database', fn: () => db.close() });
  await migrateUp(db);
  const config = loadConfig({ LOG_LEVEL: 'silent', FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false' });
  const c: Container = await createContainer(config, { db, logger: createLogger(config) });
  const user = await c.auth.createUser(null, { email: 'bench-rules@example.com', password: 'bench-password-1234', displayName: 'Bench' });
  const actor: Actor = { userId: user.id, isAdmin: false, via: 'cli' };
  const spec: LedgerSpec = { id: randomUUID(), ord: 0, name: 'Rules Bench', rows: opts.rows, big: true };
  log(`loading one ledger with ${opts.rows.toLocaleString('en-US')} transactions`);
  const load = await loadData(db.kysely, { userId: user.id, ledgers: [spec], indexMode: 'rebuild', log });
  // History to categorize: the loader gives most rows their payee's category; take it away from every plain row.
  await sql`update transactions set category_id = null where ledger_id = ${spec.id}::uuid and parent_id is null and not is_split and transfer_peer_id is null`.execute(db.kysely);
  await sql`analyze`.execute(db.kysely);
  for (const rule of benchRules()) await c.rules.create(actor, spec.id, rule);
  const transactions = Number((await sql<{ n: string }>`select count(*)::text as n from transactions where ledger_id = ${spec.id}::uuid and parent_id is null`.execute(db.kysely)).rows[0]!.n);
  log(`loaded ${transactions.toLocaleString('en-US')} top-level rows in ${load.seconds.toFixed(1)} s; ${RULE_COUNT} rules`);
  const steps: Step[] = [];
  const target = engine === 'postgres' ? RULES_TARGET_ROWS_PER_SECOND : RULES_TARGET_ROWS_PER_SECOND / 2;

  // Hook: one program load (as a commit does), then the drafts page by page.
  const drafts = benchDrafts(opts.rows);
  const account = (await c.db.kysely.selectFrom('accounts').select('id').where('ledger_id', '=', spec.id).orderBy('name').executeTakeFirstOrThrow()).id;
  let t = performance.now();
  const program = await loadProgram(c.db.kysely, spec.id, new Date());
  const loadMs = performance.now() - t;
  let categorized = 0;
  for (let i = 0; i < drafts.length; i += IMPORT_PAGE) {
    for (const d of applyToDrafts(program, account, drafts.slice(i, i + IMPORT_PAGE))) if (d.categoryId !== null) categorized++;
  }
  let s = (performance.now() - t) / 1000;
  steps.push({ name: 'hook', rows: drafts.length, seconds: s, rows_per_second: rate(drafts.length, s), target_rows_per_second: target, pass: rate(drafts.length, s) >= target, loadavg: loadavg(), detail: { program_load_ms: Math.round(loadMs), categorized } });
  log(`hook: ${drafts.length} drafts in ${s.toFixed(2)} s = ${rate(drafts.length, s)} rows/s (${categorized} categorized)`);

  // Apply over history (nearly every row changes), the dry run, apply again (nothing left to change), and
  // apply after a tenth of the rows lost their category (the usual case: a month of new rows).
  for (const name of ['apply', 'dry_run', 'apply_again', 'apply_tenth'] as const) {
    if (name === 'apply_tenth') {
      await sql`update transactions set category_id = null where ledger_id = ${spec.id}::uuid and parent_id is null and category_id is not null and random() < 0.1`.execute(db.kysely);
    }
    t = performance.now();
    const summary = name === 'dry_run' ? (await c.rules.dryRun(actor, spec.id, { limit: 1 })).summary : await c.rules.apply(actor, spec.id, {});
    s = (performance.now() - t) / 1000;
    const r = rate(summary.scanned, s);
    steps.push({ name, rows: summary.scanned, seconds: s, rows_per_second: r, target_rows_per_second: name === 'apply' || name === 'apply_tenth' ? target : null, pass: name === 'apply' || name === 'apply_tenth' ? r >= target : null, loadavg: loadavg(), detail: { matched: summary.matched, changed: summary.changed, links: summary.links, conflicts: summary.conflicts } });
    log(`${name}: ${summary.scanned} rows in ${s.toFixed(2)} s = ${r} rows/s (matched ${summary.matched}, changed ${summary.changed}, links ${summary.links})`);
  }

  // What apply cannot go below: PostgreSQL rewriting as many rows as apply changed, in ONE statement
  // prepared by nobody (a new category and a tag each, as rules write them; every trigger, index and
  // foreign key check as in apply), rolled back. Not gated: it shows how much of apply is the rewrite itself.
  const applied = steps.find((x) => x.name === 'apply')!;
  const n = Number(applied.detail.changed);
  const cats = (await db.kysely.selectFrom('categories').select('id').where('ledger_id', '=', spec.id).orderBy('id').execute()).map((x) => x.id);
  t = performance.now();
  await db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('finhub.rules_apply', 'on', true)`.execute(tx);
    await sql`
      update transactions t set category_id = case when t.is_split or t.transfer_peer_id is not null then null else (${cats}::uuid[])[1 + abs(hashtext(t.id::text)) % ${cats.length}::int] end,
             tags = t.tags || '{floor}'::text[], updated_at = now()
       where t.id in (select id from transactions where ledger_id = ${spec.id}::uuid and parent_id is null and not is_split and transfer_peer_id is null limit ${n})`.execute(tx);
    throw new Rollback();
  }).catch((e: unknown) => {
    if (!(e instanceof Rollback)) throw e;
  });
  s = (performance.now() - t) / 1000;
  steps.push({ name: 'rewrite_floor', rows: n, seconds: s, rows_per_second: rate(n, s), target_rows_per_second: null, pass: null, loadavg: loadavg(), detail: { note: 'one UPDATE of as many rows as apply changed (new category and a tag), rolled back' } });
  log(`rewrite_floor: ${n} rows rewritten by one UPDATE in ${s.toFixed(2)} s = ${rate(n, s)} rows/s`);
  return {
    group: 'rules', engine, scale: opts.scale, started_at: started.toISOString(), finished_at: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadavg_at_start: loadAtStart, loadavg_at_end: loadavg() },
    data: { transactions, rules: RULE_COUNT, load_seconds: Number(load.seconds.toFixed(1)) },
    steps,
  };
}

export function rulesTable(r: RulesBenchResult): string {
  const lines = [`rules (${r.engine}, ${r.data.transactions.toLocaleString('en-US')} transactions, ${r.data.rules} rules)`, 'step          rows     seconds   rows/s    target   result   load (1 min)'];
  for (const s of r.steps) lines.push(`${s.name.padEnd(12)} ${String(s.rows).padStart(7)} ${s.seconds.toFixed(2).padStart(9)} ${String(s.rows_per_second).padStart(9)} ${String(s.target_rows_per_second ?? '-').padStart(9)}   ${(s.pass === null ? '-' : s.pass ? 'pass' : 'fail').padEnd(6)}   ${s.loadavg[0]}`);
  return lines.join('\n');
}

export function writeRulesResults(r: RulesBenchResult): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = [join(RESULTS_DIR, `rules-${r.engine}-${r.scale}-${r.started_at.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}.json`), join(RESULTS_DIR, `latest-rules-${r.engine}-${r.scale}.json`)];
  for (const f of files) writeFileSync(f, JSON.stringify(r, null, 2) + '\n');
  return files;
}
