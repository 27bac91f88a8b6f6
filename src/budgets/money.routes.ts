// /api/v1 routes of issue 6, part "money" (registered in src/http/app.ts):
// exchange rates and net worth (src/fx), budgets (src/budgets).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../app/container.ts';
import { fxRoutes } from '../fx/fx.routes.ts';
import { budgetsRoutes } from './budgets.routes.ts';

export const moneyRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  await app.register(fxRoutes, { c });
  await app.register(budgetsRoutes, { c });
};
