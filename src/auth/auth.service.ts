// Users, first-run setup, sessions and personal access tokens. Knows nothing of
// HTTP: the routes and the CLI both call it.
import { sql } from 'kysely';
import type { Db } from '../db/create-db.ts';
import { AppError, invalid } from '../shared/app-error.ts';
import { decodeCursor, encodeCursor, isUuid } from '../shared/ids.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import type { Actor } from './actor.ts';
import * as repo from './auth.repository.ts';
import { dummyHash, hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './password.ts';
import { hashToken, newApiToken, newSessionToken, newSetupToken, sameHash, SETUP_PREFIX, TOKEN_PREFIX } from './tokens.ts';

const SETUP_KEY = 'setup_token_hash';
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export interface PublicUser {
  id: string;
  email: string;
  display_name: string;
  is_admin: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

export interface NewUserInput {
  email: string;
  password: string;
  displayName?: string | undefined;
  isAdmin?: boolean;
}

function checkNewUser(input: NewUserInput): void {
  if (!EMAIL.test(input.email)) throw invalid('/body/email', 'must be an email address');
  if (input.password.length < PASSWORD_MIN) throw invalid('/body/password', `must be at least ${PASSWORD_MIN} characters`);
  if (input.password.length > PASSWORD_MAX) throw invalid('/body/password', `must be at most ${PASSWORD_MAX} characters`);
}

export function createAuthService(deps: { db: Db; sessionTtlHours: number }) {
  const k = deps.db.kysely;

  async function insertUserChecked(ex: Parameters<typeof repo.insertUser>[0], input: NewUserInput, actor: Actor | null): Promise<PublicUser> {
    checkNewUser(input);
    if (await repo.findUserByEmail(ex, input.email)) throw new AppError('CONFLICT', 'a user with this email already exists', { errors: [{ field: '/body/email', message: 'already registered' }] });
    const user = await repo.insertUser(ex, {
      email: input.email,
      displayName: input.displayName?.trim() || input.email.split('@')[0]!,
      passwordHash: await hashPassword(input.password),
      isAdmin: input.isAdmin ?? false,
    });
    // No actor: the first-run setup or a local operator at the CLI.
    await recordAudit(ex, actor, { action: 'user.create', entityType: 'user', entityId: user.id, details: { email: user.email, is_admin: user.is_admin, via: actor?.via ?? 'setup-or-cli' } });
    return user;
  }

  return {
    /** True until the first user exists. */
    async needsSetup(): Promise<boolean> {
      return (await repo.countUsers(k)) === 0;
    },

    /** Issues a fresh one-time setup token (only while there are no users). Returns undefined when setup is done. */
    async issueSetupToken(): Promise<string | undefined> {
      if ((await repo.countUsers(k)) > 0) {
        await repo.deleteSetting(k, SETUP_KEY);
        return undefined;
      }
      const token = newSetupToken();
      await repo.putSetting(k, SETUP_KEY, hashToken(token));
      return token;
    },

    /** Creates the first (admin) user with the one-time setup token; the token dies with it. */
    async completeSetup(token: string, input: NewUserInput): Promise<PublicUser> {
      return k.transaction().execute(async (tx) => {
        // Serialise concurrent setup attempts on the settings row.
        const stored = await tx.selectFrom('system_settings').select('value').where('key', '=', SETUP_KEY).forUpdate().executeTakeFirst();
        if ((await repo.countUsers(tx)) > 0) throw new AppError('SETUP_ALREADY_DONE', 'setup is already complete; log in instead');
        if (!token.startsWith(SETUP_PREFIX) || typeof stored?.value !== 'string' || !sameHash(stored.value, hashToken(token))) {
          throw new AppError('SETUP_TOKEN_INVALID', 'setup token is not valid (it is printed by `finhub serve` at start while no user exists)');
        }
        const user = await insertUserChecked(tx, { ...input, isAdmin: true }, null);
        await repo.deleteSetting(tx, SETUP_KEY);
        return user;
      });
    },

    async createUser(actor: Actor | null, input: NewUserInput): Promise<PublicUser> {
      if (actor && !actor.isAdmin) throw new AppError('FORBIDDEN', 'only administrators create users');
      return k.transaction().execute((tx) => insertUserChecked(tx, input, actor));
    },

    async getUser(id: string): Promise<PublicUser | undefined> {
      return repo.findUserById(k, id);
    },

    async findUserByEmail(email: string): Promise<PublicUser | undefined> {
      const u = await repo.findUserByEmail(k, email);
      if (!u) return undefined;
      const { password_hash: _ph, ...rest } = u;
      return rest;
    },

    async listUsers(actor: Actor, page: { cursor?: string | undefined; limit: number }) {
      if (!actor.isAdmin) throw new AppError('FORBIDDEN', 'only administrators list users');
      const after = decodeCursor(page.cursor, ['email', 'id'] as const);
      const rows = await repo.listUsers(k, after, page.limit + 1);
      const items = rows.slice(0, page.limit);
      const last = items[items.length - 1];
      return { items, next_cursor: rows.length > page.limit && last ? encodeCursor({ email: last.email.toLowerCase(), id: last.id }) : null };
    },

    async login(email: string, password: string, userAgent: string | null) {
      const user = await repo.findUserByEmail(k, email);
      const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), password);
      if (!user || !ok || user.disabled_at) throw new AppError('INVALID_CREDENTIALS', 'email or password is wrong');
      const token = newSessionToken();
      const expiresAt = new Date(Date.now() + deps.sessionTtlHours * 3_600_000);
      const session = await repo.insertSession(k, { userId: user.id, tokenHash: hashToken(token), expiresAt, userAgent: userAgent?.slice(0, 500) ?? null });
      const { password_hash: _ph, ...publicUser } = user;
      return { token, expiresAt: session.expires_at, sessionId: session.id, user: publicUser };
    },

    /** Resolves a session cookie or bearer token to an Actor, or undefined. */
    async authenticate(raw: { sessionToken?: string | undefined; bearer?: string | undefined }): Promise<Actor | undefined> {
      if (raw.bearer) {
        if (!raw.bearer.startsWith(TOKEN_PREFIX) || raw.bearer.length > 200) return undefined;
        const t = await repo.findActiveApiToken(k, hashToken(raw.bearer));
        if (!t) return undefined;
        // last_used_at is for the owner's eyes; a minute's resolution spares a write per request.
        if (!t.last_used_at || Date.now() - t.last_used_at.getTime() > 60_000) await repo.touchApiToken(k, t.token_id);
        return { userId: t.user_id, isAdmin: t.is_admin, via: 'token', tokenId: t.token_id };
      }
      if (raw.sessionToken) {
        if (raw.sessionToken.length > 100) return undefined;
        const s = await repo.findActiveSession(k, hashToken(raw.sessionToken));
        if (!s) return undefined;
        if (Date.now() - s.last_seen_at.getTime() > 60_000) await repo.touchSession(k, s.session_id);
        return { userId: s.user_id, isAdmin: s.is_admin, via: 'session', sessionId: s.session_id };
      }
      return undefined;
    },

    /** Ends the caller's session; a token-authenticated caller revokes its token. */
    async logout(actor: Actor): Promise<void> {
      if (actor.sessionId) await repo.deleteSession(k, actor.sessionId);
      if (actor.tokenId) await repo.revokeApiToken(k, actor.userId, actor.tokenId);
    },

    async createToken(actor: Actor, input: { name: string; expiresInDays?: number | undefined }) {
      const name = input.name.trim();
      if (!name) throw invalid('/body/name', 'must not be empty');
      const token = newApiToken();
      const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
      const row = await k.transaction().execute(async (tx) => {
        const r = await repo.insertApiToken(tx, { userId: actor.userId, name, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6), expiresAt });
        await recordAudit(tx, actor, { action: 'token.create', entityType: 'api_token', entityId: r.id, details: { name } });
        return r;
      });
      return { ...row, token };
    },

    async listTokens(actor: Actor, page: { cursor?: string | undefined; limit: number }) {
      const after = decodeCursor(page.cursor, ['created_at', 'id'] as const);
      const rows = await repo.listApiTokens(k, actor.userId, after, page.limit + 1);
      const items = rows.slice(0, page.limit);
      const last = items[items.length - 1];
      return {
        items: items.map(({ sort_key: _s, ...r }) => r),
        next_cursor: rows.length > page.limit && last ? encodeCursor({ created_at: last.sort_key, id: last.id }) : null,
      };
    },

    async revokeToken(actor: Actor, id: string): Promise<void> {
      await k.transaction().execute(async (tx) => {
        const r = isUuid(id) ? await repo.revokeApiToken(tx, actor.userId, id) : undefined;
        if (!r) throw new AppError('NOT_FOUND', 'token not found');
        await recordAudit(tx, actor, { action: 'token.revoke', entityType: 'api_token', entityId: id });
      });
    },

    /** Deletes expired sessions (a scheduled job). */
    async purgeExpiredSessions(): Promise<number> {
      const r = await k.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
