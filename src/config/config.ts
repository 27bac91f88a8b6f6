// Every environment variable finhub reads is declared here, parsed once at boot
// into a frozen object. A wrong value stops the process with a message naming the
// variable and what is allowed. README's config table is checked against this list.
import { resolve } from 'node:path';

export interface Config {
  readonly env: 'production' | 'development' | 'test';
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly databaseStatementTimeoutMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly sessionTtlHours: number;
  readonly cookieSecure: 'auto' | 'true' | 'false';
  readonly trustProxy: boolean;
  readonly bodyLimitBytes: number;
  readonly readyCacheMs: number;
  readonly readyTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly shutdownDelayMs: number;
  readonly jobsWorker: boolean;
  readonly jobsConcurrency: number;
  readonly jobsPollMs: number;
  readonly jobsVisibilityTimeoutMs: number;
  readonly schedulerEnabled: boolean;
}

interface VarSpec<K extends keyof Config> {
  name: string;
  key: K;
  default: string | undefined;
  allowed: string;
  description: string;
  parse: (raw: string) => Config[K] | undefined;
}

const int = (min: number, max: number) => (raw: string) => {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= min && n <= max ? n : undefined;
};
const bool = (raw: string) => (['1', 'true', 'yes', 'on'].includes(raw) ? true : ['0', 'false', 'no', 'off'].includes(raw) ? false : undefined);
const oneOf = <T extends string>(...values: T[]) => (raw: string) => (values.includes(raw as T) ? (raw as T) : undefined);

function v<K extends keyof Config>(spec: VarSpec<K>): VarSpec<K> {
  return spec;
}

export const CONFIG_VARS = [
  v({ name: 'FINHUB_ENV', key: 'env', default: 'production', allowed: 'production | development | test', description: 'Run mode. In production the readiness output does not include raw database error text.', parse: oneOf('production', 'development', 'test') }),
  v({ name: 'HOST', key: 'host', default: '127.0.0.1', allowed: 'an IP address or host name', description: 'Address the HTTP server binds to.', parse: (r) => (/^[A-Za-z0-9.:\-[\]]+$/.test(r) ? r : undefined) }),
  v({ name: 'PORT', key: 'port', default: '8080', allowed: 'integer 0-65535', description: 'HTTP port (0 picks a free port).', parse: int(0, 65535) }),
  v({ name: 'FINHUB_DATA_DIR', key: 'dataDir', default: './data', allowed: 'a directory path', description: 'Embedded database (PGlite), lock file and control socket live here.', parse: (r) => (r.length > 0 ? resolve(r) : undefined) }),
  v({ name: 'DATABASE_URL', key: 'databaseUrl', default: undefined, allowed: 'postgres://… or postgresql://… (unset = embedded PGlite)', description: 'Use PostgreSQL instead of the embedded database.', parse: (r) => (/^postgres(ql)?:\/\//.test(r) ? r : undefined) }),
  v({ name: 'DATABASE_POOL_SIZE', key: 'databasePoolSize', default: '10', allowed: 'integer 1-200', description: 'Maximum PostgreSQL connections in the pool.', parse: int(1, 200) }),
  v({ name: 'DATABASE_STATEMENT_TIMEOUT_MS', key: 'databaseStatementTimeoutMs', default: '30000', allowed: 'integer 0-3600000 (0 = none)', description: 'PostgreSQL statement_timeout for every pooled connection.', parse: int(0, 3_600_000) }),
  v({ name: 'LOG_LEVEL', key: 'logLevel', default: 'info', allowed: 'fatal | error | warn | info | debug | trace | silent', description: 'pino log level (JSON lines on stdout).', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
  v({ name: 'FINHUB_SESSION_TTL_HOURS', key: 'sessionTtlHours', default: '720', allowed: 'integer 1-8760', description: 'Lifetime of a browser login session.', parse: int(1, 8760) }),
  v({ name: 'FINHUB_COOKIE_SECURE', key: 'cookieSecure', default: 'auto', allowed: 'auto | true | false', description: 'Secure flag on the session cookie; auto = set when the request came over HTTPS.', parse: oneOf('auto', 'true', 'false') }),
  v({ name: 'FINHUB_TRUST_PROXY', key: 'trustProxy', default: 'false', allowed: 'true | false', description: 'Trust X-Forwarded-* headers from a reverse proxy.', parse: bool }),
  v({ name: 'FINHUB_BODY_LIMIT_BYTES', key: 'bodyLimitBytes', default: '1048576', allowed: 'integer 1024-104857600', description: 'Largest accepted JSON request body.', parse: int(1024, 104_857_600) }),
  v({ name: 'FINHUB_READY_CACHE_MS', key: 'readyCacheMs', default: '2000', allowed: 'integer 0-60000', description: 'How long /health/ready reuses its last database check.', parse: int(0, 60_000) }),
  v({ name: 'FINHUB_READY_TIMEOUT_MS', key: 'readyTimeoutMs', default: '1000', allowed: 'integer 50-30000', description: 'Database check timeout for /health/ready.', parse: int(50, 30_000) }),
  v({ name: 'FINHUB_SHUTDOWN_TIMEOUT_MS', key: 'shutdownTimeoutMs', default: '10000', allowed: 'integer 0-300000', description: 'On SIGTERM, how long in-flight requests may take before the process exits anyway.', parse: int(0, 300_000) }),
  v({ name: 'FINHUB_SHUTDOWN_DELAY_MS', key: 'shutdownDelayMs', default: '0', allowed: 'integer 0-120000', description: 'On SIGTERM, how long /health/ready reports fail (while still serving) before the server stops accepting requests; set it to your load balancer\'s probe interval.', parse: int(0, 120_000) }),
  v({ name: 'FINHUB_JOBS_WORKER', key: 'jobsWorker', default: 'true', allowed: 'true | false', description: 'Run the background job worker inside `finhub serve`.', parse: bool }),
  v({ name: 'FINHUB_JOBS_CONCURRENCY', key: 'jobsConcurrency', default: '2', allowed: 'integer 1-64', description: 'Jobs one worker process runs at once.', parse: int(1, 64) }),
  v({ name: 'FINHUB_JOBS_POLL_MS', key: 'jobsPollMs', default: '1000', allowed: 'integer 10-60000', description: 'How often an idle worker looks for due jobs.', parse: int(10, 60_000) }),
  v({ name: 'FINHUB_JOBS_VISIBILITY_TIMEOUT_MS', key: 'jobsVisibilityTimeoutMs', default: '300000', allowed: 'integer 1000-86400000', description: 'A leased job not finished or extended within this time is handed to another worker (crash recovery).', parse: int(1000, 86_400_000) }),
  v({ name: 'FINHUB_SCHEDULER', key: 'schedulerEnabled', default: 'true', allowed: 'true | false', description: 'Enqueue cron-scheduled jobs from this process.', parse: bool }),
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (all problems at once), returning a frozen Config. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const spec of CONFIG_VARS) {
    const raw = env[spec.name];
    const value = raw === undefined || raw === '' ? spec.default : raw;
    if (value === undefined) {
      out[spec.key] = undefined;
      continue;
    }
    const parsed = (spec.parse as (r: string) => unknown)(value);
    if (parsed === undefined) {
      problems.push(`${spec.name}=${JSON.stringify(raw)} is not valid; allowed: ${spec.allowed}`);
      continue;
    }
    out[spec.key] = parsed;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...(out as unknown as Config), ...overrides });
}
