// Transactions, split transactions and transfers. The database enforces split
// sums and transfer pairs at commit; this service checks the same rules first so
// callers get a field-level error instead of a constraint failure.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import type { ClearedState, NewTransaction } from '../db/schema.ts';
import type { CurrencyCode } from '../money/currencies.ts';
import { minor, MoneyRangeError, sum, toDecimalString, type Minor } from '../money/money.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { prepareQuery } from '../query/prepare.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid, requireDate } from '../shared/ids.ts';
import { requireLedgerRole } from './access.ts';
import { getAccountRow } from './accounts.service.ts';
import { findOrCreatePayee } from './payees.service.ts';
import * as repo from './transactions.repository.ts';

export const CLEARED_STATES: readonly ClearedState[] = ['uncleared', 'cleared', 'reconciled'];
const MAX_TAGS = 20;
const MAX_SPLITS = 100;

export interface SplitInput {
  amountMinor: number;
  categoryId?: string | null | undefined;
  notes?: string | null | undefined;
}

export interface TransactionInput {
  accountId?: string | undefined;
  postedOn?: string | undefined;
  amountMinor?: number | undefined;
  payeeId?: string | null | undefined;
  payeeName?: string | undefined;
  categoryId?: string | null | undefined;
  notes?: string | null | undefined;
  tags?: string[] | undefined;
  clearedState?: ClearedState | undefined;
  importedId?: string | null | undefined;
  splits?: SplitInput[] | null | undefined;
  transferAccountId?: string | null | undefined;
  transferAmountMinor?: number | undefined;
}

export interface ListQuery extends Omit<repo.TxFilter, 'amountMin' | 'amountMax' | 'where'> {
  amountMin?: number | undefined;
  /** Query-language text (docs/query-language.md). */
  query?: string | undefined;
  amountMax?: number | undefined;
  cursor?: string | undefined;
  limit: number;
}

function money(field: string, v: number): Minor {
  try {
    return minor(v);
  } catch (e) {
    if (e instanceof MoneyRangeError) throw new AppError('AMOUNT_OUT_OF_RANGE', `${field.split('/').pop()} is outside ±9007199254740991 minor units`, { errors: [{ field, message: 'outside the supported range' }] });
    throw invalid(field, 'must be an integer count of minor units');
  }
}

function checkTags(tags: string[] | undefined): string[] | undefined {
  if (tags === undefined) return undefined;
  if (tags.length > MAX_TAGS) throw invalid('/body/tags', `at most ${MAX_TAGS} tags`);
  const out = [...new Set(tags.map((t) => t.trim()))];
  out.forEach((t, i) => {
    if (t.length < 1 || t.length > 50 || /[\s,]/.test(t)) throw invalid(`/body/tags/${i}`, 'tags are 1-50 characters without spaces or commas');
  });
  return out;
}

function checkNotes(field: string, notes: string | null | undefined): string | null | undefined {
  if (notes === undefined || notes === null) return notes;
  if (notes.length > 10_000) throw invalid(field, 'at most 10000 characters');
  return notes;
}

async function requireCategory(ex: Executor, ledgerId: string, field: string, id: string | null | undefined): Promise<string | null | undefined> {
  if (id === undefined || id === null) return id;
  if (!isUuid(id) || !(await ex.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).where('id', '=', id).executeTakeFirst())) {
    throw invalid(field, 'no such category in this ledger');
  }
  return id;
}

async function requirePayee(ex: Executor, ledgerId: string, id: string | null | undefined): Promise<string | null | undefined> {
  if (id === undefined || id === null) return id;
  if (!isUuid(id) || !(await ex.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).where('id', '=', id).executeTakeFirst())) {
    throw invalid('/body/payee_id', 'no such payee in this ledger');
  }
  return id;
}

async function requireAccount(ex: Executor, ledgerId: string, field: string, id: string | undefined) {
  const a = id ? await getAccountRow(ex, ledgerId, id) : undefined;
  if (!a) throw invalid(field, 'no such account in this ledger');
  return a;
}

