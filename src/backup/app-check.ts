// Level 4 of verification: the application itself starts on the restored
// database and serves requests. Built with the real container and Fastify app
// (imported lazily: the container imports the backup module), answered through
// app.inject, never listening on a port.
import type { Db } from '../db/create-db.ts';

export async function appStartsOn(db: Db): Promise<string> {
  const [{ createContainer }, { buildApp }, { loadConfig }] = await Promise.all([
    import('../app/container.ts'),
    import('../http/app.ts'),
    import('../config/config.ts'),
  ]);
  const config = loadConfig({ FINHUB_ENV: 'production', LOG_LEVEL: 'silent', FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false', FINHUB_LOG_FILE: 'off' });
  // The scratch database belongs to the caller: this container must not close it.
  const borrowed: Db = { ...db, close: async () => {} };
  const c = await createContainer(config, { db: borrowed });
  const app = await buildApp(c);
  try {
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    if (ready.statusCode !== 200) throw new Error(`/health/ready answered ${ready.statusCode}: ${ready.body.slice(0, 300)}`);
    const owner = await db.kysely
      .selectFrom('ledger_members')
      .innerJoin('users', 'users.id', 'ledger_members.user_id')
      .select(['users.id', 'users.is_admin'])
      .where('ledger_members.role', '=', 'owner')
      .where('users.disabled_at', 'is', null)
      .orderBy('users.created_at')
      .limit(1)
      .executeTakeFirst();
    if (!owner) return 'the application starts and /health/ready passes (no ledger owner to read as)';
    // A fresh token for a ledger owner (scratch data only), then a real authenticated read.
    const token = await c.auth.createToken({ userId: owner.id, isAdmin: owner.is_admin, via: 'cli' }, { name: 'backup-verify' });
    const res = await app.inject({ method: 'GET', url: '/api/v1/ledgers', headers: { authorization: `Bearer ${token.token}` } });
    if (res.statusCode !== 200) throw new Error(`GET /api/v1/ledgers as a ledger owner answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    const body = JSON.parse(res.body) as { items?: unknown[] } | unknown[];
    const n = Array.isArray(body) ? body.length : Array.isArray(body.items) ? body.items.length : 0;
    if (n === 0) throw new Error('GET /api/v1/ledgers as a ledger owner listed no ledgers');
    return `the application starts, /health/ready passes and a ledger owner's API request lists ${n} ledger(s)`;
  } finally {
    await app.close();
  }
}
