// The owner-only control socket of an embedded server. While `finhub serve`
// holds the data directory, other `finhub` commands are sent here and run inside
// the server process (PGlite allows one process per directory). The socket lives
// in the 0700 data directory and is itself 0600: only the owner can connect.
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { SOCKET_FILE } from '../db/data-dir-lock.ts';

export interface RemoteResult {
  code: number;
  stdout: string[];
  stderr: string[];
}

export type RemoteRunner = (argv: string[]) => Promise<RemoteResult>;

export async function startControlSocket(dataDir: string, run: RemoteRunner): Promise<{ path: string; close(): Promise<void> }> {
  const path = join(dataDir, SOCKET_FILE);
  if (existsSync(path)) rmSync(path); // left by a crashed server; the data-dir lock proves we own the directory
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/run') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) req.destroy();
      else chunks.push(c);
    });
    req.on('end', async () => {
      let result: RemoteResult;
      try {
        const { argv } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { argv: unknown };
        if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new Error('argv must be an array of strings');
        result = await run(argv);
      } catch (e) {
        result = { code: 1, stdout: [], stderr: [`error: ${(e as Error).message}`] };
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(path, { force: true });
      }),
  };
}

export function runRemote(dataDir: string, argv: string[]): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dataDir, SOCKET_FILE), method: 'POST', path: '/run', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RemoteResult);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ argv }));
  });
}
