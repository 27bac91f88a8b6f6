// Health endpoints in the IETF health-check draft format (application/health+json):
// status pass | warn | fail, checks keyed "component:measurement". /health/live never
// touches the database; /health/ready does, with a timeout, cached briefly.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Container } from '../../app/container.ts';
import { VERSION } from '../../app/container.ts';
import { pingDb } from '../../db/create-db.ts';

type Status = 'pass' | 'warn' | 'fail';
interface Check {
  componentType?: string;
  observedValue?: number | string;
  observedUnit?: string;
  status: Status;
  time: string;
  output?: string;
}
export interface HealthDoc {
  status: Status;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  checks?: Record<string, Check[]>;
  output?: string;
}

const send = (reply: FastifyReply, doc: HealthDoc) =>
  reply.code(doc.status === 'fail' ? 503 : 200).header('cache-control', 'no-store').type('application/health+json').send(JSON.stringify(doc));

export function createReadiness(c: Container) {
  let cached: { at: number; doc: HealthDoc } | undefined;
  let inflight: Promise<HealthDoc> | undefined;
  const base = () => ({ version: VERSION.split('.')[0]!, releaseId: VERSION, serviceId: 'finhub', description: 'finhub readiness' });
  async function check(): Promise<HealthDoc> {
    const time = new Date().toISOString();
    if (c.state.draining) return { ...base(), status: 'fail', output: 'shutting down', checks: { 'process:draining': [{ status: 'fail', observedValue: 'draining', time }] } };
    try {
      const seconds = await pingDb(c.db, c.config.readyTimeoutMs);
      return { ...base(), status: 'pass', checks: { 'database:responseTime': [{ componentType: 'datastore', observedValue: Number((seconds * 1e3).toFixed(3)), observedUnit: 'ms', status: 'pass', time }] } };
    } catch (e) {
      const output = c.config.env === 'production' ? 'database did not answer (details in the server log)' : (e as Error).message;
      c.logger.warn({ err: e }, 'readiness: database check failed');
      return { ...base(), status: 'fail', output: 'database unavailable', checks: { 'database:responseTime': [{ componentType: 'datastore', status: 'fail', time, output }] } };
    }
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
  const hidden = { hide: true };
  app.get('/health/live', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Liveness: the process answers (no database access)', ...hidden } }, async (_req, reply) =>
    send(reply, {
      status: 'pass', version: VERSION.split('.')[0]!, releaseId: VERSION, serviceId: 'finhub', description: 'finhub liveness',
      checks: { 'uptime': [{ componentType: 'system', observedValue: Math.floor(process.uptime()), observedUnit: 's', status: 'pass', time: new Date().toISOString() }] },
    }));
  app.get('/health/ready', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Readiness: database reachable within the timeout; fails while draining', ...hidden } }, async (_req, reply) => send(reply, await ready()));
  app.get('/health', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Summary (same checks as readiness)', ...hidden } }, async (_req, reply) => send(reply, await ready()));
}
