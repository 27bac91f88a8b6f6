// A minimal HTTP client for latency measurement: one keep-alive connection,
// requests strictly one after another, time from write to last body byte.
import http from 'node:http';

export interface Response {
  status: number;
  body: string;
  ms: number;
}

export class BenchClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  #sockets = new Set<unknown>();

  constructor(
    private readonly port: number,
    private readonly token: string,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Distinct sockets used so far (1 means the connection was reused throughout). */
  get socketsUsed(): number {
    return this.#sockets.size;
  }

  get(path: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = http.request(
        { host: '127.0.0.1', port: this.port, path, method: 'GET', agent: this.#agent, headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms });
          });
          res.on('error', reject);
        },
      );
      req.on('socket', (s) => this.#sockets.add(s));
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`request timed out after ${this.timeoutMs} ms: ${path}`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
