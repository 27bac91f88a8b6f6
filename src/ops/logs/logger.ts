// pino JSON lines on stdout. Secrets are redacted by path wherever they appear
// in a logged object: headers, bodies, tokens, passwords.
import { pino, type Logger } from 'pino';
import type { Config } from '../../config/config.ts';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  'token',
  '*.password',
  '*.token',
  '*.password_hash',
  '*.token_hash',
  'body.password',
  'body.token',
  'databaseUrl',
  '*.databaseUrl',
];

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'finhub' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Query strings can hold search text and tokens: log the path only.
      serializers: {
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({ method: req.method, url: req.url?.split('?')[0], ip: req.ip }),
      },
    },
    destination,
  );
}
