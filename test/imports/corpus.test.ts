// Every real statement file of ../shared/fixtures/bank-files behaves as its
// MANIFEST.md row says (facts in corpus-facts.ts), on both engines:
//   1. parseStatements: the file's facts hold (counts, balances, sample rows,
//      account, currency, encoding), or it is rejected with a coded, clear
//      ImportError when the manifest expects that (BROKEN_ files, error responses);
//   2. the import service: preview + commit into a fresh account of a fresh
//      ledger (one ledger per file, one database per engine), the committed
//      row count and balances, then a re-import of the same file adds 0 rows.
// Outside CI a missing corpus skips this file with a notice; in CI
// (CI=true or FINHUB_REQUIRE_CORPUS=1) it fails.
import { basename } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../../src/app/container.ts';
import type { Actor } from '../../src/auth/actor.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ImportError } from '../../src/imports/errors.ts';
import { parseStatement, parseStatements } from '../../src/imports/parse.ts';
import type { Statement } from '../../src/imports/statement.ts';
import { createLogger } from '../../src/ops/logs/logger.ts';
import { runFlowImport, type FlowOutcome } from '../../bench/import-flow-adapter.ts';
import { createTestDb, testEngine, type TestDb } from '../helpers/db.ts';
import { checkFileFacts, statementProblems, toMinor } from './corpus-check.ts';
import { CORPUS_FACTS, type CorpusDir, type FileFacts } from './corpus-facts.ts';
import { corpusAvailable, corpusRequired, listCorpusFiles, readCorpusFile, readManifest } from './corpus-manifest.ts';

const available = corpusAvailable();
const required = corpusRequired();
if (!available && !required) {
  console.warn('NOTE: ../shared/fixtures/bank-files is missing: the real-file corpus test is SKIPPED (CI fails instead).');
}

/** The code and message of whatever rejected the file: a parser ImportError or the service's AppError wrapping one. */
interface Rejection {
  code: string;
  message: string;
  where: boolean;
  stage: 'parse' | 'import';
}

function asRejection(e: unknown, stage: Rejection['stage']): Rejection | undefined {
  if (e instanceof ImportError) return { code: e.code, message: e.message, where: e.line !== undefined || e.offset !== undefined || e.expected !== undefined, stage };
  const a = e as { name?: string; code?: string; message?: string; details?: Record<string, unknown>; cause?: unknown };
  if (a?.name === 'AppError' && typeof a.code === 'string') {
    if (a.cause instanceof ImportError) return asRejection(a.cause, stage);
    const d = a.details ?? {};
    return { code: a.code.replace(/^IMPORT_/, ''), message: a.message ?? '', where: d.line !== undefined || d.offset !== undefined || d.expected !== undefined, stage };
  }
  return undefined;
}

interface FileResult {
  dir: CorpusDir;
  file: string;
  ok: boolean;
  how: string;
}
const results: FileResult[] = [];

