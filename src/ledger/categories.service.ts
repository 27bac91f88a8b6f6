
import type { Actor } from '../auth/actor.ts';
import type { Db } from '../db/create-db.ts';
import { recordAudit } from '../ops/audit/audit.repository.ts';
import { invalid, notFound } from '../shared/app-error.ts';
import { isUuid } from '../shared/ids.ts';
import { requireLedgerRole } from './access.ts';

const groupCols = ['id', 'ledger_id', 'name', 'is_income', 'hidden', 'sort_order', 'created_at'] as const;
const catCols = ['id', 'ledger_id', 'group_id', 'name', 'hidden', 'sort_order', 'created_at'] as const;

function name(n: string | undefined): string | undefined {
  if (n === undefined) return undefined;
  const t = n.trim();
  if (t.length < 1 || t.length > 200) throw invalid('/body/name', 'must be 1-200 characters');
  return t;
}

export interface GroupInput { name?: string | undefined; isIncome?: boolean | undefined; hidden?: boolean | undefined; sortOrder?: number | undefined }
export interface CategoryInput { name?: string | undefined; groupId?: string | undefined; hidden?: boolean | undefined; sortOrder?: number | undefined }

/** Category groups and categories. Names are unique per ledger, case-insensitively (the database enforces it). */
export function createCategoriesService(deps: { db: Db }) {
  const k = deps.db.kysely;
  return {
    /** The whole tree: groups with their categories (a ledger has tens, not thousands). */
    async tree(actor: Actor, ledgerId: string) {
      await requireLedgerRole(k, actor, ledgerId, 'viewer');
      const [groups, cats] = await Promise.all([
        k.selectFrom('category_groups').select(groupCols).where('ledger_id', '=', ledgerId).orderBy('sort_order').orderBy('name').orderBy('id').execute(),
        k.selectFrom('categories').select(catCols).where('ledger_id', '=', ledgerId).orderBy('sort_order').orderBy('name').orderBy('id').execute(),
      ]);
      return groups.map((g) => ({ ...g, categories: cats.filter((c) => c.group_id === g.id) }));
    },

    async createGroup(actor: Actor, ledgerId: string, input: GroupInput) {
      const n = name(input.name);
      if (!n) throw invalid('/body/name', 'is required');
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        const g = await tx.insertInto('category_groups').values({ ledger_id: ledgerId, name: n, is_income: input.isIncome ?? false, hidden: input.hidden ?? false, sort_order: input.sortOrder ?? 0 }).returning(groupCols).executeTakeFirstOrThrow();
        await recordAudit(tx, actor, { action: 'category_group.create', entityType: 'category_group', entityId: g.id, ledgerId, details: { name: n } });
        return g;
      });
    },

    async updateGroup(actor: Actor, ledgerId: string, groupId: string, input: GroupInput) {
      const n = name(input.name);
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(groupId)) throw notFound('category group');
        const g = await tx
          .updateTable('category_groups')
          .set({ ...(n !== undefined ? { name: n } : {}), ...(input.isIncome !== undefined ? { is_income: input.isIncome } : {}), ...(input.hidden !== undefined ? { hidden: input.hidden } : {}), ...(input.sortOrder !== undefined ? { sort_order: input.sortOrder } : {}) })
          .where('ledger_id', '=', ledgerId)
          .where('id', '=', groupId)
          .returning(groupCols)
          .executeTakeFirst();
        if (!g) throw notFound('category group');
        await recordAudit(tx, actor, { action: 'category_group.update', entityType: 'category_group', entityId: groupId, ledgerId, details: { ...input } });
        return g;
      });
    },

    async removeGroup(actor: Actor, ledgerId: string, groupId: string) {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(groupId)) throw notFound('category group');
        // Its categories go too; transactions in them become uncategorized (FK set null).
        const r = await tx.deleteFrom('category_groups').where('ledger_id', '=', ledgerId).where('id', '=', groupId).executeTakeFirst();
        if (r.numDeletedRows === 0n) throw notFound('category group');
        await recordAudit(tx, actor, { action: 'category_group.delete', entityType: 'category_group', entityId: groupId, ledgerId });
      });
    },

    async createCategory(actor: Actor, ledgerId: string, input: CategoryInput) {
      const n = name(input.name);
      if (!n) throw invalid('/body/name', 'is required');
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(input.groupId) || !(await tx.selectFrom('category_groups').select('id').where('ledger_id', '=', ledgerId).where('id', '=', input.groupId).executeTakeFirst())) {
          throw invalid('/body/group_id', 'no such category group in this ledger');
        }
        const c = await tx.insertInto('categories').values({ ledger_id: ledgerId, group_id: input.groupId, name: n, hidden: input.hidden ?? false, sort_order: input.sortOrder ?? 0 }).returning(catCols).executeTakeFirstOrThrow();
        await recordAudit(tx, actor, { action: 'category.create', entityType: 'category', entityId: c.id, ledgerId, details: { name: n } });
        return c;
      });
    },

    async updateCategory(actor: Actor, ledgerId: string, categoryId: string, input: CategoryInput) {
      const n = name(input.name);
      return k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(categoryId)) throw notFound('category');
        if (input.groupId !== undefined && (!isUuid(input.groupId) || !(await tx.selectFrom('category_groups').select('id').where('ledger_id', '=', ledgerId).where('id', '=', input.groupId).executeTakeFirst()))) {
          throw invalid('/body/group_id', 'no such category group in this ledger');
        }
        const c = await tx
          .updateTable('categories')
          .set({ ...(n !== undefined ? { name: n } : {}), ...(input.groupId !== undefined ? { group_id: input.groupId } : {}), ...(input.hidden !== undefined ? { hidden: input.hidden } : {}), ...(input.sortOrder !== undefined ? { sort_order: input.sortOrder } : {}) })
          .where('ledger_id', '=', ledgerId)
          .where('id', '=', categoryId)
          .returning(catCols)
          .executeTakeFirst();
        if (!c) throw notFound('category');
        await recordAudit(tx, actor, { action: 'category.update', entityType: 'category', entityId: categoryId, ledgerId, details: { ...input } });
        return c;
      });
    },

    async removeCategory(actor: Actor, ledgerId: string, categoryId: string) {
      await k.transaction().execute(async (tx) => {
        await requireLedgerRole(tx, actor, ledgerId, 'editor');
        if (!isUuid(categoryId)) throw notFound('category');
        const r = await tx.deleteFrom('categories').where('ledger_id', '=', ledgerId).where('id', '=', categoryId).executeTakeFirst();
        if (r.numDeletedRows === 0n) throw notFound('category');
        await recordAudit(tx, actor, { action: 'category.delete', entityType: 'category', entityId: categoryId, ledgerId });
      });
    },
  };
}

export type CategoriesService = ReturnType<typeof createCategoriesService>;
