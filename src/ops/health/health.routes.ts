// Health endpoints in the IETF health-check draft format (application/health+json):
// status pass | warn | fail (503 only on fail), checks keyed "component:measurement".
// /health/live never touches the database; /health/ready checks the database
// (and Redis when configured) with a timeout, cached briefly; the component
// endpoints are uncached; /api/health/detailed is for operators only.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Container } from '../../app/container.ts';
import { commitOf } from './build-info.ts';
import { cacheChecks, databaseChecks, detailedHealth, docBase, overall, queueChecks, type Checks, type HealthDoc } from './checks.ts';

export type { HealthDoc } from './checks.ts';

const send = (reply: FastifyReply, doc: HealthDoc) =>
  reply.code(doc.status === 'fail' ? 503 : 200).header('cache-control', 'no-store').type('application/health+json').send(JSON.stringify(doc));

function docOf(description: string, checks: Checks, failOutput: string): HealthDoc {
  const status = overall(checks);
  return { status, ...docBase(description), ...(status === 'fail' ? { output: failOutput } : {}), checks };
}

export function createReadiness(c: Container) {
  let cached: { at: number; doc: HealthDoc } | undefined;
  let inflight: Promise<HealthDoc> | undefined;
  async function check(): Promise<HealthDoc> {
    const time = new Date().toISOString();
    if (c.state.draining) return { ...docBase('finhub readiness'), status: 'fail', output: 'shutting down', checks: { 'process:draining': [{ status: 'fail', observedValue: 'draining', time }] } };
    const [db, cache] = await Promise.all([databaseChecks(c), c.config.redisUrl ? cacheChecks(c) : {}]);
    // Readiness is about reaching dependencies; pool saturation is reported by /health/db.
    const checks: Checks = { 'database:responseTime': db['database:responseTime']!, ...cache };
    const dbDown = checks['database:responseTime']!.some((x) => x.status === 'fail');
    const cacheDown = (checks['cache:responseTime'] ?? []).some((x) => x.status === 'fail');
    return docOf('finhub readiness', checks, [dbDown && 'database unavailable', cacheDown && 'cache unavailable'].filter(Boolean).join('; '));
  }
  return async (): Promise<HealthDoc> => {
    if (c.state.draining) return check();
    if (cached && Date.now() - cached.at < c.config.readyCacheMs) return cached.doc;
    inflight ??= check().finally(() => (inflight = undefined));
    const doc = await inflight;
    cached = { at: Date.now(), doc };
    return doc;
  };
}

export async function healthRoutes(app: FastifyInstance, { c }: { c: Container }) {
  const ready = createReadiness(c);
  commitOf(c.config); // read .git once at start, never at request time
  const schema = (summary: string) => ({ tags: ['health'], summary, hide: true });
  app.get('/health/live', { config: { auth: 'public' }, schema: schema('Liveness: the process answers (no database access)') }, async (_req, reply) =>
    send(reply, {
      status: 'pass', ...docBase('finhub liveness'),
      checks: { 'uptime': [{ componentType: 'system', observedValue: Math.floor(process.uptime()), observedUnit: 's', status: 'pass', time: new Date().toISOString() }] },
    }));
  app.get('/health/ready', { config: { auth: 'public' }, schema: schema('Readiness: database (and Redis when configured) reachable within the timeout; fails while draining') }, async (_req, reply) => send(reply, await ready()));
  app.get('/health', { config: { auth: 'public' }, schema: schema('Summary (same checks as readiness)') }, async (_req, reply) => send(reply, await ready()));
  app.get('/health/db', { config: { auth: 'public' }, schema: schema('Database: round trip and connection pool usage') }, async (_req, reply) =>
    send(reply, docOf('finhub database', await databaseChecks(c), 'database unavailable')));
  app.get('/health/cache', { config: { auth: 'public' }, schema: schema('Cache: Redis PING when REDIS_URL is set, else the in-process cache') }, async (_req, reply) =>
    send(reply, docOf('finhub cache', await cacheChecks(c), 'cache unavailable')));
  app.get('/health/queue', { config: { auth: 'public' }, schema: schema('Job queue: depth, oldest queued job, dead letters, this process\'s worker') }, async (_req, reply) =>
    send(reply, docOf('finhub job queue', (await queueChecks(c)).checks, 'job queue unavailable')));
  // Outside /api/v1 (not part of the versioned API), but operators only: it shows sizes, versions and paths.
  app.get('/api/health/detailed', { config: { auth: 'admin' }, schema: { tags: ['health'], summary: 'Every component with latency, sizes, backups, disk, versions (administrators)', security: [{ bearer: [] }, { cookie: [] }] } }, async (_req, reply) =>
    send(reply, await detailedHealth(c)));
}
