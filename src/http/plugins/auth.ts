// One auth hook for every route. Routes declare `config.auth`: 'public', 'user'
// (default under /api) or 'admin'. Session cookie for browsers, Bearer personal
// access tokens for the API and CLI.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../auth/actor.ts';
import type { AuthService } from '../../auth/auth.service.ts';
import { SESSION_COOKIE } from '../../auth/tokens.ts';
import { AppError } from '../../shared/app-error.ts';

export type AuthLevel = 'public' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function requireActor(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError('UNAUTHENTICATED');
  return req.actor;
}

export function registerAuth(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (req) => {
    const level: AuthLevel = req.routeOptions.config?.auth ?? (req.url.startsWith('/api/v1/') ? 'user' : 'public');
    const header = req.headers.authorization;
    let bearer: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) {
        if (level !== 'public') throw new AppError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
      } else bearer = m[1];
    }
    const sessionToken = bearer ? undefined : req.cookies?.[SESSION_COOKIE];
    if (bearer || sessionToken) {
      const actor = await auth.authenticate({ bearer, sessionToken });
      if (actor) req.actor = { ...actor, requestId: req.id };
      else if (level !== 'public') throw new AppError('UNAUTHENTICATED', bearer ? 'token is not valid, expired or revoked' : 'session expired; log in again');
    }
    if (level === 'public') return;
    if (!req.actor) throw new AppError('UNAUTHENTICATED', 'log in, or send Authorization: Bearer <personal access token>');
    if (level === 'admin' && !req.actor.isAdmin) throw new AppError('FORBIDDEN', 'administrators only');
  });
}
