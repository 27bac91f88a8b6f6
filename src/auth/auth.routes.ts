import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { requireActor } from '../http/plugins/auth.ts';
import { Body, NoContent, Page, PageQuery, Timestamp, Uuid } from '../http/schemas.ts';
import { SESSION_COOKIE } from './tokens.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from './password.ts';

const User = Type.Object({
  id: Uuid,
  email: Type.String(),
  display_name: Type.String(),
  is_admin: Type.Boolean(),
  created_at: Timestamp,
  disabled_at: Type.Union([Timestamp, Type.Null()]),
});
const NewUser = {
  email: Type.String({ maxLength: 320, format: 'email' }),
  password: Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX }),
  display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
};
const Token = Type.Object({
  id: Uuid,
  name: Type.String(),
  token_prefix: Type.String({ description: 'first characters of the token, to recognise it' }),
  created_at: Timestamp,
  expires_at: Type.Union([Timestamp, Type.Null()]),
  last_used_at: Type.Union([Timestamp, Type.Null()]),
  revoked_at: Type.Union([Timestamp, Type.Null()]),
});

export const authRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  const auth = c.auth;

  app.post('/setup', {
    config: { auth: 'public' },
    schema: {
      tags: ['auth'], summary: 'Create the first (admin) user with the one-time setup token printed at first start',
      body: Body({ token: Type.String({ maxLength: 200 }), ...NewUser }),
      response: { 201: User },
    },
  }, async (req, reply) => reply.code(201).send(await auth.completeSetup(req.body.token, { email: req.body.email, password: req.body.password, displayName: req.body.display_name })));

  app.post('/auth/login', {
    config: { auth: 'public' },
    schema: {
      tags: ['auth'], summary: 'Log in with email and password; sets an HttpOnly session cookie',
      body: Body({ email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: PASSWORD_MAX }) }),
      response: { 200: Type.Object({ user: User, expires_at: Timestamp }) },
    },
  }, async (req, reply) => {
    const s = await auth.login(req.body.email, req.body.password, req.headers['user-agent'] ?? null);
    const secure = c.config.cookieSecure === 'true' || (c.config.cookieSecure === 'auto' && req.protocol === 'https');
    reply.setCookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: s.expiresAt });
    return { user: s.user, expires_at: s.expiresAt };
  });

  app.post('/auth/logout', {
    schema: { tags: ['auth'], summary: 'End this session (or revoke the bearer token used)', response: { 204: NoContent } },
  }, async (req, reply) => {
    await auth.logout(requireActor(req));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get('/auth/me', { schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: User } } }, async (req) => {
    const u = await auth.getUser(requireActor(req).userId);
    return u!;
  });

  app.get('/tokens', {
    schema: { tags: ['auth'], summary: "List your personal access tokens", querystring: Type.Object(PageQuery), response: { 200: Page(Token) } },
  }, async (req) => auth.listTokens(requireActor(req), req.query));

  app.post('/tokens', {
    schema: {
      tags: ['auth'], summary: 'Create a personal access token (shown once)',
      body: Body({ name: Type.String({ minLength: 1, maxLength: 200 }), expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) }),
      response: { 201: Type.Intersect([Token, Type.Object({ token: Type.String({ description: 'the secret; it is not shown again' }) })]) },
    },
  }, async (req, reply) => reply.code(201).send(await auth.createToken(requireActor(req), { name: req.body.name, expiresInDays: req.body.expires_in_days })));

  app.delete('/tokens/:id', {
    schema: { tags: ['auth'], summary: 'Revoke a token', params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 204: NoContent } },
  }, async (req, reply) => {
    await auth.revokeToken(requireActor(req), req.params.id);
    return reply.code(204).send(null);
  });

  app.get('/users', {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'List users (administrators)', querystring: Type.Object(PageQuery), response: { 200: Page(User) } },
  }, async (req) => auth.listUsers(requireActor(req), req.query));

  app.post('/users', {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'Create a user (administrators)', body: Body({ ...NewUser, is_admin: Type.Optional(Type.Boolean()) }), response: { 201: User } },
  }, async (req, reply) => reply.code(201).send(await auth.createUser(requireActor(req), { email: req.body.email, password: req.body.password, displayName: req.body.display_name, isAdmin: req.body.is_admin ?? false })));
};
