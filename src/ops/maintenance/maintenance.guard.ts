// While maintenance mode is on, writes to the API get 503 problem+json with
// Retry-After. Reads, login and logout, first-run setup and the operator
// endpoints under /api/v1/ops keep working, as does everything outside /api/v1
// (health, metrics, status page). Registered after the auth hook, so an
// unauthenticated write still gets its 401.
import type { FastifyInstance } from 'fastify';
import { problemOf } from '../../http/plugins/errors.ts';
import { AppError } from '../../shared/app-error.ts';
import { retryAfterSeconds, type MaintenanceService } from './maintenance.service.ts';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const EXEMPT = ['/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/setup', '/api/v1/ops'];

export function isBlockedDuringMaintenance(method: string, url: string): boolean {
  if (!WRITES.has(method)) return false;
  const path = url.split('?')[0]!.replace(/\/+$/, '');
  if (!path.startsWith('/api/v1/')) return false;
  return !EXEMPT.some((p) => path === p || path.startsWith(`${p}/`));
}

const refused = new WeakSet<object>();

/** True when the maintenance guard answered this request with 503 (planned; kept out of the error-rate metrics). */
export function refusedForMaintenance(req: object): boolean {
  return refused.has(req);
}

export function registerMaintenanceGuard(app: FastifyInstance, maintenance: MaintenanceService, now: () => Date = () => new Date()): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!isBlockedDuringMaintenance(req.method, req.url)) return;
    const s = await maintenance.status();
    if (!s.on) return;
    const at = now();
    const retryAfter = retryAfterSeconds(s, at);
    const e = new AppError('MAINTENANCE_MODE');
    // problemOf hides 5xx details; this one is meant for the client, so it is set explicitly.
    const body = {
      ...problemOf(e, req),
      detail: `${s.message} (changes are refused during maintenance; reading still works)`,
      maintenance: { message: s.message, since: s.since?.toISOString(), until: s.until ? s.until.toISOString() : null },
    };
    req.log.info({ code: e.code }, 'request refused: maintenance mode');
    refused.add(req);
    return reply.code(503).header('retry-after', String(retryAfter)).type('application/problem+json').send(body);
  });
}
