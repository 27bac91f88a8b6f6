// finhub import FILE | import list | import commit BATCH | import undo BATCH.
// The commands call the import service as the ledger's owner (or --email), so
// they go through the same checks, audit and metrics as the API.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { sql } from 'kysely';
import type { Container } from '../../app/container.ts';
import type { Actor } from '../../auth/actor.ts';
import { CSV_DATE_FORMATS, readCsvMapping, type CsvDateFormat, type CsvOptions } from '../../imports/csv/options.ts';
import type { ImportView, ProgressFn } from '../../imports/flow/imports.service.ts';
import type { ImportRowOut } from '../../imports/flow/views.ts';
import { IMPORT_FORMATS, type ImportFormat } from '../../imports/statement.ts';
import { isCurrencyCode, type CurrencyCode } from '../../money/currencies.ts';
import { toDecimalString, type Minor } from '../../money/money.ts';
import { AppError } from '../../shared/app-error.ts';
import { isUuid } from '../../shared/ids.ts';
import { requireString, UsageError, type Command, type CommandContext } from '../context.ts';

const FORMAT_NAMES: Record<string, string> = { ofx1: 'OFX 1.x', ofx2: 'OFX 2.x', qfx: 'QFX', qif: 'QIF', camt053: 'CAMT.053', csv: 'CSV' };
const SAMPLE = 5;

// ---------------------------------------------------------------- lookups

async function resolveLedger(c: Container, ref: string): Promise<{ id: string; name: string }> {
  const k = c.db.kysely;
  const lower = ref.toLowerCase();
  const rows = isUuid(ref)
    ? await k.selectFrom('ledgers').select(['id', 'name']).where('id', '=', ref).execute()
    : await k.selectFrom('ledgers').select(['id', 'name']).where(sql<string>`lower(name)`, '=', lower).execute();
  if (rows.length === 0) throw new AppError('NOT_FOUND', `no ledger ${isUuid(ref) ? 'with id' : 'named'} ${JSON.stringify(ref)} (see finhub ledger list)`);
  if (rows.length > 1) throw new UsageError(`${rows.length} ledgers are named ${JSON.stringify(ref)}; pass the id instead: ${rows.map((r) => r.id).join(', ')}`);
  return rows[0]!;
}

async function resolveAccount(c: Container, ledgerId: string, ref: string): Promise<{ id: string; name: string; currency: string }> {
  const k = c.db.kysely;
  const q = k.selectFrom('accounts').select(['id', 'name', 'currency']).where('ledger_id', '=', ledgerId);
  const lower = ref.toLowerCase();
  const rows = isUuid(ref) ? await q.where('id', '=', ref).execute() : await q.where(sql<string>`lower(name)`, '=', lower).execute();
  if (rows.length === 0) {
    const all = await k.selectFrom('accounts').select('name').where('ledger_id', '=', ledgerId).orderBy('name').execute();
    throw new AppError('NOT_FOUND', `no account ${JSON.stringify(ref)} in this ledger; accounts: ${all.map((a) => a.name).join(', ') || '(none)'}`);
  }
  if (rows.length > 1) throw new UsageError(`${rows.length} accounts are named ${JSON.stringify(ref)}; pass the id instead: ${rows.map((r) => r.id).join(', ')}`);
  return rows[0]!;
}

/** Acts as --email, or as the ledger's first owner: the CLI is the operator acting for the household. */
async function actorFor(c: Container, ledgerId: string, email: string | undefined): Promise<Actor> {
  if (email) {
    const u = await c.auth.findUserByEmail(email);
    if (!u) throw new AppError('NOT_FOUND', `no user with email ${email}`);
    return { userId: u.id, isAdmin: u.is_admin, via: 'cli' };
  }
  const owner = await c.db.kysely
    .selectFrom('ledger_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.is_admin'])
    .where('m.ledger_id', '=', ledgerId)
    .where('m.role', '=', 'owner')
    .orderBy('m.created_at')
    .executeTakeFirst();
  if (!owner) throw new AppError('NOT_FOUND', 'the ledger has no owner; pass --email of a member');
  return { userId: owner.id, isAdmin: owner.is_admin, via: 'cli' };
}

