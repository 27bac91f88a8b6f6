// A stand-alone worker process for multiprocess.test.ts:
//   node bin/run-ts.js src/jobs/testing/worker-process.ts <postgres-url> [--queue q]
//     [--concurrency n] [--poll-ms n] [--visibility-ms n]
// Every handler run inserts (job_id, worker_id, attempt) into the test's
// job_runs table, so the test can see which process ran what and how often.
// Prints one JSON line {"ready":true,"workerId":...} on stdout once polling;
// SIGTERM stops it gracefully.
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createDb } from '../../db/create-db.ts';
import { JobWorker, type JobContext, type JobLogger } from '../worker.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    queue: { type: 'string', default: 'default' },
    concurrency: { type: 'string', default: '2' },
    'poll-ms': { type: 'string', default: '50' },
    'visibility-ms': { type: 'string', default: '30000' },
  },
});
const url = positionals[0];
if (!url) {
  console.error('usage: worker-process.ts <postgres-url> [--queue q] [--concurrency n] [--poll-ms n] [--visibility-ms n]');
  process.exit(2);
}

const db = await createDb({ databaseUrl: url, poolSize: 4, applicationName: 'finhub-test-worker' });
const stderrLog = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
  process.stderr.write(`${JSON.stringify({ level, pid: process.pid, msg, ...obj })}\n`);
const logger: JobLogger = { info: () => {}, warn: stderrLog('warn'), error: stderrLog('error') };

let workerId = '';
async function record(ctx: JobContext): Promise<void> {
  await sql`insert into job_runs (job_id, worker_id, attempt) values (${ctx.jobId}, ${workerId}, ${ctx.attempt})`.execute(db.kysely);
}
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const worker = new JobWorker({
  db,
  logger,
  queues: [values.queue],
  concurrency: Number(values.concurrency),
  pollMs: Number(values['poll-ms']),
  visibilityMs: Number(values['visibility-ms']),
  handlers: {
    record: async (payload, ctx) => {
      await record(ctx);
      await sleep(typeof payload.sleepMs === 'number' ? payload.sleepMs : 0);
      return { workerId };
    },
    // Hangs on its first attempt (the test kills this process); later attempts finish.
    'hang-first': async (_payload, ctx) => {
      await record(ctx);
      if (ctx.attempt === 1) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        throw new Error('aborted');
      }
      return { workerId };
    },
  },
});
workerId = worker.workerId;

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  (async () => {
    await worker.stop({ timeoutMs: 5000 });
    await db.close();
    process.exit(0);
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});

worker.start();
process.stdout.write(`${JSON.stringify({ ready: true, workerId, pid: process.pid })}\n`);
