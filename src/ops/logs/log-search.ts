// `finhub logs search`: scans the current log file and its rotated gzip files
// for JSON lines matching a time range, a minimum level, a request id and a
// text. Rotated files that ended before --since are not opened.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { parseDuration } from '../slo/duration.ts';
import { listLogFiles, type LogFile } from './log-files.ts';

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LevelName = (typeof LEVELS)[number];
const PINO_NUMBERS: Record<number, LevelName> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface LogFilter {
  since?: Date | undefined;
  until?: Date | undefined;
  /** Minimum level: "error" matches error and fatal. */
  level?: LevelName | undefined;
  requestId?: string | undefined;
  /** Case-insensitive substring of the raw line. */
  grep?: string | undefined;
}

export interface LogEntry {
  raw: string;
  fields: Record<string, unknown>;
  time: Date | undefined;
  level: LevelName | undefined;
}

/** Parses one log line; undefined for lines that are not a JSON object. */
export function parseLine(raw: string): LogEntry | undefined {
  if (!raw.startsWith('{')) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  const f = fields as Record<string, unknown>;
  const t = typeof f.time === 'string' || typeof f.time === 'number' ? new Date(f.time) : undefined;
  const level = typeof f.level === 'string' ? (LEVELS as readonly string[]).includes(f.level) ? (f.level as LevelName) : undefined : typeof f.level === 'number' ? PINO_NUMBERS[f.level] : undefined;
  return { raw, fields: f, time: t && !Number.isNaN(t.getTime()) ? t : undefined, level };
}

export function matches(e: LogEntry, f: LogFilter): boolean {
  if (f.since && (!e.time || e.time < f.since)) return false;
  if (f.until && (!e.time || e.time > f.until)) return false;
  if (f.level && (!e.level || LEVELS.indexOf(e.level) < LEVELS.indexOf(f.level))) return false;
  if (f.requestId && e.fields.request_id !== f.requestId && e.fields.reqId !== f.requestId) return false;
  if (f.grep && !e.raw.toLowerCase().includes(f.grep.toLowerCase())) return false;
  return true;
}

/** "24h", "30m", "7d" before now, or an ISO 8601 date/time. */
export function parseTimeArg(text: string, now: Date = new Date()): Date | undefined {
  const d = parseDuration(text.trim());
  if (d) return new Date(now.getTime() - d.seconds * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const t = new Date(text);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/** Files that may hold lines in [since, until]; a rotated file's name carries when it was closed. */
export function filesInRange(files: LogFile[], f: Pick<LogFilter, 'since' | 'until'>): LogFile[] {
  return files.filter((file, i) => {
    // One second of slack: the rotation time is taken just after the last line was written.
    if (f.since && file.endedAt && file.endedAt.getTime() + 1000 < f.since.getTime()) return false;
    const prev = files[i - 1]?.endedAt;
    if (f.until && prev && prev.getTime() - 1000 > f.until.getTime()) return false;
    return true;
  });
}

async function isGzip(path: string): Promise<boolean> {
  const h = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await h.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await h.close();
  }
}

/** Calls visit for every line of the file, in order; a file rotated away meanwhile is skipped. */
export async function readLines(path: string, visit: (line: string) => void): Promise<void> {
  let gz: boolean;
  try {
    gz = await isGzip(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const source = createReadStream(path);
  const input = gz ? source.pipe(createGunzip()) : source;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) visit(line);
  } finally {
    rl.close();
    source.destroy();
  }
}

export interface SearchOptions extends LogFilter {
  /** Most entries to return; default 100. */
  limit?: number;
  /** newest: the newest matches, newest first (default); oldest: the oldest matches, in time order. */
  order?: 'newest' | 'oldest';
}

export interface SearchResult {
  entries: LogEntry[];
  /** More lines matched than `limit`. */
  truncated: boolean;
  files: string[];
  /** Lines that were not JSON log entries (skipped). */
  unparsable: number;
}

export async function searchLogs(file: string, opts: SearchOptions): Promise<SearchResult> {
  const limit = opts.limit ?? 100;
  const files = filesInRange(await listLogFiles(file), opts);
  const ordered = opts.order === 'oldest' ? files : [...files].reverse();
  const entries: LogEntry[] = [];
  let truncated = false;
  let unparsable = 0;
  for (const f of ordered) {
    if (entries.length >= limit) {
      truncated = true;
      break;
    }
    const room = limit - entries.length;
    // Keep the first `room` matches (oldest order) or the last `room` (newest order), plus one to know about more.
    const found: LogEntry[] = [];
    let more = false;
    await readLines(f.path, (line) => {
      if (!line) return;
      const e = parseLine(line);
      if (!e) {
        unparsable++;
        return;
      }
      if (!matches(e, opts)) return;
      if (opts.order === 'oldest') {
        if (found.length < room) found.push(e);
        else more = true;
      } else {
        found.push(e);
        if (found.length > room) {
          found.shift();
          more = true;
        }
      }
    });
    entries.push(...(opts.order === 'oldest' ? found : found.reverse()));
    if (more) truncated = true;
  }
  return { entries, truncated, files: files.map((f) => f.path), unparsable };
}

/** How many lines match (no limit); for doctor's "errors in the last 24 h". */
export async function countLogLines(file: string, filter: LogFilter): Promise<{ count: number; files: number }> {
  const files = filesInRange(await listLogFiles(file), filter);
  let count = 0;
  for (const f of files) {
    await readLines(f.path, (line) => {
      const e = line ? parseLine(line) : undefined;
      if (e && matches(e, filter)) count++;
    });
  }
  return { count, files: files.length };
}

const SHOWN = new Set(['level', 'time', 'msg', 'service', 'request_id', 'reqId', 'pid', 'hostname']);

/** One readable line: time, level, request id, message, then the other fields as JSON. */
export function formatEntry(e: LogEntry): string {
  const rest = Object.fromEntries(Object.entries(e.fields).filter(([k]) => !SHOWN.has(k)));
  const rid = (e.fields.request_id ?? e.fields.reqId ?? '-') as string;
  const extra = Object.keys(rest).length ? `  ${JSON.stringify(rest)}` : '';
  return `${e.time?.toISOString() ?? '?'} ${(e.level ?? '?').toUpperCase().padEnd(5)} ${rid} ${String(e.fields.msg ?? '')}${extra}`;
}
