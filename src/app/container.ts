// The composition root: the one place where config, database, logger, metrics
// and services are created and wired. HTTP, CLI and tests all start here.
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { createAuthService } from '../auth/auth.service.ts';
import type { Config } from '../config/config.ts';
import { createDb, type Db } from '../db/create-db.ts';
import { createAccountsService } from '../ledger/accounts.service.ts';
import { createCategoriesService } from '../ledger/categories.service.ts';
import { createLedgersService } from '../ledger/ledgers.service.ts';
import { createPayeesService } from '../ledger/payees.service.ts';
import { createTransactionsService } from '../ledger/transactions.service.ts';
import { createFxService } from '../fx/fx.service.ts';
import { createBudgetsService } from '../budgets/budgets.service.ts';
import { createLogger } from '../ops/logs/logger.ts';
import { createMetrics, type Metrics } from '../ops/metrics/metrics.ts';
import { createIncidentsService } from '../ops/incidents/incidents.service.ts';
import { registerIncidentMetrics } from '../ops/incidents/incidents.metrics.ts';
import { createMaintenanceService } from '../ops/maintenance/maintenance.service.ts';
import { registerOpsGauges } from '../ops/metrics/ops-gauges.ts';
import { createBackupService } from '../backup/backup.service.ts';
import { createOffsiteService } from '../backup/offsite/offsite.service.ts';
import { createImportsService } from '../imports/flow/imports.service.ts';
import { createImportMetrics } from '../imports/flow/imports.metrics.ts';
import { withImportRules } from '../rules/import-hook.ts';
import { createRulesService } from '../rules/rules.service.ts';
import { createReportsService } from '../reports/reports.service.ts';
import { createRecurringService } from '../recurring/recurring.service.ts';
import { VERSION } from './version.ts';

export { VERSION };

export interface ContainerOptions {
  /** Use this database instead of opening one from config (tests). */
  db?: Db;
  logger?: Logger;
}

export async function createContainer(config: Config, opts: ContainerOptions = {}) {
  const logger = opts.logger ?? createLogger(config);
  const metrics: Metrics = createMetrics();
  const db =
    opts.db ??
    (await createDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
      poolSize: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      onQuery: (e) => metrics.dbQueryDuration.observe({ outcome: e.level === 'error' ? 'error' : 'ok' }, e.queryDurationMillis / 1000),
    }));
  // worker: set by startJobs when this process runs one (health reports it).
  const state: { draining: boolean; startedAt: Date; worker?: { readonly running: number; readonly started: boolean } } = { draining: false, startedAt: new Date() };

  metrics.buildInfo.set({ version: VERSION, engine: db.engine }, 1);
  registerDbGauges(metrics, db);
  registerOpsGauges(metrics, { db, config });

  const auth = createAuthService({ db, sessionTtlHours: config.sessionTtlHours });
  const incidents = createIncidentsService({ db });
  const maintenance = createMaintenanceService({ db, logger });
  registerIncidentMetrics(metrics.registry, { incidents, maintenance });
  const backups = createBackupService({ config, db, logger, metrics, version: VERSION });
  // Offsite copies (FINHUB_BACKUP_OFFSITE_DIR, FINHUB_BACKUP_S3_*): hooked into backup create and prune.
  const offsite = createOffsiteService({ config, db, logger, metrics, backups });
  // Categorisation rules (src/rules): also the rules step of imports and of new manual transactions.
  const rules = createRulesService({ db });
  const container = {
    config,
    logger,
    metrics,
    db,
    state,
    auth,
    ledgers: createLedgersService({ db }),
    accounts: createAccountsService({ db }),
    categories: createCategoriesService({ db }),
    payees: createPayeesService({ db }),
    transactions: createTransactionsService({ db, afterCreate: rules.afterManualCreate }),
    rules,
    // Exchange rates, conversion, net worth (src/fx) and envelope budgets (src/budgets).
    fx: createFxService({ db }),
    budgets: createBudgetsService({ db }),
    incidents,
    maintenance,
    backups,
    offsite,
    // Statement imports, with the ledger's rules run on each row before commit.
    imports: withImportRules(createImportsService({ db, config, metrics: createImportMetrics(metrics.registry) }), { db }),
    // Ledger reports over monthly rollups (src/reports, docs/reports.md).
    reports: createReportsService({ db }),
    // Recurring bills: detection, schedules, upcoming list and alerts (src/recurring).
    recurring: createRecurringService({ db }),
    async close() {
      await db.close();
    },
  };
  return container;
}

export type Container = Awaited<ReturnType<typeof createContainer>>;

function registerDbGauges(metrics: Metrics, db: Db) {
  const registers = [metrics.registry];
  new Gauge({
    name: 'finhub_db_pool_connections',
    help: 'Database connections by state (idle, in_use) and the configured maximum (max).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const s = db.poolStats();
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'in_use' }, s.total - s.idle);
      this.set({ state: 'max' }, s.max);
    },
  });
  new Gauge({ name: 'finhub_db_pool_waiting_requests', help: 'Queries waiting for a free database connection.', registers, collect() { this.set(db.poolStats().waiting); } });

  // Business gauges are counted at most once a minute: a scrape must stay cheap.
  let cached: { at: number; users: number; ledgers: number; transactions: number } | undefined;
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    if (cached && Date.now() - cached.at < 60_000) return;
    pending ??= (async () => {
      try {
        const k = db.kysely;
        const [u, l, t] = await Promise.all([
          k.selectFrom('users').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow(),
          k.selectFrom('ledgers').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow(),
          k.selectFrom('transactions').select((eb) => eb.fn.countAll<bigint>().as('n')).where('parent_id', 'is', null).executeTakeFirstOrThrow(),
        ]);
        cached = { at: Date.now(), users: Number(u.n), ledgers: Number(l.n), transactions: Number(t.n) };
      } catch {
        // Leave the last values; /health/ready reports database trouble.
      } finally {
        pending = undefined;
      }
    })();
    await pending;
  };
  for (const [name, help, key] of [
    ['finhub_users', 'Registered users.', 'users'],
    ['finhub_ledgers', 'Ledgers.', 'ledgers'],
    ['finhub_transactions', 'Top-level transactions in all ledgers.', 'transactions'],
  ] as const) {
    new Gauge({ name, help, registers, async collect() { await refresh(); if (cached) this.set(cached[key]); } });
  }
}
