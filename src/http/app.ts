// Builds the Fastify app from a container. It never listens (server.ts does), so
// tests drive it with app.inject(). Plugins load in a fixed order: framework
// plugins, then cross-cutting hooks, then routes.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Container } from '../app/container.ts';
import { VERSION } from '../app/container.ts';
import { authRoutes } from '../auth/auth.routes.ts';
import { catalogRoutes } from '../ledger/catalog.routes.ts';
import { ledgersRoutes } from '../ledger/ledgers.routes.ts';
import { transactionsRoutes } from '../ledger/transactions.routes.ts';
import { importsRoutes } from '../imports/flow/imports.routes.ts';
import { healthRoutes } from '../ops/health/health.routes.ts';
import { metricsRoutes } from '../ops/metrics/metrics.routes.ts';
import { incidentsRoutes } from '../ops/incidents/incidents.routes.ts';
import { refusedForMaintenance, registerMaintenanceGuard } from '../ops/maintenance/maintenance.guard.ts';
import { maintenanceRoutes } from '../ops/maintenance/maintenance.routes.ts';
import { statusRoutes } from '../ops/status/status.routes.ts';
import { registerRequestContext } from '../ops/logs/request-context.ts';
import { reportsRoutes } from '../ops/reports/reports.routes.ts';
import { rulesRoutes } from '../rules/rules.routes.ts';
import { moneyRoutes } from '../budgets/money.routes.ts';
import { ledgerReportsRoutes } from '../reports/reports.routes.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandling, sendProblem, toAppError } from './plugins/errors.ts';
import { validatorCompiler } from './plugins/validation.ts';
import { Problem } from './schemas.ts';
import { SETUP_PAGE } from './setup-page.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(c: Container): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: c.logger,
    // X-Request-Id is honoured when well-formed, generated otherwise (Fastify 5 ignores it by default).
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: c.config.bodyLimitBytes,
    trustProxy: c.config.trustProxy,
    return503OnClosing: true,
    // Errors raised before routing (malformed URL, bad content length) still answer in problem+json.
    frameworkErrors: (err, req, reply) => sendProblem(reply, req, toAppError(err)),
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler());
  app.addSchema(Problem);

  // Every route documents its problem responses.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.schema) return;
    const response = (route.schema.response ??= {}) as Record<string, unknown>;
    response['4XX'] ??= { $ref: 'Problem#' };
    response['5XX'] ??= { $ref: 'Problem#' };
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'finhub API', version: VERSION, description: 'Self-hosted personal finance. Amounts are integer minor units of the ISO 4217 currency; errors are RFC 9457 problem+json.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'personal access token (fh_pat_...)' }, cookie: { type: 'apiKey', in: 'cookie', name: 'finhub_session' } } },
      security: [{ bearer: [] }, { cookie: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  const plain = app as unknown as FastifyInstance;
  // Before auth: even a rejected request carries its id and is counted.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    c.metrics.httpInFlight.inc();
  });
  // Jobs enqueued while serving a request carry its id (ops/logs/request-context.ts).
  registerRequestContext(plain);
  registerErrorHandling(plain);
  registerAuth(plain, c.auth);
  // After auth: an unauthenticated write still gets 401, not 503.
  registerMaintenanceGuard(plain, c.maintenance);

  app.addHook('onResponse', async (req, reply) => {
    c.metrics.httpInFlight.dec();
    // Route template, never the raw URL: label values stay bounded.
    const route = req.routeOptions.url ?? 'unmatched';
    if (refusedForMaintenance(req)) c.metrics.maintenanceRefusals.inc({ method: req.method });
    else c.metrics.httpDuration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode === 401) c.metrics.authFailures.inc({ kind: req.url.startsWith('/api/v1/auth/login') ? 'password' : 'credential' });
  });

  await app.register(healthRoutes, { c });
  await app.register(metricsRoutes, { c });
  await app.register(statusRoutes, { c });
  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  app.get('/setup', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(SETUP_PAGE));
  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ name: 'finhub', version: VERSION, docs: '/api/docs', openapi: '/api/openapi.json', health: '/health/ready' }));

  await app.register(
    async (api) => {
      await api.register(authRoutes, { c });
      await api.register(ledgersRoutes, { c });
      await api.register(catalogRoutes, { c });
      await api.register(transactionsRoutes, { c });
      await api.register(importsRoutes, { c });
      await api.register(incidentsRoutes, { c });
      await api.register(maintenanceRoutes, { c });
      await api.register(reportsRoutes, { c });
      await api.register(rulesRoutes, { c });
      await api.register(moneyRoutes, { c });
      await api.register(ledgerReportsRoutes, { c });
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return plain;
}
