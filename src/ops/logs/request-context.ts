// The request (or job) being served, carried through async calls so that code
// far from the route (the job queue's enqueue) can stamp work with the id of the
// request that caused it, without every service passing it along.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

export interface RequestContext {
  requestId: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId ?? undefined;
}

export function runWithRequestId<T>(requestId: string | null | undefined, fn: () => T): T {
  return storage.run({ requestId: requestId ?? null }, fn);
}

/**
 * Enters the context in onRequest and again in preHandler: Fastify runs the
 * body parser from the request stream's events, which start a new async
 * context, so the handler would otherwise not see the store.
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => storage.run({ requestId: req.id }, done));
  app.addHook('preHandler', (req, _reply, done) => storage.run({ requestId: req.id }, done));
}