describe.skipIf(!available && !required)(`real bank-file corpus (${testEngine})`, () => {
  let tdb: TestDb;
  let c: Container;
  let actor: Actor;

  beforeAll(async () => {
    if (!available) throw new Error('the real-file corpus ../shared/fixtures/bank-files (with MANIFEST.md) is missing; CI needs it');
    tdb = await createTestDb();
    const config = loadConfig({ LOG_LEVEL: 'silent', FINHUB_ENV: 'test', FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false' });
    c = await createContainer(config, { db: tdb.db, logger: createLogger(config) });
    const u = await c.auth.createUser(null, { email: `corpus-${Date.now()}@example.com`, password: 'corpus password 1234' });
    actor = { userId: u.id, isAdmin: false, via: 'cli' };
  });

  afterAll(async () => {
    await tdb?.cleanup();
    if (results.length === 0) return;
    const dirs = [...new Set(CORPUS_FACTS.map((f) => f.dir))];
    const lines = dirs.map((d) => {
      const rs = results.filter((r) => r.dir === d);
      const failed = rs.filter((r) => !r.ok);
      const hows = new Map<string, number>();
      for (const r of rs) hows.set(r.how, (hows.get(r.how) ?? 0) + 1);
      return `${d.padEnd(10)} ${String(rs.length - failed.length).padStart(3)}/${String(rs.length).padEnd(3)} ok  (${[...hows].map(([h, n]) => `${n} ${h}`).join(', ')})${failed.length ? `  FAILED: ${failed.map((f) => basename(f.file)).join(', ')}` : ''}`;
    });
    console.log(`real-file corpus on ${testEngine}: ${results.filter((r) => r.ok).length}/${results.length} files behave as MANIFEST.md says\n${lines.join('\n')}`);
  });

  it('the facts table covers exactly the files MANIFEST.md lists and the directory holds', () => {
    const manifest = readManifest().map((r) => r.path).sort();
    const facts = CORPUS_FACTS.map((f) => f.file).sort();
    expect(new Set(facts).size).toBe(facts.length);
    expect(facts).toEqual(manifest);
    expect(listCorpusFiles()).toEqual(manifest);
    for (const f of CORPUS_FACTS) {
      // A BROKEN_ file is never expected to import cleanly.
      if (basename(f.file).includes('BROKEN_')) expect(f.expect.kind, f.file).not.toBe('import');
      expect(f.file.startsWith(`${f.dir}/`), f.file).toBe(true);
    }
  });

  let seq = 0;
  async function freshAccount(f: FileFacts, openingMinor = 0n): Promise<{ ledgerId: string; accountId: string }> {
    seq += 1;
    const ledger = await c.ledgers.create(actor, { name: `corpus ${seq} ${basename(f.file)}`.slice(0, 100), baseCurrency: f.accountCurrency });
    const account = await c.accounts.create(actor, ledger.id, { name: 'Imported', type: 'checking', currency: f.accountCurrency, openingBalanceMinor: Number(openingMinor) });
    return { ledgerId: ledger.id, accountId: account.id };
  }

  /**
   * The stated opening balance, when the manifest's own figures prove that the
   * file reconciles (opening + every row = closing). Importing into an account
   * that starts there, finhub's balance check must then report a match.
   */
  function reconcilingOpening(f: FileFacts): bigint | undefined {
    const opening = f.balances?.find((b) => b.kind === 'opening');
    const closing = f.balances?.find((b) => b.kind === 'closing');
    if (!opening || !closing || f.count === undefined) return undefined;
    const cur = f.accountCurrency;
    let sum: bigint | undefined;
    if (f.sum !== undefined) sum = toMinor(f.sum, cur);
    else if (f.rows && f.rows.length === f.count && f.rows.every((r) => r.amount !== undefined)) sum = f.rows.reduce((a, r) => a + toMinor(r.amount!, cur), 0n);
    if (sum === undefined) return undefined;
    const o = toMinor(opening.amount, cur);
    return o + sum === toMinor(closing.amount, cur) ? o : undefined;
  }

  async function accountState(accountId: string): Promise<{ rows: number; sum: bigint }> {
    const r = await sql<{ n: string; s: string | null }>`select count(*)::text as n, sum(amount_minor)::text as s from transactions where account_id = ${accountId}::uuid and parent_id is null`.execute(tdb.db.kysely);
    return { rows: Number(r.rows[0]!.n), sum: BigInt(r.rows[0]!.s ?? '0') };
  }

  /** Import twice through the service; returns problems. */
  async function importChecks(f: FileFacts, picked: Statement, bytes: Uint8Array): Promise<string[]> {
    const p: string[] = [];
    const opening = reconcilingOpening(f);
    const { ledgerId, accountId } = await freshAccount(f, opening ?? 0n);
    const input = { ledgerId, accountId, bytes, fileName: basename(f.file), csv: f.csv };
    let first: FlowOutcome;
    try {
      first = (await runFlowImport(c, actor, input)).outcome;
    } catch (e) {
      const r = asRejection(e, 'import');
      return [`import failed: ${r ? `${r.code}: ${r.message}` : (e as Error).stack}`];
    }
    const nonZero = picked.transactions.filter((t) => t.amountMinor !== 0n);
    const expected = f.committed ?? f.count;
    if (first.status !== 'committed') p.push(`first import ended as ${first.status}`);
    if (expected !== undefined && first.committed !== expected) p.push(`committed ${first.committed} rows, expected ${expected} (${JSON.stringify(first.counts)})`);
    if (expected === undefined && (first.committed < nonZero.length || first.committed > picked.transactions.length)) {
      p.push(`committed ${first.committed} rows of ${picked.transactions.length} (${nonZero.length} non-zero) in a fresh account (${JSON.stringify(first.counts)})`);
    }
    const after = await accountState(accountId);
    if (after.rows !== first.committed) p.push(`account holds ${after.rows} rows after committing ${first.committed}`);
    // Every committed row is one of the file's rows: with a fresh account, the sum is the file's.
    if (first.committed === picked.transactions.length || first.committed === nonZero.length) {
      const want = nonZero.reduce((s, t) => s + t.amountMinor, 0n);
      if (after.sum !== want) p.push(`account balance ${after.sum} after import, the file's rows sum to ${want}`);
    }
    if (opening !== undefined && first.balanceCheck?.status !== 'match') {
      p.push(`the file reconciles (opening + rows = closing) and the account started at the opening balance, but the balance check says ${JSON.stringify(first.balanceCheck)}`);
    }
    // The closing balance the file states reaches the balance check unchanged.
    const closing = f.balances?.find((b) => b.kind === 'closing');
    if (closing && first.balanceCheck?.status !== 'not_stated') {
      const cur = picked.account.currency ?? f.accountCurrency;
      if (first.balanceCheck?.stated_minor !== undefined && first.balanceCheck?.stated_minor !== null && BigInt(first.balanceCheck.stated_minor) !== toMinor(closing.amount, cur)) {
        p.push(`balance check states ${first.balanceCheck.stated_minor}, the file's closing balance is ${closing.amount}`);
      }
    }
    if (closing && first.balanceCheck?.status === 'not_stated') p.push(`balance check says not_stated, but the file states a closing balance ${closing.amount}`);

    // Again: everything is already there.
    let second: FlowOutcome;
    try {
      second = (await runFlowImport(c, actor, input)).outcome;
    } catch (e) {
      const r = asRejection(e, 'import');
      return [...p, `re-import failed: ${r ? `${r.code}: ${r.message}` : (e as Error).stack}`];
    }
    if (second.counts.new !== 0 || second.committed !== 0) p.push(`re-import: ${second.counts.new} new, ${second.committed} committed (${JSON.stringify(second.counts)}), expected 0`);
    const again = await accountState(accountId);
    if (again.rows !== after.rows) p.push(`re-import changed the account: ${after.rows} -> ${again.rows} rows`);
    return p;
  }

  for (const f of CORPUS_FACTS) {
    it(`${f.file} [${f.expect.kind}]`, async () => {
      const bytes = readCorpusFile(f.file);
      const opts = { fileName: basename(f.file), currency: f.accountCurrency, ...(f.csv ? { csv: f.csv } : {}) };
      let all: Statement[] | undefined;
      let picked: Statement | undefined;
      let parseRejection: Rejection | undefined;
      try {
        // Every statement in the file (per-statement facts), and the one the import flow takes.
        all = await parseStatements(bytes, opts);
        picked = await parseStatement(bytes, opts);
      } catch (e) {
        parseRejection = asRejection(e, 'parse');
        if (!parseRejection) throw e; // an uncoded exception is a bug whatever the manifest says
      }
      const problems: string[] = [];
      let how: string;
      const x = f.expect;
      const mentionsOk = (msg: string, mentions: string[] | undefined) => !mentions || mentions.some((m) => msg.toLowerCase().includes(m.toLowerCase()));

      if (parseRejection) {
        const r = parseRejection;
        how = `rejected ${r.code}`;
        const allowed = x.kind === 'reject' || x.kind === 'reject-or-tolerate' || x.kind === 'investment' ? x.codes : x.kind === 'no-statement' ? ['MALFORMED_FILE', 'UNSUPPORTED_FORMAT'] : [];
        if (!allowed.includes(r.code as never)) problems.push(`rejected by the parser with ${r.code}: ${r.message}; the manifest expects ${x.kind}`);
        if (x.kind === 'reject' && !mentionsOk(r.message, x.mentions)) problems.push(`rejection message "${r.message}" does not name ${x.mentions!.join(' / ')}`);
        if (x.kind === 'no-statement' && !mentionsOk(r.message, x.mentions)) problems.push(`rejection message "${r.message}" does not name ${x.mentions.join(' / ')}`);
        if (r.message.trim().length < 15) problems.push(`rejection message too short to be clear: "${r.message}"`);
        if (r.code === 'MALFORMED_FILE' && !r.where) problems.push(`MALFORMED_FILE "${r.message}" names neither a line, an offset nor what was expected`);
      } else {
        for (const s of [...all!, picked!]) problems.push(...statementProblems(s));
        if (x.kind === 'no-statement') {
          how = 'empty statement';
          const n = all!.reduce((k, s) => k + s.transactions.length, 0);
          if (n !== 0 || !all!.some((s) => s.warnings.some((w) => mentionsOk(w, x.mentions)))) problems.push(`expected no statement (or an empty one with a warning naming ${x.mentions.join(' / ')}); got ${n} transactions, warnings ${JSON.stringify(all!.flatMap((s) => s.warnings))}`);
        } else if (x.kind === 'reject') {
          // Parsed fine: the import service must refuse it (e.g. a currency finhub cannot hold), writing nothing.
          how = 'rejected at import';
          const { ledgerId, accountId } = await freshAccount(f);
          try {
            await runFlowImport(c, actor, { ledgerId, accountId, bytes, fileName: basename(f.file), csv: f.csv });
            problems.push(`expected a rejection (${x.codes.join('/')}); the file parsed and imported`);
          } catch (e) {
            const r = asRejection(e, 'import');
            if (!r) throw e;
            if (!x.codes.includes(r.code as never)) problems.push(`rejected at import with ${r.code}: ${r.message}; expected ${x.codes.join('/')}`);
            if (!mentionsOk(r.message, x.mentions)) problems.push(`rejection message "${r.message}" does not name ${x.mentions!.join(' / ')}`);
          }
          const st = await accountState(accountId);
          if (st.rows !== 0) problems.push(`a rejected import wrote ${st.rows} rows`);
        } else {
          problems.push(...checkFileFacts(all!, picked!, f));
          how = x.kind === 'import' ? 'imported' : x.kind === 'investment' ? 'imported (cash side)' : 'tolerated';
          if (problems.length === 0) problems.push(...(await importChecks(f, picked!, bytes)));
          else problems.push('(import not attempted: parse facts failed)');
        }
      }
      results.push({ dir: f.dir, file: f.file, ok: problems.length === 0, how });
      expect(problems, `${f.file} (${f.expect.kind})${f.note ? ` — ${f.note}` : ''}`).toEqual([]);
    });
  }
});
