// A minimal RESP client that only checks a Redis server answers: connect,
// optionally AUTH and SELECT (from the URL), PING, expect +PONG, all within one
// timeout. Enough for health checks without a Redis client dependency.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export class RedisPingError extends Error {}

/** RESP array of bulk strings, the form every Redis command takes. */
export function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Commands to send for a redis:// URL, ending with PING. */
export function handshake(url: URL): string[][] {
  const cmds: string[][] = [];
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (password) cmds.push(user && user !== 'default' ? ['AUTH', user, password] : ['AUTH', password]);
  const db = url.pathname.replace(/^\//, '');
  if (db && /^\d+$/.test(db) && db !== '0') cmds.push(['SELECT', db]);
  cmds.push(['PING']);
  return cmds;
}

/**
 * Sends the handshake and PING; resolves with the round trip in seconds.
 * Error messages never contain the URL (it may hold a password).
 */
export function pingRedis(rawUrl: string, timeoutMs: number): Promise<number> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return Promise.reject(new RedisPingError('REDIS_URL is not a valid URL'));
  }
  const tls = url.protocol === 'rediss:';
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  const commands = handshake(url);
  const started = process.hrtime.bigint();
  return new Promise<number>((resolve, reject) => {
    let buffered = '';
    let answered = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Number(process.hrtime.bigint() - started) / 1e9);
    };
    const onConnect = () => socket.write(commands.map(encodeCommand).join(''));
    const socket: Socket = tls ? tlsConnect({ host, port, servername: host }, onConnect) : netConnect({ host, port }, onConnect);
    const timer = setTimeout(() => finish(new RedisPingError(`Redis at ${host}:${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', (e: NodeJS.ErrnoException) => finish(new RedisPingError(`Redis at ${host}:${port}: ${e.code ?? e.message}`)));
    socket.on('close', () => finish(new RedisPingError(`Redis at ${host}:${port} closed the connection`)));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      // Every reply to these commands is a single line: +OK, +PONG or -ERR ….
      let nl: number;
      while ((nl = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 2);
        const cmd = commands[answered]![0]!;
        answered++;
        if (line.startsWith('-')) return finish(new RedisPingError(`Redis rejected ${cmd}: ${line.slice(1).split(' ')[0]}`));
        if (answered === commands.length) {
          return line === '+PONG' ? finish() : finish(new RedisPingError(`Redis answered PING with ${JSON.stringify(line.slice(0, 40))}`));
        }
      }
    });
  });
}
