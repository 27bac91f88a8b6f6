// Ledger access in one query. A caller who is not a member gets NOT_FOUND (the
// ledger's existence is not revealed); a member below the needed role gets FORBIDDEN.
import type { Actor } from '../auth/actor.ts';
import type { Role } from '../db/schema.ts';
import { AppError } from '../shared/app-error.ts';
import type { Executor } from '../shared/executor.ts';
import { isUuid } from '../shared/ids.ts';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };

export async function requireLedgerRole(ex: Executor, actor: Actor, ledgerId: string, needed: Role): Promise<Role> {
  if (!isUuid(ledgerId)) throw new AppError('NOT_FOUND', 'ledger not found');
  const m = await ex
    .selectFrom('ledger_members')
    .select('role')
    .where('ledger_id', '=', ledgerId)
    .where('user_id', '=', actor.userId)
    .executeTakeFirst();
  if (!m) throw new AppError('NOT_FOUND', 'ledger not found');
  if (RANK[m.role] < RANK[needed]) throw new AppError('FORBIDDEN', `this needs the ${needed} role on the ledger; you are ${m.role}`);
  return m.role;
}
