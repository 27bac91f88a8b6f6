// Names the person acting on incidents and maintenance: the user's email over
// the API, "cli:<login>" (or --by) on the command line.
import { userInfo } from 'node:os';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/create-db.ts';
import { requireActor } from '../../http/plugins/auth.ts';
import { userEmail } from './incidents.repository.ts';
import type { OpsActor } from './model.ts';

export async function requestOpsActor(db: Db, req: FastifyRequest): Promise<OpsActor> {
  const actor = requireActor(req);
  return { name: (await userEmail(db.kysely, actor.userId)) ?? `user:${actor.userId}`, actor };
}

export function cliOpsActor(by: unknown): OpsActor {
  if (typeof by === 'string' && by.trim()) return { name: by.trim().slice(0, 200), actor: null };
  let login = 'operator';
  try {
    login = userInfo().username || login;
  } catch {
    // No passwd entry (some containers): keep the generic name.
  }
  return { name: `cli:${login}`, actor: null };
}
