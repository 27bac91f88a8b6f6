// Operator API for ops snapshots (administrators only).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Container } from '../../app/container.ts';
import { Uuid } from '../../http/schemas.ts';
import { enqueue } from '../../jobs/jobs.repository.ts';
import { SNAPSHOT_JOB } from './snapshots.ts';

export const reportsRoutes: FastifyPluginAsyncTypebox<{ c: Container }> = async (app, { c }) => {
  app.post('/ops/snapshots', {
    config: { auth: 'admin' },
    schema: {
      tags: ['ops'],
      summary: 'Record an ops snapshot now (counts, database size, job queue) through the job queue, e.g. before and after a large import',
      response: { 202: Type.Object({ job_id: Uuid, created: Type.Boolean({ description: 'false: a requested snapshot was already queued and is reused' }) }) },
    },
  }, async (_req, reply) => {
    // The job carries this request's id, so its log lines can be found with the request's.
    const { job, created } = await enqueue(c.db.kysely, { name: SNAPSHOT_JOB, dedupeKey: `${SNAPSHOT_JOB}:requested` });
    return reply.code(202).send({ job_id: job.id, created });
  });
};