function checkSplits(parentAmount: Minor, splits: SplitInput[]): Minor[] {
  if (splits.length < 1 || splits.length > MAX_SPLITS) throw invalid('/body/splits', `a split needs 1-${MAX_SPLITS} parts`);
  const amounts = splits.map((s, i) => money(`/body/splits/${i}/amount_minor`, s.amountMinor));
  const raw = amounts.reduce((t, a) => t + a, 0n);
  if (raw !== parentAmount && (raw > 9_007_199_254_740_991n || raw < -9_007_199_254_740_991n)) {
    throw new AppError('SPLIT_SUM_MISMATCH', 'split parts sum to more than the supported range', { errors: [{ field: '/body/splits', message: 'parts sum outside ±9007199254740991' }] });
  }
  const total = raw as Minor;
  if (total !== parentAmount) {
    throw new AppError('SPLIT_SUM_MISMATCH', `split parts sum to ${total} but the amount is ${parentAmount} (minor units)`, {
      errors: [{ field: '/body/splits', message: `parts sum to ${total}, expected ${parentAmount}` }],
    });
  }
  return amounts;
}

/** Peer amount for a transfer: the exact negation in one currency; given explicitly across currencies. */
function peerAmount(amount: Minor, fromCurrency: string, toCurrency: string, explicit: number | undefined): Minor {
  if (fromCurrency === toCurrency) {
    if (explicit !== undefined && BigInt(explicit) !== -amount) throw invalid('/body/transfer_amount_minor', 'must be the negated amount when both accounts share a currency (or leave it out)');
    return -amount as Minor;
  }
  if (explicit === undefined) throw invalid('/body/transfer_amount_minor', `required: the amount in ${toCurrency} that arrives in the other account`);
  const other = money('/body/transfer_amount_minor', explicit);
  if ((amount < 0n && other <= 0n) || (amount > 0n && other >= 0n) || (amount === 0n) !== (other === 0n)) {
    throw new AppError('TRANSFER_INVALID', 'the two sides of a transfer must have opposite signs', { errors: [{ field: '/body/transfer_amount_minor', message: 'must have the opposite sign of amount_minor' }] });
  }
  return other;
}

type Row = repo.TxRow;
type Peer = Awaited<ReturnType<typeof repo.getPeers>>[number];

