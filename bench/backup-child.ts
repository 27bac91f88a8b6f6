// One measured backup step, in a process of its own so that its peak RSS is
// the step's alone. Started by bench/backup.ts:
//
//   node bin/run-ts.js bench/backup-child.ts '<json job>'
//
// Modes, each through the same code the CLI and the scheduler use:
//   open     open the database and build the container, nothing else (the engine's memory floor)
//   read     the snapshot read alone: every table page by page in one repeatable-read
//            transaction, rows encoded as in an archive, no compression or encryption
//   create   c.backups.create()                  (finhub backup create)
//   verify   c.backups.verify(id, 3)             (finhub backup verify ID --level 3; scratch database)
//   restore  c.backups.restore(id, configured)   (finhub backup restore ID into the configured, empty database)
// Prints one JSON line (BackupChildResult) on stdout; anything else goes to stderr.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import pino from 'pino';
import { createContainer } from '../src/app/container.ts';
import { listTables, query } from '../src/backup/introspect.ts';
import { fixTextOutput, planDump, tablePages } from '../src/backup/snapshot.ts';
import { loadConfig } from '../src/config/config.ts';
import { createDb } from '../src/db/create-db.ts';
import { migrateUp } from '../src/db/migrator.ts';
import { createLogger } from '../src/ops/logs/logger.ts';

export interface BackupChildJob {
  mode: 'open' | 'read' | 'create' | 'verify' | 'restore';
  engine: 'postgres' | 'pglite';
  /** The database the container opens (the source; for restore: the empty target). */
  databaseUrl?: string;
  dataDir?: string;
  backupDir: string;
  recipient: string;
  identityFile: string;
  id?: string;
}

export interface BackupChildResult {
  mode: BackupChildJob['mode'];
  seconds: number;
  /** Peak resident set size of this process, MiB (getrusage maxrss) and /proc VmHWM. */
  peak_rss_mib: number;
  vm_hwm_mib: number | null;
  /**
   * CPU seconds the step consumed: this process (Node, and PGlite inside it) and,
   * on PostgreSQL, the server backends working for it (read from /proc while it
   * runs). Unlike wall time, this does not depend on how busy the machine is.
   */
  cpu_seconds: { node: number; postgres: number | null };
  /** Progress lines with their time since the start of the step (seconds). */
  timeline: { t: number; line: string }[];
  id?: string;
  archive_bytes?: number;
  rows?: number;
  /** Bytes of row text the snapshot read produced (read mode). */
  text_bytes?: number;
  ok?: boolean;
  problems?: string[];
  detail?: Record<string, unknown>;
}

const job = JSON.parse(process.argv[2] ?? '{}') as BackupChildJob;
const APP = `finhub-bench-backup-${job.mode}`;

/**
 * Samples the CPU time of the PostgreSQL backends serving this step: its own
 * connections (by application name) and the scratch database of a level 3
 * verification (named in the progress lines). Same machine only (/proc).
 */
function backendCpu(url: string, scratch: () => string | undefined) {
  const tick = (() => {
    try {
      return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      return 100;
    }
  })();
  const seen = new Map<number, number>();
  const client = new pg.Client({ connectionString: url, application_name: 'finhub-bench-sampler' });
  let running = true;
  const sample = async () => {
    const r = await client.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 or (datname = $2 and $2 is not null)', [APP, scratch() ?? null]);
    for (const { pid } of r.rows) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        seen.set(pid, Math.max(seen.get(pid) ?? 0, (Number(f[11]) + Number(f[12])) / tick));
      } catch {
        // ended between the query and the read, or another machine
      }
    }
  };
  const loop = (async () => {
    await client.connect();
    while (running) {
      await sample().catch(() => {});
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop(): Promise<number | null> {
      await sample().catch(() => {});
      running = false;
      await loop.catch(() => {});
      await client.end().catch(() => {});
      return seen.size ? Number([...seen.values()].reduce((a, b) => a + b, 0).toFixed(2)) : null;
    },
  };
}

function vmHwmMib(): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number((Number(m[1]) / 1024).toFixed(1)) : null;
  } catch {
    return null;
  }
}