async function batchLedger(c: Container, batchId: string): Promise<string> {
  const b = isUuid(batchId) ? await c.db.kysely.selectFrom('import_batches').select('ledger_id').where('id', '=', batchId).executeTakeFirst() : undefined;
  if (!b) throw new AppError('NOT_FOUND', `no import batch ${batchId} (see finhub import list)`);
  return b.ledger_id;
}

// ---------------------------------------------------------------- output

const money = (currency: string | null, minor: number) => (currency && isCurrencyCode(currency) ? toDecimalString(BigInt(minor) as Minor, currency as CurrencyCode) : String(minor));

function describeBalance(v: ImportView): string | undefined {
  const b = v.balance_check;
  if (!b || b.status === 'not_stated') return undefined;
  const stated = money(v.currency, b.stated_minor ?? 0);
  const basis = b.basis === 'projected' ? 'after import' : 'now';
  if (b.status === 'match') return `Balance check: the file's closing balance ${stated} on ${b.as_of} matches finhub's balance ${basis}.`;
  return `Balance check: the file says ${stated} on ${b.as_of}; finhub's balance ${basis} is ${money(v.currency, b.finhub_minor ?? 0)} (difference ${money(v.currency, b.difference_minor ?? 0)}).`;
}

function rowLine(v: ImportView, r: ImportRowOut): string {
  const who = r.payee ?? r.memo ?? '';
  return `  row ${r.index + 1}${r.source_line ? ` (line ${r.source_line})` : ''}  ${r.posted_on}  ${money(v.currency, r.amount_minor).padStart(10)}  ${who.slice(0, 40)}: ${r.reason}`;
}

async function printPreview(ctx: CommandContext, c: Container, ledgerId: string, actor: Actor, v: ImportView, accountName: string) {
  const out = ctx.io.out;
  const acct = v.statement_account;
  const ident = [acct.account_id && `account ${acct.account_id}`, acct.type, acct.currency].filter(Boolean).join(', ');
  const period = v.period.start || v.period.end ? `, ${v.period.start ?? '?'} to ${v.period.end ?? '?'}` : '';
  out(`${v.file_name ?? 'statement'}: ${FORMAT_NAMES[v.format ?? ''] ?? v.format} (${v.encoding?.used ?? '?'})${ident ? `, ${ident}` : ''}${period} -> "${accountName}"`);
  const rows: [string, number][] = [['new', v.counts.new], ['duplicate', v.counts.duplicate], ['conflict', v.counts.conflict], ['skipped', v.counts.skipped], ['pending replaced', v.counts.pending_replaced], ['total', v.counts.total]];
  for (const [label, n] of rows) out(`  ${label.padEnd(18)}${String(n).padStart(8)}`);
  const bal = describeBalance(v);
  if (bal) out(bal);
  for (const [decision, title] of [['duplicate', 'Duplicates'], ['conflict', 'Conflicts'], ['replace_pending', 'Pending rows replaced']] as const) {
    const n = decision === 'replace_pending' ? v.counts.pending_replaced : v.counts[decision];
    if (n === 0) continue;
    const page = await c.imports.rows(actor, ledgerId, v.id, { decision, limit: SAMPLE });
    out(`${title} (${n > SAMPLE ? `first ${SAMPLE} of ${n}` : n}):`);
    for (const r of page.items) out(rowLine(v, r));
  }
  for (const w of v.warnings) out(`warning: ${w}`);
}

