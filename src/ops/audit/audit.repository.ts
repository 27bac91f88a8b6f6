import type { Executor } from '../../shared/executor.ts';
import type { Actor } from '../../auth/actor.ts';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  ledgerId?: string | null;
  details?: Record<string, unknown>;
}

/** Written in the same database transaction as the change it describes. */
export async function recordAudit(ex: Executor, actor: Actor | null, entry: AuditEntry): Promise<void> {
  await ex
    .insertInto('audit_events')
    .values({
      actor_user_id: actor?.userId ?? null,
      ledger_id: entry.ledgerId ?? null,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId ?? null,
      request_id: actor?.requestId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}
