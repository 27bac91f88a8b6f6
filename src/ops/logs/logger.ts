// pino JSON lines (stdout; `finhub serve` also writes a rotated file, see
// log-file.ts). Secrets are redacted by path wherever they appear in a logged
// object: headers, bodies, tokens, passwords. Requests are logged by method and
// path only (no query string, no headers, no body), and database errors lose
// the fields in which PostgreSQL echoes row values.
import { pino, type Logger } from 'pino';
import type { Config } from '../../config/config.ts';

const SECRET_KEYS = ['password', 'new_password', 'current_password', 'token', 'password_hash', 'token_hash', 'secret', 'authorization', 'cookie', 'databaseUrl', 'redisUrl', 'account_number', 'iban', 'alertmanagerToken', 'notifyWebhookUrl', 'notifyWebhookSecret', 'notifySlackUrl', 'notifySmtpUrl', 'backupS3Url', 'backupS3AccessKeyId', 'backupS3SecretAccessKey', 'identity', 'identities'];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'body.password',
  'body.token',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
];

/**
 * Errors keep only fields that describe what failed, never the data involved:
 * PostgreSQL drivers attach the row (`detail`: "Failing row contains (…)")
 * and PGlite the bound parameters (`params`), which hold user data.
 */
const ERROR_FIELDS = new Set(['type', 'message', 'stack', 'name', 'code', 'severity', 'schema', 'table', 'column', 'constraint', 'routine', 'query', 'statusCode', 'errno', 'syscall']);

export function serializeError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const full = pino.stdSerializers.err(e) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(full).filter(([k]) => ERROR_FIELDS.has(k)));
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'finhub' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: {
        // Query strings can hold search text and tokens: log the path only.
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({ method: req.method, url: req.url?.split('?')[0], ip: req.ip }),
        err: serializeError,
      },
    },
    destination,
  );
}
