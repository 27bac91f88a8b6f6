// The rules step between preview and commit (issue 3, item 9). Imported rows
// are offered to one hook as drafts; it may rename payees, set categories,
// notes, tags and the cleared state, and returns the drafts to write. The
// rules engine itself comes later (money-management issue); until then the
// hook is the identity. Register a hook with `container.imports.setRulesHook`.
import type { ClearedState } from '../../db/schema.ts';

export interface DraftRow {
  /** Position in the statement (0-based); identifies the row, do not change it. */
  readonly rowIndex: number;
  readonly postedOn: string;
  readonly amountMinor: bigint;
  /** The bank's payee text and memo, as the file had them (read-only context for rules). */
  readonly bankPayee: string | null;
  readonly memo: string | null;
  readonly bankId: string | null;
  readonly pending: boolean;
  /** What will be written: payee by name (matched case-insensitively, created when new). */
  payeeName: string | null;
  categoryId: string | null;
  notes: string | null;
  tags: string[];
  cleared: ClearedState;
}

export type ImportRulesHook = (rows: DraftRow[], ctx: { ledgerId: string; accountId: string }) => Promise<DraftRow[]>;

export const identityRulesHook: ImportRulesHook = async (rows) => rows;
