import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app/container.ts';

export async function metricsRoutes(app: FastifyInstance, { c }: { c: Container }) {
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    const body = await c.metrics.registry.metrics();
    return reply.type(c.metrics.registry.contentType).send(body);
  });
}
