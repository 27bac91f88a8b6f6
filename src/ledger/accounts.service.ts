import { sql } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { ACCOUNT_TYPES, type AccountType } from '../db/schema.ts';
import { isCurrencyCode, type CurrencyCode } from '../money/currencies.ts';
import { minor, toDecimalString, MoneyRangeError, type Minor } from '../money/money.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid, requireDate } from '../shared/ids.ts';
import { requireLedgerRole } from './access.ts';

const cols = ['id', 'ledger_id', 'name', 'type', 'currency', 'opening_balance_minor', 'opened_on', 'closed', 'tx_sum_minor', 'cleared_sum_minor', 'created_at', 'updated_at'] as const;

export function getAccountRow(ex: Executor, ledgerId: string, accountId: string) {
  if (!isUuid(accountId)) return Promise.resolve(undefined);
  return ex.selectFrom('accounts').select(cols).where('ledger_id', '=', ledgerId).where('id', '=', accountId).executeTakeFirst();
}

type AccountRow = NonNullable<Awaited<ReturnType<typeof getAccountRow>>>;

/** API shape: integer minor units plus decimal text; balance = opening + all top-level rows. */
export function presentAccount(a: AccountRow) {
  const cur = a.currency as CurrencyCode;
  const balance = (a.opening_balance_minor + a.tx_sum_minor) as Minor;
  const cleared = (a.opening_balance_minor + a.cleared_sum_minor) as Minor;
  return {
    id: a.id,
    ledger_id: a.ledger_id,
    name: a.name,
    type: a.type,
    currency: a.currency,
    opening_balance_minor: Number(a.opening_balance_minor),
    opened_on: a.opened_on,
    closed: a.closed,
    balance_minor: Number(balance),
    balance: toDecimalString(balance, cur),
    cleared_balance_minor: Number(cleared),
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

function moneyField(field: string, v: number | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  try {
    return minor(v);
  } catch (e) {
    if (e instanceof MoneyRangeError) throw new AppError('AMOUNT_OUT_OF_RANGE', `${field.split('/').pop()} is outside ±9007199254740991 minor units`, { errors: [{ field, message: 'outside the supported range' }] });
    throw invalid(field, 'must be an integer count of minor units');
  }
}

export interface AccountInput {
  name?: string | undefined;
  type?: string | undefined | unknown;
  currency?: string | undefined;
  openingBalanceMinor?: number | undefined;
  openedOn?: string | null | undefined;
  closed?: boolean | undefined;
}

function checkInput(i: AccountInput) {
  if (i.name !== undefined && (i.name.trim().length < 1 || i.name.trim().length > 200)) throw invalid('/body/name', 'must be 1-200 characters');
  if (i.type !== undefined && (typeof i.type !== 'string' || !ACCOUNT_TYPES.includes(i.type as AccountType))) throw invalid('/body/type', `must be one of ${ACCOUNT_TYPES.join(', ')}`);
  if (i.currency !== undefined && !isCurrencyCode(i.currency)) throw invalid('/body/currency', `"${i.currency}" is not an ISO 4217 currency code`);
  if (i.openedOn) requireDate('/body/opened_on', i.openedOn);
}

export function createAccountsService(deps: { db: Db }) {
  const k = deps.db.kysely;
  return {
    async create(actor: Actor, ledgerId: string, input: AccountInput) {
      checkInput(input);
      if (!input.name || !input.type || !input.currency) throw invalid('/body', 'name, type and currency are required');
      const opening = moneyField('/body/opening_balance_minor', input.openingBalanceMinor) ?? 0n;
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const a = await tx
          .insertInto('accounts')
          .values({ ledger_id: ledgerId, name: input.name!.trim(), type: input.type as AccountType, currency: input.currency!, opening_balance_minor: opening, opened_on: input.openedOn ?? null, closed: input.closed ?? false })
          .returning(cols)
          .executeTakeFirstOrThrow();
        await recordAudit(tx, actor, { action: 'account.create', entityType: 'account', entityId: a.id, ledgerId, details: { name: a.name } });
        return presentAccount(a);
      });
    },

    async get(actor: Actor, ledgerId: string, accountId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const a = await getAccountRow(k, ledgerId, accountId);
      if (!a) throw notFound('account');
      return presentAccount(a);
    },

    async list(actor: Actor, ledgerId: string, page: { cursor?: string | undefined; limit: number; includeClosed?: boolean | undefined }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const after = decodeCursor(page.cursor, ['name', 'id'] as const);
      let q = k.selectFrom('accounts').select(cols).where('ledger_id', '=', ledgerId).orderBy('name').orderBy('id').limit(page.limit + 1);
      if (!page.includeClosed) q = q.where('closed', '=', false);
      if (after) q = q.where((eb) => eb(eb.tuple(eb.ref('name'), eb.ref('id')), '>', eb.tuple(after.name, sql<string>`${after.id}::uuid`)));
      const rows = await q.execute();
      const items = rows.slice(0, page.limit);
      const last = items[items.length - 1];
      return { items: items.map(presentAccount), next_cursor: rows.length > page.limit && last ? encodeCursor({ name: last.name, id: last.id }) : null };
    },

    /** Current, cleared and per-currency totals for every account of a ledger (one indexed read). */
    async balances(actor: Actor, ledgerId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const rows = await k.selectFrom('accounts').select(cols).where('ledger_id', '=', ledgerId).orderBy('name').orderBy('id').execute();
      const accounts = rows.map(presentAccount);
      const totals = new Map<string, bigint>();
      for (const r of rows) if (!r.closed) totals.set(r.currency, (totals.get(r.currency) ?? 0n) + r.opening_balance_minor + r.tx_sum_minor);
      return {
        accounts: accounts.map((a) => ({ id: a.id, name: a.name, type: a.type, currency: a.currency, closed: a.closed, balance_minor: a.balance_minor, balance: a.balance, cleared_balance_minor: a.cleared_balance_minor })),
        totals: [...totals].sort(([x], [y]) => x.localeCompare(y)).map(([currency, v]) => ({ currency, balance_minor: Number(v), balance: toDecimalString(v as Minor, currency as CurrencyCode) })),
      };
    },

    async update(actor: Actor, ledgerId: string, accountId: string, input: AccountInput) {
      checkInput(input);
      const opening = moneyField('/body/opening_balance_minor', input.openingBalanceMinor);
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const current = await getAccountRow(tx, ledgerId, accountId);
        if (!current) throw notFound('account');
        if (input.currency !== undefined && input.currency !== current.currency) {
          const used = await tx.selectFrom('transactions').select('id').where('account_id', '=', accountId).limit(1).executeTakeFirst();
          if (used) throw new AppError('CONFLICT', 'the currency of an account with transactions cannot change', { errors: [{ field: '/body/currency', message: 'account has transactions' }] });
        }
        const a = await tx
          .updateTable('accounts')
          .set({
            ...(input.name !== undefined ? { name: input.name.trim() } : {}),
            ...(input.type !== undefined ? { type: input.type as AccountType } : {}),
            ...(input.currency !== undefined ? { currency: input.currency } : {}),
            ...(opening !== undefined ? { opening_balance_minor: opening } : {}),
            ...(input.openedOn !== undefined ? { opened_on: input.openedOn } : {}),
            ...(input.closed !== undefined ? { closed: input.closed } : {}),
            updated_at: sql`now()`,
          })
          .where('ledger_id', '=', ledgerId)
          .where('id', '=', accountId)
          .returning(cols)
          .executeTakeFirstOrThrow();
        await recordAudit(tx, actor, { action: 'account.update', entityType: 'account', entityId: accountId, ledgerId, details: { ...input } });
        return presentAccount(a);
      });
    },

    async remove(actor: Actor, ledgerId: string, accountId: string) {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!(await getAccountRow(tx, ledgerId, accountId))) throw notFound('account');
        // Deleting an account deletes its rows; transfer peers in other accounts go with them (FK cascade).
        await tx.deleteFrom('accounts').where('ledger_id', '=', ledgerId).where('id', '=', accountId).execute();
        await recordAudit(tx, actor, { action: 'account.delete', entityType: 'account', entityId: accountId, ledgerId });
      });
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
