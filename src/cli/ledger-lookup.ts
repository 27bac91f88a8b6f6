// Lookups shared by the ledger-scoped CLI commands (search, rules, fx, budget,
// reports, bills): a ledger by id or name, and the member a command acts as.
import { sql } from 'kysely';
import type { Container } from '../app/container.ts';
import type { Actor } from '../auth/actor.ts';
import { AppError } from '../shared/app-error.ts';
import { isUuid } from '../shared/ids.ts';
import { UsageError } from './context.ts';

/** A ledger by id, or by name compared with PostgreSQL's lower() (case-insensitive); an ambiguous name is a usage error. */
export async function resolveLedger(c: Container, ref: string): Promise<{ id: string; name: string; base_currency: string }> {
  const q = c.db.kysely.selectFrom('ledgers').select(['id', 'name', 'base_currency']);
  const byId = isUuid(ref);
  const rows = byId ? await q.where('id', '=', ref).execute() : await q.where(sql<string>`lower(name)`, '=', sql<string>`lower(${ref})`).execute();
  if (rows.length === 0) throw new AppError('NOT_FOUND', `no ledger ${byId ? 'with id' : 'named'} ${JSON.stringify(ref)} (see finhub ledger list)`);
  if (rows.length > 1) throw new UsageError(`${rows.length} ledgers are named ${JSON.stringify(ref)}; pass the id instead: ${rows.map((r) => r.id).join(', ')}`);
  return rows[0]!;
}

/** Acts as --email, or as the ledger's first owner (the operator working for the household). */
export async function actorFor(c: Container, ledgerId: string, email: string | undefined): Promise<Actor> {
  if (email) {
    const u = await c.auth.findUserByEmail(email);
    if (!u) throw new AppError('NOT_FOUND', `no user with email ${email}`);
    return { userId: u.id, isAdmin: u.is_admin, via: 'cli' };
  }
  const owner = await c.db.kysely.selectFrom('ledger_members').select('user_id').where('ledger_id', '=', ledgerId).where('role', '=', 'owner').orderBy('created_at').executeTakeFirst();
  if (!owner) throw new AppError('NOT_FOUND', 'the ledger has no owner; pass --email of a member');
  return { userId: owner.user_id, isAdmin: false, via: 'cli' };
}
