import { sql } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid } from '../shared/ids.ts';
import { requireLedgerRole } from './access.ts';

const cols = ['id', 'ledger_id', 'name', 'created_at'] as const;

function payeeName(n: string | undefined): string {
  const t = (n ?? '').trim();
  if (t.length < 1 || t.length > 500) throw invalid('/body/name', 'must be 1-500 characters');
  return t;
}

/** Finds a payee by name (case-insensitive) or creates it. Used by transactions and imports. */
// Names are compared with PostgreSQL's lower(), the same function as the unique
// index payees_name_key (JavaScript's toLowerCase differs for İ or a final Σ).
export async function findOrCreatePayee(ex: Executor, ledgerId: string, name: string): Promise<string> {
  const n = payeeName(name);
  const existing = await ex.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', sql<string>`lower(${n})`).executeTakeFirst();
  if (existing) return existing.id;
  const created = await ex
    .insertInto('payees')
    .values({ ledger_id: ledgerId, name: n })
    .onConflict((oc) => oc.expression(sql`ledger_id, lower(name)`).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (created) return created.id;
  // Lost a race with a concurrent insert of the same name.
  return (await ex.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', sql<string>`lower(${n})`).executeTakeFirstOrThrow()).id;
}

export function createPayeesService(deps: { db: Db }) {
  const k = deps.db.kysely;
  return {
    async list(actor: Actor, ledgerId: string, page: { cursor?: string | undefined; limit: number; q?: string | undefined }) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const after = decodeCursor(page.cursor, ['name', 'id'] as const);
      let q = k.selectFrom('payees').select(cols).where('ledger_id', '=', ledgerId).orderBy(sql`lower(name)`).orderBy('id').limit(page.limit + 1);
      if (page.q) q = q.where(sql<string>`lower(name)`, 'like', `%${page.q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`);
      if (after) q = q.where((eb) => eb(eb.tuple(sql<string>`lower(name)`, eb.ref('id')), '>', eb.tuple(after.name, sql<string>`${after.id}::uuid`)));
      const rows = await q.execute();
      const items = rows.slice(0, page.limit);
      const last = items[items.length - 1];
      return { items, next_cursor: rows.length > page.limit && last ? encodeCursor({ name: last.name.toLowerCase(), id: last.id }) : null };
    },

    async create(actor: Actor, ledgerId: string, input: { name?: string | undefined }) {
      const n = payeeName(input.name);
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const dup = await tx.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', sql<string>`lower(${n})`).executeTakeFirst();
        if (dup) throw new AppError('CONFLICT', 'a payee with this name exists', { errors: [{ field: '/body/name', message: 'already exists' }], details: { payee_id: dup.id } });
        const p = await tx.insertInto('payees').values({ ledger_id: ledgerId, name: n }).returning(cols).executeTakeFirstOrThrow();
        await recordAudit(tx, actor, { action: 'payee.create', entityType: 'payee', entityId: p.id, ledgerId, details: { name: n } });
        return p;
      });
    },

    async get(actor: Actor, ledgerId: string, payeeId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const p = isUuid(payeeId) ? await k.selectFrom('payees').select(cols).where('ledger_id', '=', ledgerId).where('id', '=', payeeId).executeTakeFirst() : undefined;
      if (!p) throw notFound('payee');
      return p;
    },

    async rename(actor: Actor, ledgerId: string, payeeId: string, input: { name?: string | undefined }) {
      const n = payeeName(input.name);
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(payeeId)) throw notFound('payee');
        const dup = await tx.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).where(sql<string>`lower(name)`, '=', n.toLowerCase()).where('id', '<>', payeeId).executeTakeFirst();
        if (dup) throw new AppError('CONFLICT', 'another payee has this name', { errors: [{ field: '/body/name', message: 'already exists' }], details: { payee_id: dup.id } });
        const p = await tx.updateTable('payees').set({ name: n }).where('ledger_id', '=', ledgerId).where('id', '=', payeeId).returning(cols).executeTakeFirst();
        if (!p) throw notFound('payee');
        await recordAudit(tx, actor, { action: 'payee.rename', entityType: 'payee', entityId: payeeId, ledgerId, details: { name: n } });
        return p;
      });
    },

    async remove(actor: Actor, ledgerId: string, payeeId: string) {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(payeeId)) throw notFound('payee');
        const r = await tx.deleteFrom('payees').where('ledger_id', '=', ledgerId).where('id', '=', payeeId).executeTakeFirst();
        if (r.numDeletedRows === 0n) throw notFound('payee');
        await recordAudit(tx, actor, { action: 'payee.delete', entityType: 'payee', entityId: payeeId, ledgerId });
      });
    },
  };
}

export type PayeesService = ReturnType<typeof createPayeesService>;