function progressBar(ctx: CommandContext, sizeBytes: number): ProgressFn | undefined {
  // Only for a person watching: a local terminal (never over the control socket) and a file worth waiting for.
  if (!ctx.io.stdin || !process.stderr.isTTY || sizeBytes < 1_000_000) return undefined;
  const label = { parse: 'reading', match: 'matching', store: 'saving preview', write: 'importing' } as const;
  let last = 0;
  return ({ phase, done, total }) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.floor(frac * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${label[phase]}`.padEnd(60) + (done >= total && phase === 'write' ? '\n' : ''));
  };
}

async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function printCommitted(ctx: CommandContext, v: ImportView) {
  ctx.io.out(`Imported batch ${v.id}: ${v.counts.new} new, ${v.counts.pending_replaced} pending replaced, ${v.counts.duplicate} duplicate, ${v.counts.conflict} conflict, ${v.counts.skipped} skipped.`);
  const bal = describeBalance(v);
  if (bal) ctx.io.out(bal);
  if (v.transfer_suggestions.length > 0) {
    ctx.io.out(`Possible transfers (${v.transfer_suggestions.length}): link them with POST /api/v1/ledgers/${v.ledger_id}/imports/${v.id}/transfers`);
    for (const s of v.transfer_suggestions.slice(0, SAMPLE)) ctx.io.out(`  ${s.posted_on} ${money(v.currency, s.amount_minor)} <-> ${s.peer_posted_on} ${money(v.currency, s.peer_amount_minor)} in "${s.peer_account_name}"`);
  }
  ctx.io.out(`Undo with: finhub import undo ${v.id}`);
}

function csvFromOptions(values: Record<string, unknown>): CsvOptions | undefined {
  let opts: CsvOptions | undefined;
  if (typeof values.csv === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.csv);
    } catch {
      throw new UsageError('--csv must be a JSON object of CSV options, e.g. \'{"dateFormat":"DMY","delimiter":";"}\'');
    }
    const m = readCsvMapping(typeof parsed === 'object' && parsed !== null ? { version: 1, ...parsed } : undefined);
    if (!m) throw new UsageError('--csv is not a valid set of CSV options (see docs/imports.md)');
    const { version: _v, headerSignature: _h, ...rest } = m;
    opts = rest;
  }
  const df = values['csv-date-format'];
  if (typeof df === 'string') {
    const f = df.toUpperCase();
    if (!CSV_DATE_FORMATS.includes(f as CsvDateFormat)) throw new UsageError(`--csv-date-format must be one of ${CSV_DATE_FORMATS.join(', ')}`);
    opts = { ...(opts ?? {}), dateFormat: f as CsvDateFormat };
  }
  return opts;
}

// ---------------------------------------------------------------- commands

export const importCommand: Command = {
  name: 'import',
  summary: 'Import a bank statement file (OFX, QFX, QIF, CAMT.053, CSV): preview, then commit',
  usage: 'finhub import FILE --ledger L --account A [--format auto] [--dry-run] [--yes] [--csv-date-format DMY] [--csv JSON] [--window DAYS] [--statement N|ACCOUNT_ID] [--email E] [--json]',
  needsDb: true,
  pathPositionals: true,
  options: {
    ledger: { type: 'string', description: 'ledger id or name' },
    account: { type: 'string', description: 'account id or name in that ledger' },
    format: { type: 'string', description: `auto (default) or one of ${IMPORT_FORMATS.join(', ')}` },
    'dry-run': { type: 'boolean', description: 'show the preview and import nothing' },
    yes: { type: 'boolean', description: 'commit without asking' },
    'csv-date-format': { type: 'string', description: `CSV date order when ambiguous: ${CSV_DATE_FORMATS.join(', ')}` },
    csv: { type: 'string', description: 'CSV options as JSON (columns, delimiter, decimal, amountSign, ...)' },
    window: { type: 'string', description: 'duplicate window in days (default FINHUB_IMPORT_DEDUPE_WINDOW_DAYS)' },
    statement: { type: 'string', description: 'a file with several statements: the statement number (1, 2, …) or the bank account id (or its last digits)' },
    email: { type: 'string', description: 'act as this ledger member (default: the ledger owner)' },
    json: { type: 'boolean', description: 'machine-readable output (the preview, then the committed batch)' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one FILE to import');
    const file = positionals[0]!;
    const ledgerRef = requireString(values, 'ledger');
    const accountRef = requireString(values, 'account');
    const format = (values.format as string | undefined) ?? 'auto';
    if (format !== 'auto' && !(IMPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be auto or one of ${IMPORT_FORMATS.join(', ')}`);
    const window = values.window === undefined ? undefined : Number(values.window);
    if (window !== undefined && (!Number.isInteger(window) || window < 0 || window > 60)) throw new UsageError('--window must be a whole number of days from 0 to 60');
    const csv = csvFromOptions(values);

    const c = await ctx.container();
    const size = await stat(file).then((s) => s.size, (e: NodeJS.ErrnoException) => {
      throw new AppError('NOT_FOUND', `cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    if (size > c.config.importMaxBytes) throw new AppError('IMPORT_FILE_TOO_LARGE', `${file} is ${size} bytes; the limit is ${c.config.importMaxBytes} (FINHUB_IMPORT_MAX_BYTES)`);
    const ledger = await resolveLedger(c, ledgerRef);
    const account = await resolveAccount(c, ledger.id, accountRef);
    const actor = await actorFor(c, ledger.id, values.email as string | undefined);
    const bytes = await readFile(file);
    const onProgress = progressBar(ctx, size);
    const preview = await c.imports.previewUpload(actor, ledger.id, { accountId: account.id, bytes, fileName: basename(file), format: format as ImportFormat | 'auto', csv, dedupeWindowDays: window, statement: values.statement as string | undefined, rowsLimit: values.json ? 1000 : 0, onProgress });
    if (values.json) ctx.io.out(JSON.stringify(preview));
    else await printPreview(ctx, c, ledger.id, actor, preview, account.name);

    if (values['dry-run']) {
      await c.imports.undo(actor, ledger.id, preview.id);
      if (!values.json) ctx.io.out('Dry run: nothing was imported.');
      return 0;
    }
    const toWrite = preview.counts.new + preview.counts.pending_replaced;
    let go = values.yes === true;
    if (!go && ctx.io.stdin && process.stdin.isTTY && !values.json) {
      go = await askYesNo(`Import ${toWrite} transaction(s) into "${account.name}"?`);
      if (!go) {
        await c.imports.undo(actor, ledger.id, preview.id);
        ctx.io.out('Nothing imported; the preview was discarded.');
        return 0;
      }
    }
    if (!go) {
      if (!values.json) {
        ctx.io.out(`Preview saved as batch ${preview.id}; nothing is imported yet (it expires ${preview.expires_at ? new Date(preview.expires_at).toISOString() : 'soon'}).`);
        ctx.io.out(`To import it: finhub import commit ${preview.id}    To discard it: finhub import undo ${preview.id}`);
      }
      return 0;
    }
    const done = await c.imports.commit(actor, ledger.id, preview.id, { rowsLimit: 0, onProgress });
    if (values.json) ctx.io.out(JSON.stringify(done));
    else printCommitted(ctx, done);
    return 0;
  },
};

export const importCommitCommand: Command = {
  name: 'import commit',
  summary: 'Commit a previewed import batch (all rows or none)',
  usage: 'finhub import commit BATCH [--email E] [--json]',
  needsDb: true,
  options: {
    email: { type: 'string', description: 'act as this ledger member (default: the ledger owner)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give the BATCH id (see finhub import list)');
    const c = await ctx.container();
    const ledgerId = await batchLedger(c, positionals[0]!);
    const actor = await actorFor(c, ledgerId, values.email as string | undefined);
    const done = await c.imports.commit(actor, ledgerId, positionals[0]!, { rowsLimit: 0 });
    if (values.json) ctx.io.out(JSON.stringify(done));
    else printCommitted(ctx, done);
    return 0;
  },
};

export const importUndoCommand: Command = {
  name: 'import undo',
  summary: 'Undo a committed import (edited rows are kept unless --force), or discard a preview',
  usage: 'finhub import undo BATCH [--force] [--email E] [--json]',
  needsDb: true,
  options: {
    force: { type: 'boolean', description: 'also delete rows edited since the import' },
    email: { type: 'string', description: 'act as this ledger member (default: the ledger owner)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give the BATCH id (see finhub import list)');
    const c = await ctx.container();
    const ledgerId = await batchLedger(c, positionals[0]!);
    const actor = await actorFor(c, ledgerId, values.email as string | undefined);
    const r = await c.imports.undo(actor, ledgerId, positionals[0]!, { force: values.force === true });
    if (values.json) {
      ctx.io.out(JSON.stringify(r));
      return 0;
    }
    if (r.status === 'discarded') {
      ctx.io.out(`Discarded the preview ${r.batch_id}; nothing had been imported.`);
      return 0;
    }
    const u = r.undo!;
    ctx.io.out(`Undid import ${r.batch_id}: deleted ${u.deleted} transaction(s), restored ${u.restored_pending} pending transaction(s)${u.opening_restored ? ', reset the opening balance it had set' : ''}.`);
    if (u.kept.length > 0) {
      ctx.io.out(`Kept ${u.kept.length} transaction(s) edited since the import:`);
      for (const k of u.kept.slice(0, 20)) ctx.io.out(`  ${k.transaction_id}${k.row_index !== null ? ` (row ${k.row_index + 1})` : ''}: ${k.changes.join('; ')}`);
      ctx.io.out(`Delete them too with: finhub import undo ${r.batch_id} --force`);
    }
    for (const n of u.not_restored) ctx.io.out(`  not restored ${n.transaction_id}: ${n.reason}`);
    return 0;
  },
};

export const importListCommand: Command = {
  name: 'import list',
  summary: 'List import batches (newest first)',
  usage: 'finhub import list [--ledger L] [--account A] [--limit 20] [--json]',
  needsDb: true,
  options: {
    ledger: { type: 'string', description: 'only this ledger (id or name)' },
    account: { type: 'string', description: 'only this account (id or name; needs --ledger)' },
    limit: { type: 'string', description: 'how many (default 20, at most 1000)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1-1000');
    if (values.account && !values.ledger) throw new UsageError('--account needs --ledger');
    const c = await ctx.container();
    const ledger = typeof values.ledger === 'string' ? await resolveLedger(c, values.ledger) : undefined;
    const account = ledger && typeof values.account === 'string' ? await resolveAccount(c, ledger.id, values.account) : undefined;
    const rows = await c.db.kysely
      .selectFrom('import_batches as b')
      .innerJoin('ledgers as l', 'l.id', 'b.ledger_id')
      .leftJoin('accounts as a', 'a.id', 'b.account_id')
      .select(['b.id', 'b.created_at', 'b.status', 'b.expires_at', 'b.file_name', 'b.format', 'b.count_total', 'b.count_new', 'b.count_duplicate', 'b.count_conflict', 'b.count_skipped', 'b.count_pending_replaced', 'b.file_sha256', 'b.committed_at', 'b.undone_at', 'l.name as ledger_name', 'a.name as account_name', 'b.ledger_id', 'b.account_id'])
      .$if(ledger !== undefined, (q) => q.where('b.ledger_id', '=', ledger!.id))
      .$if(account !== undefined, (q) => q.where('b.account_id', '=', account!.id))
      .orderBy('b.created_at', 'desc')
      .orderBy('b.id', 'desc')
      .limit(limit)
      .execute();
    const now = Date.now();
    const items = rows.map((r) => ({ ...r, status: r.status === 'previewed' && r.expires_at && r.expires_at.getTime() <= now ? 'expired' : r.status }));
    if (values.json) {
      ctx.io.out(JSON.stringify(items));
      return 0;
    }
    if (items.length === 0) {
      ctx.io.out('No imports yet.');
      return 0;
    }
    ctx.io.out(`${'batch'.padEnd(36)}  ${'created (UTC)'.padEnd(16)}  ${'status'.padEnd(9)}  ${'new'.padStart(6)} ${'dup'.padStart(6)} ${'confl'.padStart(5)} ${'skip'.padStart(5)} ${'pend'.padStart(5)}  account / file`);
    for (const r of items) {
      ctx.io.out(`${r.id}  ${r.created_at.toISOString().slice(0, 16).replace('T', ' ')}  ${r.status.padEnd(9)}  ${String(r.count_new).padStart(6)} ${String(r.count_duplicate).padStart(6)} ${String(r.count_conflict).padStart(5)} ${String(r.count_skipped).padStart(5)} ${String(r.count_pending_replaced).padStart(5)}  ${r.ledger_name} / ${r.account_name ?? '?'} / ${r.file_name ?? '-'} (${r.format ?? '?'})`);
    }
    return 0;
  },
};

export const IMPORT_COMMANDS: Command[] = [importCommand, importListCommand, importCommitCommand, importUndoCommand];
