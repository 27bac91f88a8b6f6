// /api/v1 routes of issue 6, part "reports" (registered in src/http/app.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';

export const ledgerReportsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (_app, _opts) => {};
