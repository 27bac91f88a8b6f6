import { loadConfig } from '../../config/config.ts';
import { logFilePath } from '../../ops/logs/log-files.ts';
import { formatEntry, LEVELS, parseTimeArg, searchLogs, type LevelName } from '../../ops/logs/log-search.ts';
import { UsageError, type Command } from '../context.ts';

function timeOption(values: Record<string, unknown>, name: string): Date | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const t = typeof v === 'string' ? parseTimeArg(v) : undefined;
  if (!t) throw new UsageError(`--${name} must be a duration before now (30m, 24h, 7d) or an ISO 8601 time, got ${JSON.stringify(v)}`);
  return t;
}

export const logsSearchCommand: Command = {
  name: 'logs search',
  summary: 'Search the server log file and its rotated .gz files',
  usage: 'finhub logs search [--since 24h] [--until TIME] [--level error] [--request-id ID] [--grep TEXT] [--limit 100] [--oldest-first] [--json]',
  needsDb: false,
  options: {
    since: { type: 'string', description: 'only lines at or after this: a duration before now (30m, 24h, 7d) or an ISO time (default 24h)' },
    until: { type: 'string', description: 'only lines at or before this (same forms)' },
    level: { type: 'string', description: `minimum level: ${LEVELS.join(', ')} (error = error and fatal)` },
    'request-id': { type: 'string', description: 'only lines of this request (and of jobs it enqueued)' },
    grep: { type: 'string', description: 'only lines containing this text (case-insensitive)' },
    limit: { type: 'string', description: 'at most this many lines (default 100)' },
    'oldest-first': { type: 'boolean', description: 'the oldest matches in time order (default: the newest matches, newest first)' },
    json: { type: 'boolean', description: 'print the raw JSON lines' },
  },
  async run(ctx, values) {
    // The server's own configuration when forwarded to it; nothing here needs the database.
    const config = loadConfig();
    const file = logFilePath(config);
    if (!file) {
      ctx.io.err('error: the log file is switched off (FINHUB_LOG_FILE=off); logs went to stdout only');
      return 1;
    }
    const level = values.level as string | undefined;
    if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--level must be one of ${LEVELS.join(', ')}`);
    const limitRaw = (values.limit as string | undefined) ?? '100';
    if (!/^\d+$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 100_000) throw new UsageError('--limit must be an integer 1-100000');
    const since = timeOption(values, 'since') ?? timeOption({ since: '24h' }, 'since');
    const until = timeOption(values, 'until');
    const order = values['oldest-first'] ? 'oldest' : 'newest';
    const r = await searchLogs(file, {
      since, until, level: level as LevelName | undefined, requestId: values['request-id'] as string | undefined, grep: values.grep as string | undefined,
      limit: Number(limitRaw), order,
    });
    for (const e of r.entries) ctx.io.out(values.json ? e.raw : formatEntry(e));
    if (!values.json) {
      const what = r.files.length ? `${r.files.length} file(s) in ${file.replace(/[^/]+$/, '')}` : `no log file at ${file} yet`;
      ctx.io.err(`${r.entries.length} line(s), ${order === 'newest' ? 'newest first' : 'oldest first'}${r.truncated ? ` (more match; raise --limit)` : ''}; searched ${what}`);
    }
    return 0;
  },
};
