// The rules step of statement imports (src/imports/flow/rules-hook.ts): the
// drafts of each page of a commit go through the ledger's rules before they
// are written. link_transfer is not carried out here — a draft has no row to
// link yet; the import's own transfer suggestions cover that moment, and
// `rules apply` links afterwards.
//
// The hook is called inside the commit's database transaction but is not
// given it. On the embedded engine that transaction holds the only
// connection, so the hook must not query: the rules program is loaded just
// before the commit starts and handed to the hook through AsyncLocalStorage
// (withImportRules wraps imports.commit to do that).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../db/create-db.ts';
import type { DraftRow, ImportRulesHook } from '../imports/flow/rules-hook.ts';
import { AppError } from '../shared/app-error.ts';
import { runRules, type RowState } from './engine.ts';
import { loadProgram, type Program } from './program.ts';

/** Runs the program over drafts of one account, in place. */
export function applyToDrafts(program: Program, accountId: string, drafts: DraftRow[]): DraftRow[] {
  if (program.rules.length === 0) return drafts;
  const account = program.accounts.get(accountId);
  if (!account) return drafts;
  for (const d of drafts) {
    const s: RowState = {
      account: account.name,
      currency: account.currency,
      postedOn: d.postedOn,
      amountMinor: d.amountMinor,
      // As commit will store it: trimmed, at most 500 characters.
      payee: d.payeeName?.trim().slice(0, 500) || null,
      categoryId: d.categoryId,
      category: d.categoryId === null ? null : (program.categories.get(d.categoryId) ?? null),
      notes: d.notes,
      tags: [...d.tags],
      clearedState: d.cleared,
      pending: d.pending,
      isTransfer: false,
      isSplit: false,
      parts: [],
    };
    if (!runRules(program.rules, program.catalog, s).settled) continue;
    d.payeeName = s.payee;
    d.categoryId = s.categoryId;
    d.notes = s.notes;
    d.tags = s.tags;
    d.cleared = s.clearedState;
  }
  return drafts;
}

interface CommitLike {
  commit(actor: unknown, ledgerId: string, batchId: string, ...rest: never[]): Promise<unknown>;
  setRulesHook(hook: ImportRulesHook | undefined): void;
}

/** Registers the rules hook on the imports service and makes its commit load the program first. */
export function withImportRules<T extends CommitLike>(imports: T, deps: { db: Db; now?: () => Date }): T {
  const now = deps.now ?? (() => new Date());
  const prefetched = new AsyncLocalStorage<Program>();
  imports.setRulesHook(async (drafts, ctx) => {
    let program = prefetched.getStore();
    if (program?.ledgerId !== ctx.ledgerId) {
      // Reading beside the commit's transaction is only possible with a pool (PostgreSQL).
      if (deps.db.engine !== 'postgres') throw new AppError('INTERNAL', 'the import rules program was not loaded before the commit');
      program = await loadProgram(deps.db.kysely, ctx.ledgerId, now());
    }
    return applyToDrafts(program, ctx.accountId, drafts);
  });
  const commit = imports.commit.bind(imports) as (...args: unknown[]) => Promise<unknown>;
  (imports as { commit: unknown }).commit = async (...args: unknown[]) => {
    const ledgerId = args[1] as string;
    // Not a member, a bad id: commit itself reports it; the program is then just not used.
    const program = /^[0-9a-f-]{36}$/i.test(ledgerId) ? await loadProgram(deps.db.kysely, ledgerId, now()) : undefined;
    return program ? prefetched.run(program, () => commit(...args)) : commit(...args);
  };
  return imports;
}
