// The log file: size rotation with gzip compression (real rotating-file-stream
// with a tiny limit), and `finhub logs search` filters over the current and
// rotated files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { cleanupRotatedLogs } from '../../src/ops/logs/log-cleanup.ts';
import { openServerLogger } from '../../src/ops/logs/log-file.ts';
import { listLogFiles, logFilePath, rotatedName } from '../../src/ops/logs/log-files.ts';
import { countLogLines, filesInRange, formatEntry, matches, parseLine, parseTimeArg, searchLogs } from '../../src/ops/logs/log-search.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'finhub-logs-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const line = (o: Record<string, unknown>) => JSON.stringify({ service: 'finhub', ...o });

describe('log line filters', () => {
  const e = parseLine(line({ level: 'error', time: '2026-11-24T10:00:00.000Z', request_id: 'req-1', msg: 'Request Failed', code: 'X' }))!;

  it('parses pino JSON lines (text or numeric levels) and rejects everything else', () => {
    expect(e.level).toBe('error');
    expect(e.time?.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(parseLine('{"level":30,"time":1764000000000,"msg":"x"}')?.level).toBe('info');
    expect(parseLine('not json')).toBeUndefined();
    expect(parseLine('{broken')).toBeUndefined();
    expect(parseLine('[1,2]')).toBeUndefined();
  });

  it('level is a minimum; time bounds are inclusive; request id and text must match', () => {
    expect(matches(e, { level: 'error' })).toBe(true);
    expect(matches(e, { level: 'warn' })).toBe(true);
    expect(matches(e, { level: 'fatal' })).toBe(false);
    expect(matches(e, { since: new Date('2026-11-24T10:00:00.000Z') })).toBe(true);
    expect(matches(e, { since: new Date('2026-11-24T10:00:00.001Z') })).toBe(false);
    expect(matches(e, { until: new Date('2026-11-24T09:59:59.999Z') })).toBe(false);
    expect(matches(e, { requestId: 'req-1' })).toBe(true);
    expect(matches(e, { requestId: 'req-2' })).toBe(false);
    expect(matches(e, { grep: 'request failed' })).toBe(true);
    expect(matches(e, { grep: 'nope' })).toBe(false);
    const undated = parseLine('{"msg":"x"}')!;
    expect(matches(undated, {})).toBe(true);
    expect(matches(undated, { since: new Date(0) })).toBe(false);
  });

  it('reads --since/--until as a duration before now or an ISO time', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    expect(parseTimeArg('24h', now)?.toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(parseTimeArg('90m', now)?.toISOString()).toBe('2026-11-24T10:30:00.000Z');
    expect(parseTimeArg('2026-11-01', now)?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseTimeArg('2026-11-01T08:00:00Z', now)?.toISOString()).toBe('2026-11-01T08:00:00.000Z');
    expect(parseTimeArg('yesterday', now)).toBeUndefined();
    expect(parseTimeArg('2026-13-45', now)).toBeUndefined();
  });

  it('skips rotated files that ended before --since, and files that began after --until', () => {
    const f = (h: number | undefined) => ({ path: `f${h}`, endedAt: h === undefined ? undefined : new Date(Date.UTC(2026, 10, 24, h)), index: 1, sizeBytes: 1 });
    const files = [f(1), f(5), f(9), f(undefined)];
    expect(filesInRange(files, { since: new Date(Date.UTC(2026, 10, 24, 6)) }).map((x) => x.path)).toEqual(['f9', 'fundefined']);
    // The file closed at 5:00 holds lines up to 5:00; the next one starts after that.
    expect(filesInRange(files, { until: new Date(Date.UTC(2026, 10, 24, 3)) }).map((x) => x.path)).toEqual(['f1', 'f5']);
  });

  it('formats an entry as time, level, request id, message and the other fields', () => {
    expect(formatEntry(e)).toBe('2026-11-24T10:00:00.000Z ERROR req-1 Request Failed  {"code":"X"}');
  });
});

describe('rotated, compressed log files', () => {
  it('rotates at the size limit, gzips rotated files, keeps FINHUB_LOG_MAX_FILES, and search reads them all', async () => {
    const dir = tmp();
    const config = loadConfig({ FINHUB_DATA_DIR: dir, FINHUB_LOG_MAX_SIZE: '2K', FINHUB_LOG_MAX_FILES: '4', LOG_LEVEL: 'info' });
    const file = logFilePath(config)!;
    expect(file).toBe(join(dir, 'logs', 'finhub.log'));
    const stdout: string[] = [];
    const s = openServerLogger(config, { stdout: { write: (l: string) => void stdout.push(l) } });
    expect(s.file).toBe(file);
    let rotations = 0;
    s.stream!.on('rotated', () => rotations++);
    for (let i = 0; i < 120; i++) {
      s.logger.info({ i, request_id: `r-${i % 3}` }, `line ${i} ${'x'.repeat(40)}`);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    s.logger.error({ request_id: 'r-0' }, 'the last line is an error');
    await s.close();

    expect(stdout).toHaveLength(121);
    expect(rotations).toBeGreaterThan(4);
    const files = await listLogFiles(file);
    const rotated = files.filter((f) => f.endedAt);
    // maxFiles is enforced at each rotation
    expect(rotated.length).toBeLessThanOrEqual(4);
    expect(rotated.length).toBeGreaterThan(0);
    for (const f of rotated) {
      expect(f.path).toMatch(/finhub\.log\.\d{8}T\d{6}\.\d{3}Z-\d+\.gz$/);
      const raw = readFileSync(f.path);
      expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]);
      expect(gunzipSync(raw).toString('utf8')).toMatch(/"msg":"line \d+/);
    }
    expect(files[files.length - 1]!.path).toBe(file);

    // newest first: the error line, then the highest numbers
    const newest = await searchLogs(file, { limit: 3 });
    expect(newest.entries.map((e) => e.fields.msg)).toEqual(['the last line is an error', expect.stringMatching(/^line 119 /), expect.stringMatching(/^line 118 /)]);
    expect(newest.truncated).toBe(true);
    const errors = await searchLogs(file, { level: 'error' });
    expect(errors.entries).toHaveLength(1);
    expect(errors.truncated).toBe(false);
    // chronological, across rotated and current files, by request id
    const byReq = await searchLogs(file, { requestId: 'r-1', order: 'oldest', limit: 1000 });
    const nums = byReq.entries.map((e) => e.fields.i as number);
    expect(nums.length).toBeGreaterThan(3);
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    expect(nums.every((n) => n % 3 === 1)).toBe(true);
    expect(byReq.files.length).toBe(files.length);
    expect((await searchLogs(file, { grep: 'LINE 119' })).entries).toHaveLength(1);
    expect((await countLogLines(file, { level: 'error' })).count).toBe(1);
  });

  it('orders rotated files by their time stamp, finds lines only in the window, and cleans up beyond retention', async () => {
    const dir = tmp();
    const file = join(dir, 'app.log');
    const mk = (hour: number, msgs: string[]) => {
      const name = rotatedName('app.log', new Date(Date.UTC(2026, 10, 20, hour)), 1);
      writeFileSync(join(dir, name), gzipSync(msgs.map((m, i) => line({ level: 'info', time: new Date(Date.UTC(2026, 10, 20, hour - 1, i)).toISOString(), msg: m })).join('\n') + '\n'));
    };
    mk(3, ['a1', 'a2']);
    mk(1, ['z1']);
    mk(5, ['b1']);
    writeFileSync(file, line({ level: 'warn', time: '2026-11-20T06:00:00.000Z', msg: 'current' }) + '\nnot a json line\n');
    writeFileSync(join(dir, 'app.log.unrelated'), 'x');
    const files = await listLogFiles(file);
    expect(files.map((f) => f.path.split('/').pop())).toEqual([
      'app.log.20261120T010000.000Z-1.gz', 'app.log.20261120T030000.000Z-1.gz', 'app.log.20261120T050000.000Z-1.gz', 'app.log',
    ]);
    const all = await searchLogs(file, { order: 'oldest' });
    expect(all.entries.map((e) => e.fields.msg)).toEqual(['z1', 'a1', 'a2', 'b1', 'current']);
    expect(all.unparsable).toBe(1);
    const window = await searchLogs(file, { since: new Date(Date.UTC(2026, 10, 20, 2, 0, 30)), until: new Date(Date.UTC(2026, 10, 20, 4)) });
    expect(window.entries.map((e) => e.fields.msg)).toEqual(['b1', 'a2']);
    // Not opened: the 01:00 file (ended before --since) and the current one (begun after the 05:00 file, past --until).
    expect(window.files.map((p) => p.split('/').pop())).toEqual(['app.log.20261120T030000.000Z-1.gz', 'app.log.20261120T050000.000Z-1.gz']);

    const cleaned = await cleanupRotatedLogs(file, 1);
    expect(cleaned.removed.map((p) => p.split('/').pop())).toEqual(['app.log.20261120T010000.000Z-1.gz', 'app.log.20261120T030000.000Z-1.gz']);
    expect(readdirSync(dir).sort()).toEqual(['app.log', 'app.log.20261120T050000.000Z-1.gz', 'app.log.unrelated']);
  });

  it('FINHUB_LOG_FILE: on = <data dir>/logs/finhub.log, off = none, a path = that file', () => {
    expect(logFilePath(loadConfig({ FINHUB_DATA_DIR: '/srv/finhub' }))).toBe('/srv/finhub/logs/finhub.log');
    expect(logFilePath(loadConfig({ FINHUB_LOG_FILE: 'off' }))).toBeUndefined();
    expect(logFilePath(loadConfig({ FINHUB_LOG_FILE: '/var/log/finhub/app.log' }))).toBe('/var/log/finhub/app.log');
    expect(() => loadConfig({ FINHUB_LOG_MAX_SIZE: '10' })).toThrow(/FINHUB_LOG_MAX_SIZE/);
    expect(loadConfig({ FINHUB_LOG_MAX_SIZE: '5M' }).logMaxSizeBytes).toBe(5 * 1024 * 1024);
  });

  it('a log file that cannot be opened leaves logging on stdout and says why once', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
    const lines: string[] = [];
    const errs: string[] = [];
    const s = openServerLogger(loadConfig({ FINHUB_LOG_FILE: join(dir, 'blocker', 'finhub.log') }), { stdout: { write: (l: string) => void lines.push(l) }, stderr: (l) => errs.push(l) });
    expect(s.file).toBeUndefined();
    s.logger.info('still logged');
    expect(lines).toHaveLength(1);
    expect(errs.join('\n')).toMatch(/cannot open the log file/);
  });
});
