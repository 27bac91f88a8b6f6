// Public status page: /status (HTML) and /status.json (Statuspage summary
// shape). No authentication; the summary is rebuilt at most every CACHE_MS so
// a busy or abusive visitor cannot turn it into database load.
import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app/container.ts';
import { loadSloSpec, type SloSpec } from '../slo/spec.ts';
import { renderStatusHtml } from './status.html.ts';
import { buildStatusSummary, type StatusSummary } from './status.service.ts';

export const STATUS_CACHE_SECONDS = 5;
const STATUS_CACHE_MS = STATUS_CACHE_SECONDS * 1000;

export async function statusRoutes(app: FastifyInstance, { c, spec }: { c: Container; spec?: SloSpec | null }) {
  let sloSpec: SloSpec | null;
  if (spec !== undefined) sloSpec = spec;
  else {
    try {
      sloSpec = loadSloSpec();
    } catch (err) {
      c.logger.warn({ err }, 'status page: the SLO spec could not be loaded; the error budget is left out');
      sloSpec = null;
    }
  }
  let cached: { at: number; summary: StatusSummary } | undefined;
  let inflight: Promise<StatusSummary> | undefined;
  const summary = async () => {
    if (cached && Date.now() - cached.at < STATUS_CACHE_MS) return cached.summary;
    inflight ??= buildStatusSummary({ db: c.db, maintenance: c.maintenance, registry: c.metrics.registry, pageName: c.config.statusPageName, startedAt: c.state.startedAt, spec: sloSpec })
      .then((s) => {
        cached = { at: Date.now(), summary: s };
        return s;
      })
      .finally(() => (inflight = undefined));
    return inflight;
  };
  const cacheHeader = `public, max-age=${STATUS_CACHE_SECONDS}`;
  app.get('/status.json', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', cacheHeader).type('application/json; charset=utf-8').send(JSON.stringify(await summary())));
  app.get('/status', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', cacheHeader).type('text/html; charset=utf-8').send(renderStatusHtml(await summary())));
}