async function main(): Promise<BackupChildResult> {
  const db = await createDb(job.engine === 'postgres' ? { databaseUrl: job.databaseUrl, poolSize: 4, statementTimeoutMs: 0, applicationName: APP } : { dataDir: job.dataDir });
  const config = loadConfig({
    FINHUB_ENV: 'production',
    LOG_LEVEL: 'warn',
    FINHUB_JOBS_WORKER: 'false',
    FINHUB_SCHEDULER: 'false',
    FINHUB_LOG_FILE: 'off',
    FINHUB_BACKUP_DIR: job.backupDir,
    FINHUB_BACKUP_RECIPIENTS: job.recipient,
    FINHUB_BACKUP_IDENTITY_FILE: job.identityFile,
    ...(job.databaseUrl ? { DATABASE_URL: job.databaseUrl, DATABASE_STATEMENT_TIMEOUT_MS: '0' } : { FINHUB_DATA_DIR: job.dataDir }),
  });
  const c = await createContainer(config, { db, logger: createLogger(config, pino.destination({ dest: '/dev/null', sync: true })) });
  const timeline: { t: number; line: string }[] = [];
  let scratchDb: string | undefined;
  const sampler = job.engine === 'postgres' ? backendCpu(job.databaseUrl!, () => scratchDb) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const progress = (line: string) => {
    scratchDb ??= /scratch database (\S+) on PostgreSQL/.exec(line)?.[1];
    timeline.push({ t: Number(((performance.now() - t0) / 1000).toFixed(3)), line });
  };
  const finish = async (extra: Partial<BackupChildResult>): Promise<BackupChildResult> => {
    const wall = (performance.now() - t0) / 1000;
    const cpuNode = process.cpuUsage(cpu0);
    const pgCpu = (await sampler?.stop()) ?? null;
    return done(extra, wall, { node: Number(((cpuNode.user + cpuNode.system) / 1e6).toFixed(2)), postgres: pgCpu });
  };
  const done = (extra: Partial<BackupChildResult>, wall: number, cpu: BackupChildResult['cpu_seconds']): BackupChildResult => ({
    mode: job.mode,
    seconds: wall,
    cpu_seconds: cpu,
    peak_rss_mib: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    vm_hwm_mib: vmHwmMib(),
    timeline,
    ...extra,
  });
  try {
    switch (job.mode) {
      case 'open': {
        await query(db.kysely, 'select count(*) from transactions');
        return await finish({});
      }
      case 'read': {
        let rows = 0;
        let bytes = 0;
        await db.kysely.connection().execute(async (conn) => {
          await query(conn, 'begin isolation level repeatable read read only');
          try {
            await fixTextOutput(conn);
            const { dump } = planDump(await listTables(conn));
            for (const t of dump) {
              let n = 0;
              for await (const page of tablePages(conn, t)) {
                n += page.rows;
                bytes += Buffer.byteLength(page.text);
              }
              rows += n;
              if (n > 0) progress(`  ${t.info.name}: ${n} rows`);
            }
          } finally {
            await query(conn, 'rollback');
          }
        });
        return await finish({ rows, text_bytes: bytes });
      }
      case 'create': {
        const b = await c.backups.create({ note: 'benchmark', onProgress: progress });
        return await finish({ id: b.id, archive_bytes: b.size, rows: b.manifest.tables.reduce((a, t) => a + t.rows, 0) });
      }
      case 'verify': {
        const r = await c.backups.verify(job.id!, 3, { onProgress: progress });
        return await finish({ ok: r.ok, problems: r.problems, rows: r.restore?.rows, detail: { restore_seconds: r.restore?.seconds ?? null, scratch: r.scratch ?? null, steps: r.steps } });
      }
      case 'restore': {
        // The target is the configured database, empty as after a loss; the schema comes from the restore itself.
        if (job.engine === 'pglite') await migrateUp(db);
        const r = await c.backups.restore(job.id!, { kind: 'configured' }, { onProgress: progress });
        return await finish({ ok: true, rows: r.rows, detail: { seconds: r.seconds, migrations_applied: r.migrationsApplied } });
      }
      default:
        throw new Error(`unknown mode ${String(job.mode)}`);
    }
  } finally {
    await sampler?.stop();
    await db.close();
  }
}

try {
  const r = await main();
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`backup child failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
