// The server's logger: JSON lines to stdout and, unless FINHUB_LOG_FILE=off, to
// a file rotated at FINHUB_LOG_MAX_SIZE and gzip-compressed, keeping
// FINHUB_LOG_MAX_FILES rotated files. A broken log file (disk full, permissions)
// is reported once on stderr and stdout logging goes on.
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { pino, type Logger } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { Config } from '../../config/config.ts';
import { createLogger } from './logger.ts';
import { logFilePath, rotatedName } from './log-files.ts';

export interface ServerLogger {
  logger: Logger;
  /** The log file, when one is written. */
  file: string | undefined;
  /** The underlying stream (tests wait for its rotation events). */
  stream: RotatingFileStream | undefined;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

type LogConfig = Pick<Config, 'logLevel' | 'logFile' | 'logMaxSizeBytes' | 'logMaxFiles' | 'dataDir'>;

export function openRotatingLog(file: string, config: Pick<Config, 'logMaxSizeBytes' | 'logMaxFiles'>): RotatingFileStream {
  const dir = dirname(file);
  const base = basename(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The stream's own index restarts once old files are deleted, so names carry a counter of this process instead.
  let seq = 0;
  return createStream((time: number | Date | null) => (time ? rotatedName(base, new Date(time), ++seq) : base), {
    path: dir,
    size: `${config.logMaxSizeBytes}B`,
    maxFiles: config.logMaxFiles,
    compress: 'gzip',
    mode: 0o600,
    history: `.${base}.history`,
  });
}

export function openServerLogger(config: LogConfig, opts: { stdout?: pino.DestinationStream; stderr?: (line: string) => void } = {}): ServerLogger {
  const file = config.logLevel === 'silent' ? undefined : logFilePath(config);
  const stdout = opts.stdout ?? pino.destination({ dest: 1, sync: true });
  if (!file) return { logger: createLogger(config, stdout), file: undefined, stream: undefined, close: async () => {} };

  const report = opts.stderr ?? ((l: string) => process.stderr.write(l + '\n'));
  let stream: RotatingFileStream;
  try {
    stream = openRotatingLog(file, config);
  } catch (e) {
    report(`finhub: cannot open the log file ${file} (${(e as Error).message}); logging to stdout only`);
    return { logger: createLogger(config, stdout), file: undefined, stream: undefined, close: async () => {} };
  }
  let broken = false;
  const onError = (e: Error) => {
    if (broken) return;
    broken = true;
    report(`finhub: writing the log file ${file} failed (${e.message}); logging continues on stdout only`);
  };
  stream.on('error', onError);
  stream.on('warning', (e: Error) => report(`finhub: log file warning: ${e.message}`));
  const fileSink = { write: (line: string) => (broken ? true : stream.write(line)) };
  const logger = createLogger(config, pino.multistream([
    { level: config.logLevel, stream: stdout },
    { level: config.logLevel, stream: fileSink },
  ]));
  return {
    logger,
    file,
    stream,
    close: () =>
      new Promise<void>((resolve) => {
        if (broken || stream.destroyed) return resolve();
        stream.end(() => resolve());
      }),
  };
}