function present(r: Row, parts: Row[], peer: Peer | undefined, runningBalance?: bigint) {
  const cur = r.currency as CurrencyCode;
  return {
    id: r.id,
    ledger_id: r.ledger_id,
    account_id: r.account_id,
    posted_on: r.posted_on,
    amount_minor: Number(r.amount_minor),
    amount: toDecimalString(r.amount_minor as Minor, cur),
    currency: r.currency,
    payee_id: r.payee_id,
    payee_name: r.payee_name,
    category_id: r.category_id,
    category_name: r.category_name,
    notes: r.notes,
    tags: r.tags,
    cleared_state: r.cleared_state,
    imported_id: r.imported_id,
    import_batch_id: r.import_batch_id,
    parent_id: r.parent_id,
    is_split: r.is_split,
    splits: r.is_split
      ? parts.map((p) => ({ id: p.id, amount_minor: Number(p.amount_minor), amount: toDecimalString(p.amount_minor as Minor, cur), category_id: p.category_id, category_name: p.category_name, notes: p.notes }))
      : [],
    transfer: peer ? { peer_id: peer.id, account_id: peer.account_id, account_name: peer.account_name, amount_minor: Number(peer.amount_minor), currency: peer.currency } : null,
    ...(runningBalance !== undefined ? { running_balance_minor: Number(runningBalance) } : {}),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export type TransactionView = ReturnType<typeof present>;

async function hydrate(ex: Executor, ledgerId: string, rows: Row[]) {
  const [parts, peers] = await Promise.all([
    repo.getSplitParts(ex, ledgerId, rows.filter((r) => r.is_split).map((r) => r.id)),
    repo.getPeers(ex, ledgerId, rows.flatMap((r) => (r.transfer_peer_id ? [r.transfer_peer_id] : []))),
  ]);
  const peerById = new Map(peers.map((p) => [p.id, p]));
  return (r: Row, rb?: bigint) => present(r, parts.filter((p) => p.parent_id === r.id), r.transfer_peer_id ? peerById.get(r.transfer_peer_id) : undefined, rb);
}

/** Runs inside a new manual transaction's database transaction, after its rows are written (the rules step, src/rules). */
export type AfterCreateHook = (tx: Executor, ctx: { ledgerId: string; id: string; explicit: { category: boolean; payee: boolean; notes: boolean; cleared: boolean } }) => Promise<void>;

export function createTransactionsService(deps: { db: Db; now?: () => Date; afterCreate?: AfterCreateHook }) {
  const k = deps.db.kysely;
  const now = deps.now ?? (() => new Date());

  async function load(ex: Executor, ledgerId: string, id: string): Promise<TransactionView> {
    const row = isUuid(id) ? await repo.getTransaction(ex, ledgerId, id) : undefined;
    if (!row) throw notFound('transaction');
    return (await hydrate(ex, ledgerId, [row]))(row);
  }

  async function insertSplitParts(tx: Executor, ledgerId: string, parent: { id: string; account_id: string; posted_on: string; cleared_state: ClearedState }, splits: SplitInput[], amounts: Minor[]) {
    const cats = await Promise.all(splits.map((s, i) => requireCategory(tx, ledgerId, `/body/splits/${i}/category_id`, s.categoryId)));
    splits.forEach((s, i) => checkNotes(`/body/splits/${i}/notes`, s.notes));
    await tx
      .insertInto('transactions')
      .values(splits.map((s, i) => ({ ledger_id: ledgerId, account_id: parent.account_id, posted_on: parent.posted_on, amount_minor: amounts[i]!, category_id: cats[i] ?? null, notes: s.notes ?? null, parent_id: parent.id, cleared_state: parent.cleared_state })))
      .execute();
  }

  return {
    async create(actor: Actor, ledgerId: string, input: TransactionInput): Promise<TransactionView> {
      if (!input.postedOn || input.amountMinor === undefined || !input.accountId) throw invalid('/body', 'account_id, posted_on and amount_minor are required');
      const postedOn = requireDate('/body/posted_on', input.postedOn);
      const amount = money('/body/amount_minor', input.amountMinor);
      const tags = checkTags(input.tags) ?? [];
      const notes = checkNotes('/body/notes', input.notes) ?? null;
      if (input.splits?.length && input.transferAccountId) throw new AppError('TRANSFER_INVALID', 'a transfer cannot also be split', { errors: [{ field: '/body/splits', message: 'not allowed on a transfer' }] });
      if (input.splits?.length && input.categoryId) throw invalid('/body/category_id', 'a split transaction has no category of its own; put categories on its parts');
      const splitAmounts = input.splits?.length ? checkSplits(amount, input.splits) : undefined;
      if (input.clearedState !== undefined && !CLEARED_STATES.includes(input.clearedState)) throw invalid('/body/cleared_state', `must be one of ${CLEARED_STATES.join(', ')}`);

      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const account = await requireAccount(tx, ledgerId, '/body/account_id', input.accountId);
        const categoryId = await requireCategory(tx, ledgerId, '/body/category_id', input.categoryId);
        let payeeId = await requirePayee(tx, ledgerId, input.payeeId);
        if (!payeeId && input.payeeName?.trim()) payeeId = await findOrCreatePayee(tx, ledgerId, input.payeeName);
        const id = randomUUID();
        const row: NewTransaction = {
          id, ledger_id: ledgerId, account_id: account.id, posted_on: postedOn, amount_minor: amount, payee_id: payeeId ?? null,
          category_id: categoryId ?? null, notes, tags, cleared_state: input.clearedState ?? 'uncleared', imported_id: input.importedId ?? null,
          is_split: splitAmounts !== undefined,
        };
        if (input.transferAccountId) {
          const other = await requireAccount(tx, ledgerId, '/body/transfer_account_id', input.transferAccountId);
          if (other.id === account.id) throw new AppError('TRANSFER_INVALID', 'a transfer needs two different accounts', { errors: [{ field: '/body/transfer_account_id', message: 'same as account_id' }] });
          const peerId = randomUUID();
          const otherAmount = peerAmount(amount, account.currency, other.currency, input.transferAmountMinor);
          // Both rows in one statement: each points at the other.
          await tx.insertInto('transactions').values([
            { ...row, transfer_peer_id: peerId },
            { id: peerId, ledger_id: ledgerId, account_id: other.id, posted_on: postedOn, amount_minor: otherAmount, payee_id: payeeId ?? null, notes, tags, transfer_peer_id: id },
          ]).execute();
        } else {
          await tx.insertInto('transactions').values(row).execute();
          if (splitAmounts) await insertSplitParts(tx, ledgerId, { id, account_id: account.id, posted_on: postedOn, cleared_state: row.cleared_state ?? 'uncleared' }, input.splits!, splitAmounts);
        }
        await deps.afterCreate?.(tx, { ledgerId, id, explicit: { category: !!input.categoryId, payee: !!input.payeeId, notes: input.notes != null, cleared: input.clearedState !== undefined } });
        await recordAudit(tx, actor, { action: 'transaction.create', entityType: 'transaction', entityId: id, ledgerId, details: { account_id: account.id, amount_minor: String(amount), posted_on: postedOn } });
        return load(tx, ledgerId, id);
      });
    },

    async get(actor: Actor, ledgerId: string, id: string): Promise<TransactionView> {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return load(k, ledgerId, id);
    },

    async list(actor: Actor, ledgerId: string, query: ListQuery) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const { query: text, ...rest } = query;
      const f: repo.TxFilter = {
        ...rest,
        amountMin: query.amountMin === undefined ? undefined : money('/query/amount_min', query.amountMin),
        amountMax: query.amountMax === undefined ? undefined : money('/query/amount_max', query.amountMax),
      };
      if (f.from) requireDate('/query/from', f.from);
      if (f.to) requireDate('/query/to', f.to);
      for (const [field, v] of [['/query/account_id', f.accountId], ['/query/payee_id', f.payeeId]] as const) if (v !== undefined && !isUuid(v)) throw invalid(field, 'must be a UUID');
      if (f.categoryId !== undefined && f.categoryId !== 'uncategorized' && !isUuid(f.categoryId)) throw invalid('/query/category_id', 'must be a UUID or "uncategorized"');
      if (f.text !== undefined) f.text = f.text.trim() || undefined;
      if (text?.trim()) f.where = (await prepareQuery(k, ledgerId, text, { now: now(), field: '/query/q' })).where;
      const after = decodeCursor(query.cursor, ['d', 'id'] as const);
      const rows = await repo.listTransactions(k, ledgerId, f, after, query.limit + 1);
      const page = rows.slice(0, query.limit);
      const view = await hydrate(k, ledgerId, page);

      // Running balance when the page is a contiguous run of one account's rows.
      const contiguous = f.accountId && !f.categoryId && !f.payeeId && f.amountMin === undefined && f.amountMax === undefined && !f.cleared && !f.text && !f.where;
      let balances: bigint[] | undefined;
      if (contiguous && page.length > 0) {
        const acc = await getAccountRow(k, ledgerId, f.accountId!);
        if (acc) {
          const first = page[0]!;
          let b = acc.opening_balance_minor + acc.tx_sum_minor - (await repo.sumNewerThan(k, acc.id, first.posted_on, first.id));
          balances = page.map((r) => {
            const here = b;
            b -= r.amount_minor;
            return here;
          });
        }
      }
      const last = page[page.length - 1];
      return {
        items: page.map((r, i) => view(r, balances?.[i])),
        next_cursor: rows.length > query.limit && last ? encodeCursor({ d: last.posted_on, id: last.id }) : null,
      };
    },

    async update(actor: Actor, ledgerId: string, id: string, input: TransactionInput): Promise<TransactionView> {
      const tags = checkTags(input.tags);
      const notes = checkNotes('/body/notes', input.notes);
      if (input.postedOn !== undefined) requireDate('/body/posted_on', input.postedOn);
      const newAmount = input.amountMinor !== undefined ? money('/body/amount_minor', input.amountMinor) : undefined;
      if (input.clearedState !== undefined && !CLEARED_STATES.includes(input.clearedState)) throw invalid('/body/cleared_state', `must be one of ${CLEARED_STATES.join(', ')}`);

      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const cur = isUuid(id) ? await tx.selectFrom('transactions').selectAll().where('ledger_id', '=', ledgerId).where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
        if (!cur) throw notFound('transaction');
        if (cur.parent_id) throw new AppError('UNPROCESSABLE', 'this is a part of a split transaction; edit the parent transaction and its splits');
        const account = input.accountId !== undefined && input.accountId !== cur.account_id ? await requireAccount(tx, ledgerId, '/body/account_id', input.accountId) : await requireAccount(tx, ledgerId, '/body/account_id', cur.account_id);
        const categoryId = await requireCategory(tx, ledgerId, '/body/category_id', input.categoryId);
        let payeeId = await requirePayee(tx, ledgerId, input.payeeId);
        if (payeeId === undefined && input.payeeName?.trim()) payeeId = await findOrCreatePayee(tx, ledgerId, input.payeeName);
        const amount = newAmount ?? (cur.amount_minor as Minor);
        const postedOn = input.postedOn ?? cur.posted_on;

        const wantsSplit = input.splits === undefined ? cur.is_split : input.splits !== null && input.splits.length > 0;
        const isTransfer = input.transferAccountId === undefined ? cur.transfer_peer_id !== null : input.transferAccountId !== null;
        if (wantsSplit && isTransfer) throw new AppError('TRANSFER_INVALID', 'a transfer cannot also be split', { errors: [{ field: '/body/splits', message: 'not allowed on a transfer' }] });
        if (wantsSplit && categoryId) throw invalid('/body/category_id', 'a split transaction has no category of its own; put categories on its parts');

        await tx.updateTable('transactions').set({
          account_id: account.id,
          posted_on: postedOn,
          amount_minor: amount,
          ...(payeeId !== undefined ? { payee_id: payeeId } : {}),
          ...(categoryId !== undefined ? { category_id: categoryId } : {}),
          ...(wantsSplit ? { category_id: null } : {}),
          ...(notes !== undefined ? { notes } : {}),
          ...(tags !== undefined ? { tags } : {}),
          ...(input.clearedState !== undefined ? { cleared_state: input.clearedState } : {}),
          ...(input.importedId !== undefined ? { imported_id: input.importedId } : {}),
          is_split: wantsSplit,
          updated_at: sql`now()`,
        }).where('id', '=', id).execute();

        // Split parts: replaced when given, kept in step (date/account) otherwise.
        if (input.splits !== undefined) {
          await tx.deleteFrom('transactions').where('ledger_id', '=', ledgerId).where('parent_id', '=', id).execute();
          if (wantsSplit) await insertSplitParts(tx, ledgerId, { id, account_id: account.id, posted_on: postedOn, cleared_state: input.clearedState ?? cur.cleared_state }, input.splits!, checkSplits(amount, input.splits!));
        } else if (cur.is_split) {
          const parts = await tx.selectFrom('transactions').select('amount_minor').where('parent_id', '=', id).execute();
          const total = sum(parts.map((p) => p.amount_minor as Minor));
          if (total !== amount) throw new AppError('SPLIT_SUM_MISMATCH', `split parts sum to ${total} but the new amount is ${amount}; send splits with the new amount`, { errors: [{ field: '/body/amount_minor', message: `parts sum to ${total}` }] });
          await tx.updateTable('transactions').set({ posted_on: postedOn, account_id: account.id }).where('parent_id', '=', id).execute();
        }

        // Transfer side: follow edits so the pair stays consistent.
        if (cur.transfer_peer_id && (input.transferAccountId === null)) {
          await tx.updateTable('transactions').set({ transfer_peer_id: null }).where('id', '=', id).execute();
          await tx.deleteFrom('transactions').where('ledger_id', '=', ledgerId).where('id', '=', cur.transfer_peer_id).execute();
        } else if (isTransfer) {
          const peer = cur.transfer_peer_id ? await tx.selectFrom('transactions').selectAll().where('id', '=', cur.transfer_peer_id).forUpdate().executeTakeFirst() : undefined;
          const otherAccount = input.transferAccountId ? await requireAccount(tx, ledgerId, '/body/transfer_account_id', input.transferAccountId) : await requireAccount(tx, ledgerId, '/body/transfer_account_id', peer?.account_id);
          if (otherAccount.id === account.id) throw new AppError('TRANSFER_INVALID', 'a transfer needs two different accounts', { errors: [{ field: '/body/transfer_account_id', message: 'same as account_id' }] });
          const sameCurrency = otherAccount.currency === account.currency;
          const keepPeerAmount = !sameCurrency && input.transferAmountMinor === undefined && peer && peer.account_id === otherAccount.id && newAmount === undefined;
          const otherAmount = keepPeerAmount ? (peer.amount_minor as Minor) : peerAmount(amount, account.currency, otherAccount.currency, input.transferAmountMinor);
          if (peer) {
            await tx.updateTable('transactions').set({ account_id: otherAccount.id, posted_on: postedOn, amount_minor: otherAmount, ...(payeeId !== undefined ? { payee_id: payeeId } : {}), updated_at: sql`now()` }).where('id', '=', peer.id).execute();
          } else {
            const peerId = randomUUID();
            await tx.insertInto('transactions').values({ id: peerId, ledger_id: ledgerId, account_id: otherAccount.id, posted_on: postedOn, amount_minor: otherAmount, payee_id: payeeId ?? cur.payee_id, notes: notes ?? cur.notes, transfer_peer_id: id }).execute();
            await tx.updateTable('transactions').set({ transfer_peer_id: peerId, category_id: null }).where('id', '=', id).execute();
          }
        }
        await recordAudit(tx, actor, { action: 'transaction.update', entityType: 'transaction', entityId: id, ledgerId, details: { fields: Object.keys(input) } });
        return load(tx, ledgerId, id);
      });
    },

    /** Deletes a transaction; a transfer's other side and a split's parts go with it. */
    async remove(actor: Actor, ledgerId: string, id: string): Promise<void> {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const cur = isUuid(id) ? await tx.selectFrom('transactions').select(['id', 'parent_id', 'transfer_peer_id']).where('ledger_id', '=', ledgerId).where('id', '=', id).executeTakeFirst() : undefined;
        if (!cur) throw notFound('transaction');
        if (cur.parent_id) throw new AppError('UNPROCESSABLE', 'this is a part of a split transaction; edit the parent transaction and its splits');
        await tx.deleteFrom('transactions').where('ledger_id', '=', ledgerId).where('id', '=', id).execute();
        await recordAudit(tx, actor, { action: 'transaction.delete', entityType: 'transaction', entityId: id, ledgerId, details: { transfer_peer_id: cur.transfer_peer_id } });
      });
    },
  };
}

export type TransactionsService = ReturnType<typeof createTransactionsService>;
