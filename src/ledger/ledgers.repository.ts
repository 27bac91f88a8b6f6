import { sql } from 'kysely';
import type { Role } from '../db/schema.ts';
import type { Executor } from '../shared/executor.ts';

const cols = ['l.id', 'l.name', 'l.base_currency', 'l.created_at', 'l.updated_at'] as const;

export const insertLedger = (ex: Executor, v: { name: string; baseCurrency: string; createdBy: string }) =>
  ex
    .insertInto('ledgers')
    .values({ name: v.name, base_currency: v.baseCurrency, created_by: v.createdBy })
    .returning(['id', 'name', 'base_currency', 'created_at', 'updated_at'])
    .executeTakeFirstOrThrow();

export const addMember = (ex: Executor, ledgerId: string, userId: string, role: Role) =>
  ex
    .insertInto('ledger_members')
    .values({ ledger_id: ledgerId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['ledger_id', 'user_id']).doUpdateSet({ role }))
    .execute();

export const getLedgerForUser = (ex: Executor, ledgerId: string, userId: string) =>
  ex
    .selectFrom('ledgers as l')
    .innerJoin('ledger_members as m', 'm.ledger_id', 'l.id')
    .select([...cols, 'm.role'])
    .where('l.id', '=', ledgerId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();

export const listLedgersForUser = (ex: Executor, userId: string, after: { name: string; id: string } | undefined, limit: number) => {
  let q = ex
    .selectFrom('ledgers as l')
    .innerJoin('ledger_members as m', 'm.ledger_id', 'l.id')
    .select([...cols, 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('l.name')
    .orderBy('l.id')
    .limit(limit);
  if (after) q = q.where((eb) => eb(eb.tuple(eb.ref('l.name'), eb.ref('l.id')), '>', eb.tuple(after.name, sql<string>`${after.id}::uuid`)));
  return q.execute();
};

export const updateLedger = (ex: Executor, ledgerId: string, patch: { name?: string | undefined; base_currency?: string | undefined }) =>
  ex
    .updateTable('ledgers')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', ledgerId)
    .returning(['id', 'name', 'base_currency', 'created_at', 'updated_at'])
    .executeTakeFirstOrThrow();

export const deleteLedger = (ex: Executor, ledgerId: string) => ex.deleteFrom('ledgers').where('id', '=', ledgerId).execute();

export const listMembers = (ex: Executor, ledgerId: string) =>
  ex
    .selectFrom('ledger_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.email', 'u.display_name', 'm.role', 'm.created_at'])
    .where('m.ledger_id', '=', ledgerId)
    .orderBy('u.email')
    .execute();

export const getMember = (ex: Executor, ledgerId: string, userId: string) =>
  ex.selectFrom('ledger_members').select(['user_id', 'role']).where('ledger_id', '=', ledgerId).where('user_id', '=', userId).executeTakeFirst();

export const removeMember = (ex: Executor, ledgerId: string, userId: string) =>
  ex.deleteFrom('ledger_members').where('ledger_id', '=', ledgerId).where('user_id', '=', userId).execute();

export const countOwners = async (ex: Executor, ledgerId: string) =>
  Number(
    (await ex.selectFrom('ledger_members').select((eb) => eb.fn.countAll<bigint>().as('n')).where('ledger_id', '=', ledgerId).where('role', '=', 'owner').executeTakeFirstOrThrow()).n,
  );
