import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import type { Role } from '../db/schema.ts';
import { isCurrencyCode } from '../money/currencies.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import { decodeCursor, encodeCursor, isUuid } from '../shared/ids.ts';
import { requireLedgerRole } from './access.ts';
import * as repo from './ledgers.repository.ts';

function checkName(name: string | undefined, field = '/body/name'): string | undefined {
  if (name === undefined) return undefined;
  const n = name.trim();
  if (n.length < 1 || n.length > 200) throw invalid(field, 'must be 1-200 characters');
  return n;
}

function checkCurrency(code: string | undefined, field: string): string | undefined {
  if (code === undefined) return undefined;
  if (!isCurrencyCode(code)) throw invalid(field, `"${code}" is not an ISO 4217 currency code`);
  return code;
}

export function createLedgersService(deps: { db: Db }) {
  const k = deps.db.kysely;
  return {
    async create(actor: Actor, input: { name: string; baseCurrency: string }) {
      const name = checkName(input.name)!;
      const baseCurrency = checkCurrency(input.baseCurrency, '/body/base_currency')!;
      return k.transaction().execute(async (tx) => {
        const ledger = await repo.insertLedger(tx, { name, baseCurrency, createdBy: actor.userId });
        await repo.addMember(tx, ledger.id, actor.userId, 'owner');
        await recordAudit(tx, actor, { action: 'ledger.create', entityType: 'ledger', entityId: ledger.id, ledgerId: ledger.id, details: { name } });
        return { ...ledger, role: 'owner' as Role };
      });
    },

    async get(actor: Actor, ledgerId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const l = await repo.getLedgerForUser(k, ledgerId, actor.userId);
      if (!l) throw notFound('ledger');
      return l;
    },

    async list(actor: Actor, page: { cursor?: string | undefined; limit: number }) {
      const after = decodeCursor(page.cursor, ['name', 'id'] as const);
      const rows = await repo.listLedgersForUser(k, actor.userId, after, page.limit + 1);
      const items = rows.slice(0, page.limit);
      const last = items[items.length - 1];
      return { items, next_cursor: rows.length > page.limit && last ? encodeCursor({ name: last.name, id: last.id }) : null };
    },

    async update(actor: Actor, ledgerId: string, patch: { name?: string | undefined; baseCurrency?: string | undefined }) {
      return k.transaction().execute(async (tx) => {
        const role = await requireLedgerRole(tx, actor, ledgerId, 'owner');
        const l = await repo.updateLedger(tx, ledgerId, { name: checkName(patch.name), base_currency: checkCurrency(patch.baseCurrency, '/body/base_currency') });
        await recordAudit(tx, actor, { action: 'ledger.update', entityType: 'ledger', entityId: ledgerId, ledgerId, details: { ...patch } });
        return { ...l, role };
      });
    },

    async remove(actor: Actor, ledgerId: string) {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'owner');
        // The audit row for a deleted ledger is kept without its ledger link.
        await recordAudit(tx, actor, { action: 'ledger.delete', entityType: 'ledger', entityId: ledgerId, details: {} });
        await repo.deleteLedger(tx, ledgerId);
      });
    },

    async members(actor: Actor, ledgerId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      return repo.listMembers(k, ledgerId);
    },

    /** Adds or changes a member by email. Owners manage members. */
    async setMember(actor: Actor, ledgerId: string, input: { email?: string | undefined; userId?: string | undefined; role: Role }) {
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'owner');
        // Serialise membership changes per ledger so "keep one owner" holds under concurrency.
        await tx.selectFrom('ledgers').select('id').where('id', '=', ledgerId).forUpdate().execute();
        const user = input.userId
          ? isUuid(input.userId) ? await tx.selectFrom('users').select(['id', 'email']).where('id', '=', input.userId).executeTakeFirst() : undefined
          : await tx.selectFrom('users').select(['id', 'email']).where((eb) => eb(eb.fn('lower', ['email']), '=', (input.email ?? '').toLowerCase())).executeTakeFirst();
        if (!user) throw new AppError('NOT_FOUND', 'no user with that email or id', { errors: [{ field: input.userId ? '/body/user_id' : '/body/email', message: 'no such user' }] });
        const current = await repo.getMember(tx, ledgerId, user.id);
        if (current?.role === 'owner' && input.role !== 'owner' && (await repo.countOwners(tx, ledgerId)) <= 1) {
          throw new AppError('CONFLICT', 'a ledger must keep at least one owner');
        }
        await repo.addMember(tx, ledgerId, user.id, input.role);
        await recordAudit(tx, actor, { action: 'ledger.member.set', entityType: 'ledger_member', entityId: user.id, ledgerId, details: { role: input.role } });
        return (await repo.listMembers(tx, ledgerId)).find((m) => m.user_id === user.id)!;
      });
    },

    async removeMember(actor: Actor, ledgerId: string, userId: string) {
      await k.transaction().execute(async (tx) => {
        // Anyone may leave; removing others needs owner.
        await requireLedgerRole(tx, actor, ledgerId, userId === actor.userId ? 'viewer' : 'owner');
        await tx.selectFrom('ledgers').select('id').where('id', '=', ledgerId).forUpdate().execute();
        const current = isUuid(userId) ? await repo.getMember(tx, ledgerId, userId) : undefined;
        if (!current) throw notFound('member');
        if (current.role === 'owner' && (await repo.countOwners(tx, ledgerId)) <= 1) throw new AppError('CONFLICT', 'a ledger must keep at least one owner');
        await repo.removeMember(tx, ledgerId, userId);
        await recordAudit(tx, actor, { action: 'ledger.member.remove', entityType: 'ledger_member', entityId: userId, ledgerId });
      });
    },
  };
}

export type LedgersService = ReturnType<typeof createLedgersService>;
