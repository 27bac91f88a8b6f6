import { sql } from 'kysely';
import type { Executor } from '../shared/executor.ts';

const userColumns = ['id', 'email', 'display_name', 'is_admin', 'created_at', 'disabled_at'] as const;

export const countUsers = async (ex: Executor): Promise<number> =>
  Number((await ex.selectFrom('users').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n);

export const findUserByEmail = (ex: Executor, email: string) =>
  ex.selectFrom('users').select([...userColumns, 'password_hash']).where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();

export const findUserById = (ex: Executor, id: string) =>
  ex.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();

export const insertUser = (ex: Executor, u: { email: string; displayName: string; passwordHash: string; isAdmin: boolean }) =>
  ex
    .insertInto('users')
    .values({ email: u.email, display_name: u.displayName, password_hash: u.passwordHash, is_admin: u.isAdmin })
    .returning(userColumns)
    .executeTakeFirstOrThrow();

export const listUsers = (ex: Executor, after: { email: string; id: string } | undefined, limit: number) => {
  let q = ex.selectFrom('users').select(userColumns).orderBy(sql`lower(email)`).orderBy('id').limit(limit);
  if (after) q = q.where((eb) => eb(eb.tuple(sql<string>`lower(email)`, eb.ref('id')), '>', eb.tuple(after.email, after.id)));
  return q.execute();
};

export const insertSession = (ex: Executor, s: { userId: string; tokenHash: string; expiresAt: Date; userAgent: string | null }) =>
  ex
    .insertInto('sessions')
    .values({ user_id: s.userId, token_hash: s.tokenHash, expires_at: s.expiresAt, user_agent: s.userAgent })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();

export const findActiveSession = (ex: Executor, tokenHash: string) =>
  ex
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id as session_id', 's.user_id', 's.last_seen_at', 'u.is_admin'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();

export const touchSession = (ex: Executor, id: string) =>
  ex.updateTable('sessions').set({ last_seen_at: sql`now()` }).where('id', '=', id).execute();

export const deleteSession = (ex: Executor, id: string) => ex.deleteFrom('sessions').where('id', '=', id).execute();

export const insertApiToken = (ex: Executor, t: { userId: string; name: string; tokenHash: string; prefix: string; expiresAt: Date | null }) =>
  ex
    .insertInto('api_tokens')
    .values({ user_id: t.userId, name: t.name, token_hash: t.tokenHash, token_prefix: t.prefix, expires_at: t.expiresAt })
    .returning(['id', 'name', 'token_prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .executeTakeFirstOrThrow();

export const findActiveApiToken = (ex: Executor, tokenHash: string) =>
  ex
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.user_id', 't.last_used_at', 'u.is_admin'])
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();

export const touchApiToken = (ex: Executor, id: string) =>
  ex.updateTable('api_tokens').set({ last_used_at: sql`now()` }).where('id', '=', id).execute();

export const listApiTokens = (ex: Executor, userId: string, after: { created_at: string; id: string } | undefined, limit: number) => {
  let q = ex
    .selectFrom('api_tokens')
    .select(['id', 'name', 'token_prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at', sql<string>`created_at::text`.as('sort_key')])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (after) q = q.where((eb) => eb(eb.tuple(eb.ref('created_at'), eb.ref('id')), '<', eb.tuple(sql<Date>`${after.created_at}::timestamptz`, sql<string>`${after.id}::uuid`)));
  return q.execute();
};

export const revokeApiToken = (ex: Executor, userId: string, id: string) =>
  ex
    .updateTable('api_tokens')
    .set({ revoked_at: sql`now()` })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();

export const getSetting = async (ex: Executor, key: string): Promise<unknown> =>
  (await ex.selectFrom('system_settings').select('value').where('key', '=', key).executeTakeFirst())?.value;

export const putSetting = (ex: Executor, key: string, value: unknown) =>
  ex
    .insertInto('system_settings')
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: sql`now()` }))
    .execute();

export const deleteSetting = (ex: Executor, key: string) => ex.deleteFrom('system_settings').where('key', '=', key).execute();
