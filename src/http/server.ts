// Listens, prints the first-run setup instructions, and drains on SIGTERM:
// readiness fails first (for FINHUB_SHUTDOWN_DELAY_MS), then the listener closes
// and in-flight requests finish (bounded by FINHUB_SHUTDOWN_TIMEOUT_MS), then the
// worker, the control socket and the database close.
import type { FastifyInstance } from 'fastify';
import { createContainer, type Container } from '../app/container.ts';
import type { Config } from '../config/config.ts';
import { acquireDataDirLock } from '../db/data-dir-lock.ts';
import { backupBeforeMigrating } from '../backup/pre-migrate.ts';
import { migrateUp, pendingMigrations } from '../db/migrator.ts';
import { openServerLogger, type ServerLogger } from '../ops/logs/log-file.ts';
import { buildApp } from './app.ts';

export interface RunningServer {
  app: FastifyInstance;
  c: Container;
  url: string;
  /** Drains and stops; resolves when everything is closed. */
  stop(reason?: string): Promise<void>;
}

export class StartupError extends Error {}

export interface ServerHooks {
  /** Called after listen with the container (control socket, jobs). Returns a closer. */
  afterListen?: (c: Container) => Promise<() => Promise<void>>;
  print?: (line: string) => void;
}

export async function startServer(config: Config, hooks: ServerHooks = {}): Promise<RunningServer> {
  const print = hooks.print ?? ((l: string) => process.stderr.write(l + '\n'));
  const embedded = !config.databaseUrl;
  const lock = embedded ? acquireDataDirLock(config.dataDir) : undefined;
  let c: Container | undefined;
  let logs: ServerLogger | undefined;
  try {
    // stdout plus the rotated log file (FINHUB_LOG_FILE); only the server writes the file.
    logs = openServerLogger(config);
    c = await createContainer(config, { logger: logs.logger });
    if (embedded) {
      // An upgraded finhub migrates its embedded database on start: back it up first (when backups are configured).
      await backupBeforeMigrating(c, (line) => {
        c!.logger.info(line);
        print(line);
      });
      const applied = await migrateUp(c.db);
      for (const m of applied) c.logger.info({ migration: m.migrationName }, 'migration applied');
    } else {
      const pending = await pendingMigrations(c.db);
      if (pending.length) {
        throw new StartupError(`the database has ${pending.length} pending migration(s): ${pending.join(', ')}. Apply them first with: DATABASE_URL=… npx finhub migrate up`);
      }
    }
    const app = await buildApp(c);
    const address = await app.listen({ host: config.host, port: config.port });
    const closeExtras = hooks.afterListen ? await hooks.afterListen(c) : async () => {};
    const url = address.replace('0.0.0.0', '127.0.0.1');
    c.logger.info({ url, engine: c.db.engine, dataDir: embedded ? config.dataDir : undefined }, 'finhub listening');
    print(`finhub listening on ${url} (${embedded ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`);

    const setupToken = await c.auth.issueSetupToken();
    if (setupToken) {
      print('');
      print('  No users yet. Create the first (admin) user with this one-time setup token:');
      print(`    ${setupToken}`);
      print(`  Browser: ${url}/setup`);
      print('  Or:');
      print(`    curl -X POST ${url}/api/v1/setup -H 'content-type: application/json' \\`);
      print(`      -d '{"token":"${setupToken}","email":"you@example.com","password":"at-least-10-chars"}'`);
      print('  The token stops working once the first user exists; a restart issues a new one until then.');
      print('');
    }

    let stopping: Promise<void> | undefined;
    const container = c;
    const serverLogs = logs;
    const stop = (reason = 'stop') =>
      (stopping ??= (async () => {
        container.logger.info({ reason, delayMs: config.shutdownDelayMs }, 'draining: readiness now fails');
        container.state.draining = true;
        if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
        const timer = setTimeout(() => {
          container.logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time; closing connections');
          app.server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        await app.close(); // stops accepting, waits for in-flight requests
        clearTimeout(timer);
        await closeExtras();
        await container.close();
        lock?.release();
        container.logger.info('finhub stopped');
        await serverLogs.close();
      })());
    return { app, c, url, stop };
  } catch (e) {
    await c?.close().catch(() => {});
    lock?.release();
    await logs?.close();
    throw e;
  }
}
