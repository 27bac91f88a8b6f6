// The tiny RESP client behind /health/cache: against the real Redis on
// 127.0.0.1:6379, a closed port, a server that never answers, and a scripted
// server that checks the exact AUTH/SELECT/PING it receives.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGitHead } from '../../src/ops/health/build-info.ts';
import { encodeCommand, handshake, pingRedis } from '../../src/ops/health/redis-ping.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function listen(onData: (socket: Socket, data: string) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => onData(socket, d));
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('redis ping', () => {
  it('encodes commands as RESP arrays of bulk strings', () => {
    expect(encodeCommand(['PING'])).toBe('*1\r\n$4\r\nPING\r\n');
    expect(encodeCommand(['AUTH', 'pä'])).toBe('*2\r\n$4\r\nAUTH\r\n$3\r\npä\r\n');
    expect(handshake(new URL('redis://127.0.0.1:6379'))).toEqual([['PING']]);
    expect(handshake(new URL('redis://:s%40cret@h/3'))).toEqual([['AUTH', 's@cret'], ['SELECT', '3'], ['PING']]);
    expect(handshake(new URL('redis://ops:pw@h/0'))).toEqual([['AUTH', 'ops', 'pw'], ['PING']]);
  });

  it('gets PONG from the real Redis on 127.0.0.1:6379', async () => {
    const seconds = await pingRedis('redis://127.0.0.1:6379', 2000);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(2);
  });

  it('reports a refused connection, a silent server and a rejected AUTH without leaking the password', async () => {
    await expect(pingRedis(`redis://127.0.0.1:${await closedPort()}`, 2000)).rejects.toThrow(/ECONNREFUSED/);
    const silent = await listen(() => {});
    await expect(pingRedis(`redis://127.0.0.1:${silent}`, 200)).rejects.toThrow(/did not answer within 200 ms/);
    // The real Redis has no password: AUTH is refused.
    const err = await pingRedis('redis://:topsecret-pw@127.0.0.1:6379', 2000).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/Redis rejected AUTH/);
    expect(err?.message).not.toContain('topsecret-pw');
    await expect(pingRedis('not a url', 100)).rejects.toThrow(/not a valid URL/);
  });

  it('sends AUTH and SELECT before PING, and insists on +PONG', async () => {
    let received = '';
    const ok = await listen((socket, data) => {
      received += data;
      if (received.includes('PING')) socket.write('+OK\r\n+OK\r\n+PONG\r\n');
    });
    await pingRedis(`redis://ops:pw@127.0.0.1:${ok}/2`, 2000);
    expect(received).toBe(encodeCommand(['AUTH', 'ops', 'pw']) + encodeCommand(['SELECT', '2']) + encodeCommand(['PING']));
    const odd = await listen((socket) => socket.write('+HELLO\r\n'));
    await expect(pingRedis(`redis://127.0.0.1:${odd}`, 2000)).rejects.toThrow(/answered PING with "\+HELLO"/);
  });
});

describe('commit detection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finhub-git-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const id = 'a'.repeat(40);

  it('reads HEAD through a ref file, packed-refs or a detached id; nothing without .git', () => {
    expect(readGitHead(dir)).toBeUndefined();
    mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs\n${'b'.repeat(40)} refs/heads/main\n`);
    expect(readGitHead(dir)).toBe('b'.repeat(40));
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), `${id}\n`);
    expect(readGitHead(dir)).toBe(id);
    writeFileSync(join(dir, '.git', 'HEAD'), `${'c'.repeat(40)}\n`);
    expect(readGitHead(dir)).toBe('c'.repeat(40));
  });
});
