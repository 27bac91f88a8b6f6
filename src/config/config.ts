// Every environment variable finhub reads is declared here, parsed once at boot
// into a frozen object. A wrong value stops the process with a message naming the
// variable and what is allowed. README's config table is checked against this list.
import { resolve } from 'node:path';
import { parseCron } from '../jobs/cron.ts';

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
  readonly redisUrl: string | undefined;
  readonly commit: string | undefined;
  /** 'on' (<dataDir>/logs/finhub.log), 'off', or an absolute file path. */
  readonly logFile: string;
  readonly logMaxSizeBytes: number;
  readonly logMaxFiles: number;
  readonly jobsRetentionDays: number;
  // incidents, status page, watchdog and notifications
  readonly alertmanagerToken: string | undefined;
  readonly statusPageName: string;
  readonly watchdogEnabled: boolean;
  readonly watchdogIntervalSeconds: number;
  readonly notifyWebhookUrl: string | undefined;
  readonly notifyWebhookSecret: string | undefined;
  readonly notifySlackUrl: string | undefined;
  readonly notifySmtpUrl: string | undefined;
  readonly notifyEmailTo: string | undefined;
  readonly notifyEmailFrom: string | undefined;
  // backups (src/backup/)
  readonly backupDir: string | undefined;
  readonly backupRecipients: readonly string[] | undefined;
  readonly backupRecipientsFile: string | undefined;
  readonly backupIdentityFile: string | undefined;
  readonly backupSchedule: string;
  readonly backupVerifySchedule: string;
  readonly backupVerifyLevel: number;
  readonly backupDrillSchedule: string;
  readonly backupPruneSchedule: string;
  readonly backupKeepAllDays: number;
  readonly backupKeepDailyDays: number;
  readonly backupKeepWeeklyWeeks: number;
  readonly backupKeepMonthlyMonths: number;
  // offsite backup copies (src/backup/offsite/)
  readonly backupOffsiteDir: string | undefined;
  readonly backupS3Url: string | undefined;
  readonly backupS3Bucket: string | undefined;
  /** '' (bucket root) or a prefix ending in '/'. */
  readonly backupS3Prefix: string;
  readonly backupS3Region: string;
  readonly backupS3AccessKeyId: string | undefined;
  readonly backupS3SecretAccessKey: string | undefined;
  readonly backupS3ForcePathStyle: 'auto' | 'true' | 'false';
  // statement imports (src/imports/)
  readonly importMaxBytes: number;
  readonly importDedupeWindowDays: number;
  readonly importPreviewTtlHours: number;
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

const byteSize = (min: number, max: number) => (raw: string) => {
  const m = /^(\d+)([KMG]?)$/i.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]) * 1024 ** ['', 'K', 'M', 'G'].indexOf(m[2]!.toUpperCase());
  return n >= min && n <= max ? n : undefined;
};
const logFileSetting = (raw: string) => {
  const on = bool(raw);
  if (on !== undefined) return on ? 'on' : 'off';
  return raw.length > 0 && !raw.endsWith('/') ? resolve(raw) : undefined;
};

const ageRecipients = (raw: string): readonly string[] | undefined => {
  const list = raw.split(/[\s,]+/).filter((x) => x.length > 0);
  return list.length > 0 && list.every((x) => /^age1[02-9ac-hj-np-z]{58}$/.test(x)) ? Object.freeze(list) : undefined;
};
const cronOrOff = (raw: string) => {
  if (raw.trim() === 'off') return 'off';
  try {
    parseCron(raw);
    return raw.trim();
  } catch {
    return undefined;
  }
};

