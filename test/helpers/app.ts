// A real app on a real (fresh) database, driven with app.inject().
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createContainer, type Container } from '../../src/app/container.ts';
import { loadConfig } from '../../src/config/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/ops/logs/logger.ts';
import { createTestDb, type TestDb } from './db.ts';

export interface TestApp {
  app: FastifyInstance;
  c: Container;
  tdb: TestDb;
  close(): Promise<void>;
  /** Creates a user and a personal access token; returns auth headers for it. */
  user(email?: string, opts?: { admin?: boolean }): Promise<{ id: string; email: string; token: string; headers: Record<string, string> }>;
  req(opts: InjectOptions & { token?: string }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
}

let seq = 0;

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const tdb = await createTestDb();
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', FINHUB_ENV: 'test', FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false', ...env });
  const c = await createContainer(config, { db: tdb.db, logger: createLogger(config) });
  const app = await buildApp(c);
  const t: TestApp = {
    app,
    c,
    tdb,
    async close() {
      await app.close();
      await tdb.cleanup();
    },
    async user(email, opts = {}) {
      const e = email ?? `user${++seq}-${Math.random().toString(36).slice(2, 8)}@example.com`;
      const u = await c.auth.createUser(null, { email: e, password: 'correct horse battery', isAdmin: opts.admin ?? false });
      const tok = await c.auth.createToken({ userId: u.id, isAdmin: u.is_admin, via: 'cli' }, { name: 'test' });
      return { id: u.id, email: e, token: tok.token, headers: { authorization: `Bearer ${tok.token}` } };
    },
    async req(opts) {
      const { token, ...rest } = opts;
      const res = await app.inject({ ...rest, headers: { ...(rest.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } } as InjectOptions);
      let body: unknown = res.body;
      try {
        body = res.body ? JSON.parse(res.body) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body, headers: res.headers as Record<string, unknown> };
    },
  };
  return t;
}
