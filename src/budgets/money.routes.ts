// /api/v1 routes of issue 6, part "money" (registered in src/http/app.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';

export const moneyRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (_app, _opts) => {};