const httpUrl = (raw: string) => (/^https?:\/\/\S+$/.test(raw) && URL.canParse(raw) ? raw : undefined);

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
  v({ name: 'REDIS_URL', key: 'redisUrl', default: undefined, allowed: 'redis://[user:password@]host[:port][/db] or rediss://… (unset = in-process cache)', description: 'Redis server; when set, /health/cache and /health/ready check it with PING.', parse: (r) => (/^rediss?:\/\/[^\s]+$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_COMMIT', key: 'commit', default: undefined, allowed: 'a git commit id (7-64 hex digits)', description: 'Commit shown by /api/health/detailed and finhub doctor; unset = read from .git at start if present.', parse: (r) => (/^[0-9a-f]{7,64}$/i.test(r) ? r.toLowerCase() : undefined) }),
  v({ name: 'FINHUB_LOG_FILE', key: 'logFile', default: 'on', allowed: 'on | off | a file path', description: '`finhub serve` also writes its JSON log lines to this file, rotated by size and gzip-compressed; on = <data dir>/logs/finhub.log.', parse: logFileSetting }),
  v({ name: 'FINHUB_LOG_MAX_SIZE', key: 'logMaxSizeBytes', default: '100M', allowed: 'bytes with optional K, M or G suffix, 1K-10G', description: 'Size at which the log file is rotated (compressed to <file>.<time>-<n>.gz).', parse: byteSize(1024, 10 * 1024 ** 3) }),
  v({ name: 'FINHUB_LOG_MAX_FILES', key: 'logMaxFiles', default: '10', allowed: 'integer 1-1000', description: 'Rotated log files kept; older ones are deleted.', parse: int(1, 1000) }),
  v({ name: 'FINHUB_JOBS_RETENTION_DAYS', key: 'jobsRetentionDays', default: '30', allowed: 'integer 1-3650', description: 'The weekly maintenance job deletes finished jobs older than this.', parse: int(1, 3650) }),
  v({ name: 'FINHUB_ALERTMANAGER_TOKEN', key: 'alertmanagerToken', default: undefined, allowed: '16-200 characters without spaces (unset = webhook disabled)', description: 'Bearer token Alertmanager must send to `POST /api/v1/ops/alertmanager` (its `http_config.authorization.credentials`).', parse: (r) => (/^\S{16,200}$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_STATUS_PAGE_NAME', key: 'statusPageName', default: 'finhub', allowed: '1-100 characters', description: 'Name shown on the public status page (`/status`, `/status.json`).', parse: (r) => (r.trim().length >= 1 && r.length <= 100 ? r.trim() : undefined) }),
  v({ name: 'FINHUB_WATCHDOG', key: 'watchdogEnabled', default: 'true', allowed: 'true | false', description: '`finhub serve` evaluates the alerts of ops/slo.yaml from its own metrics, opens and resolves incidents and sends notifications. Set false when Prometheus and Alertmanager do this.', parse: bool }),
  v({ name: 'FINHUB_WATCHDOG_INTERVAL_SECONDS', key: 'watchdogIntervalSeconds', default: '30', allowed: 'integer 1-3600', description: 'How often the watchdog samples the metrics and evaluates the alerts.', parse: int(1, 3600) }),
  v({ name: 'FINHUB_NOTIFY_WEBHOOK_URL', key: 'notifyWebhookUrl', default: undefined, allowed: 'http://… or https://… (unset = off)', description: 'The watchdog POSTs alert notifications as JSON here, signed with `X-Finhub-Signature`.', parse: (r) => httpUrl(r) }),
  v({ name: 'FINHUB_NOTIFY_WEBHOOK_SECRET', key: 'notifyWebhookSecret', default: undefined, allowed: 'at least 16 characters', description: 'HMAC-SHA256 key for `X-Finhub-Signature: t=<unix time>,v1=<hex of HMAC(secret, "<t>.<body>")>`; without it webhook notifications are sent unsigned.', parse: (r) => (r.length >= 16 ? r : undefined) }),
  v({ name: 'FINHUB_NOTIFY_SLACK_URL', key: 'notifySlackUrl', default: undefined, allowed: 'http://… or https://… (unset = off)', description: 'Slack-compatible incoming webhook for alert notifications (Slack, Mattermost, Rocket.Chat).', parse: (r) => httpUrl(r) }),
  v({ name: 'FINHUB_NOTIFY_SMTP_URL', key: 'notifySmtpUrl', default: undefined, allowed: 'smtp://[user:pass@]host[:port] or smtps://… (unset = off)', description: 'SMTP server for alert emails (needs FINHUB_NOTIFY_EMAIL_TO).', parse: (r) => (/^smtps?:\/\/\S+$/.test(r) && URL.canParse(r) ? r : undefined) }),
  v({ name: 'FINHUB_NOTIFY_EMAIL_TO', key: 'notifyEmailTo', default: undefined, allowed: 'comma-separated email addresses', description: 'Recipients of alert emails.', parse: (r) => (r.split(',').every((a) => /^[^\s@,]+@[^\s@,]+$/.test(a.trim())) ? r : undefined) }),
  v({ name: 'FINHUB_NOTIFY_EMAIL_FROM', key: 'notifyEmailFrom', default: 'finhub@localhost', allowed: 'an email address', description: 'Sender of alert emails.', parse: (r) => (/^[^\s@]+@[^\s@]+$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_BACKUP_DIR', key: 'backupDir', default: undefined, allowed: 'a directory path (unset = <FINHUB_DATA_DIR>/backups)', description: 'Where `finhub backup create` writes encrypted archives and their manifests (created with mode 0700).', parse: (r) => (r.length > 0 ? resolve(r) : undefined) }),
  v({ name: 'FINHUB_BACKUP_RECIPIENTS', key: 'backupRecipients', default: undefined, allowed: 'comma-separated age X25519 public keys (age1…)', description: 'Backups are encrypted to these keys (see `finhub backup keygen`). Without recipients (here or in the file) no backup can be made.', parse: ageRecipients }),
  v({ name: 'FINHUB_BACKUP_RECIPIENTS_FILE', key: 'backupRecipientsFile', default: undefined, allowed: 'a file path', description: 'File with more age recipients, one per line (# comments allowed), added to FINHUB_BACKUP_RECIPIENTS.', parse: (r) => (r.length > 0 ? resolve(r) : undefined) }),
  v({ name: 'FINHUB_BACKUP_IDENTITY_FILE', key: 'backupIdentityFile', default: undefined, allowed: 'a file path', description: 'age private key file, needed only to verify (level 2+), restore and drill; keep it away from the backups.', parse: (r) => (r.length > 0 ? resolve(r) : undefined) }),
  v({ name: 'FINHUB_BACKUP_SCHEDULE', key: 'backupSchedule', default: '0 */6 * * *', allowed: 'a five-field cron expression (UTC) or off', description: 'When `finhub serve` takes a backup.', parse: cronOrOff }),
  v({ name: 'FINHUB_BACKUP_VERIFY_SCHEDULE', key: 'backupVerifySchedule', default: '30 4 * * *', allowed: 'a five-field cron expression (UTC) or off', description: 'When `finhub serve` verifies the newest backup at FINHUB_BACKUP_VERIFY_LEVEL.', parse: cronOrOff }),
  v({ name: 'FINHUB_BACKUP_VERIFY_LEVEL', key: 'backupVerifyLevel', default: '3', allowed: 'integer 1-4', description: 'Level of the scheduled verification: 1 checksums, 2 decrypt and read, 3 restore into scratch and compare, 4 also ledger invariants and app start.', parse: int(1, 4) }),
  v({ name: 'FINHUB_BACKUP_DRILL_SCHEDULE', key: 'backupDrillSchedule', default: '0 5 1 * *', allowed: 'a five-field cron expression (UTC) or off', description: 'When `finhub serve` runs a restore drill (restore the newest backup into scratch, verify at level 4, record RTO and RPO).', parse: cronOrOff }),
  v({ name: 'FINHUB_BACKUP_PRUNE_SCHEDULE', key: 'backupPruneSchedule', default: '15 5 * * *', allowed: 'a five-field cron expression (UTC) or off', description: 'When `finhub serve` applies the retention policy (`finhub backup prune`).', parse: cronOrOff }),
  v({ name: 'FINHUB_BACKUP_KEEP_ALL_DAYS', key: 'backupKeepAllDays', default: '7', allowed: 'integer 0-3650', description: 'Retention: keep every backup younger than this many days.', parse: int(0, 3650) }),
  v({ name: 'FINHUB_BACKUP_KEEP_DAILY_DAYS', key: 'backupKeepDailyDays', default: '30', allowed: 'integer 0-3650', description: 'Retention: keep the newest backup of each day (UTC) for this many days.', parse: int(0, 3650) }),
  v({ name: 'FINHUB_BACKUP_KEEP_WEEKLY_WEEKS', key: 'backupKeepWeeklyWeeks', default: '12', allowed: 'integer 0-520', description: 'Retention: keep the newest backup of each ISO week for this many weeks.', parse: int(0, 520) }),
  v({ name: 'FINHUB_BACKUP_KEEP_MONTHLY_MONTHS', key: 'backupKeepMonthlyMonths', default: '24', allowed: 'integer 0-1200', description: 'Retention: keep the newest backup of each month for this many months.', parse: int(0, 1200) }),
  v({ name: 'FINHUB_BACKUP_OFFSITE_DIR', key: 'backupOffsiteDir', default: undefined, allowed: 'a directory path (unset = off)', description: 'Offsite target "offsite-dir": every new backup is also copied to this directory (e.g. a mounted NAS), checked after writing, and pruned with the same retention.', parse: (r) => (r.length > 0 ? resolve(r) : undefined) }),
  v({ name: 'FINHUB_BACKUP_S3_URL', key: 'backupS3Url', default: undefined, allowed: 'http://… or https://… (unset = AWS S3 of FINHUB_BACKUP_S3_REGION)', description: 'Endpoint of the S3-compatible service for the offsite target "s3" (MinIO, Ceph, …).', parse: (r) => httpUrl(r) }),
  v({ name: 'FINHUB_BACKUP_S3_BUCKET', key: 'backupS3Bucket', default: undefined, allowed: 'an S3 bucket name (3-63 of a-z 0-9 . -) (unset = off)', description: 'Setting it enables the offsite target "s3": every new backup is uploaded to this (existing) bucket with a checksum check, and pruned with the same retention.', parse: (r) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_BACKUP_S3_PREFIX', key: 'backupS3Prefix', default: 'finhub/', allowed: 'a key prefix of up to 200 characters; / = the bucket root', description: 'Key prefix of the backup objects in the bucket (a trailing / is added).', parse: (r) => (r === '/' ? '' : r.length <= 200 && !r.startsWith('/') && !/[\s\\]/.test(r) ? (r.endsWith('/') ? r : `${r}/`) : undefined) }),
  v({ name: 'FINHUB_BACKUP_S3_REGION', key: 'backupS3Region', default: 'us-east-1', allowed: 'a region name such as eu-central-1', description: 'Region used to sign S3 requests (S3-compatible services usually accept us-east-1).', parse: (r) => (/^[a-z0-9-]{2,40}$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_BACKUP_S3_ACCESS_KEY_ID', key: 'backupS3AccessKeyId', default: undefined, allowed: 'an access key id (unset = the AWS SDK default credentials chain)', description: 'Access key for the S3 target; set it together with FINHUB_BACKUP_S3_SECRET_ACCESS_KEY.', parse: (r) => (/^\S{1,256}$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_BACKUP_S3_SECRET_ACCESS_KEY', key: 'backupS3SecretAccessKey', default: undefined, allowed: 'the secret key of that access key', description: 'Secret of FINHUB_BACKUP_S3_ACCESS_KEY_ID. It never enters a backup, the database or a log line.', parse: (r) => (/^\S{1,256}$/.test(r) ? r : undefined) }),
  v({ name: 'FINHUB_BACKUP_S3_FORCE_PATH_STYLE', key: 'backupS3ForcePathStyle', default: 'auto', allowed: 'auto | true | false', description: 'Address the bucket as <endpoint>/<bucket> (path style) instead of <bucket>.<endpoint>; auto = path style whenever FINHUB_BACKUP_S3_URL is set, as most S3-compatible servers need.', parse: oneOf('auto', 'true', 'false') }),
  v({ name: 'FINHUB_IMPORT_MAX_BYTES', key: 'importMaxBytes', default: '52428800', allowed: 'integer 1024-1073741824', description: 'Largest statement file accepted for import (also the limit after decompression); bigger ones get 413 IMPORT_FILE_TOO_LARGE.', parse: int(1024, 1024 ** 3) }),
  v({ name: 'FINHUB_IMPORT_DEDUPE_WINDOW_DAYS', key: 'importDedupeWindowDays', default: '3', allowed: 'integer 0-60', description: 'Imports treat a row as a possible duplicate of an existing transaction with the same amount up to this many days apart (a request may override it).', parse: int(0, 60) }),
  v({ name: 'FINHUB_IMPORT_PREVIEW_TTL_HOURS', key: 'importPreviewTtlHours', default: '24', allowed: 'integer 1-720', description: 'How long an import preview can be committed; older previews expire and their stored rows are deleted.', parse: int(1, 720) }),
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
