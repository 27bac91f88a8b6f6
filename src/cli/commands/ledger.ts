import { AppError } from '../../shared/app-error.ts';
import type { Command } from '../context.ts';
import { requireString } from '../context.ts';

export const ledgerCreateCommand: Command = {
  name: 'ledger create',
  summary: "Create a ledger owned by a user",
  usage: 'finhub ledger create --email OWNER_EMAIL --name NAME [--currency USD] [--json]',
  needsDb: true,
  options: {
    email: { type: 'string', description: 'owner' },
    name: { type: 'string', description: 'ledger name' },
    currency: { type: 'string', description: 'base currency, ISO 4217 (default USD)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const email = requireString(values, 'email');
    const name = requireString(values, 'name');
    const c = await ctx.container();
    const user = await c.auth.findUserByEmail(email);
    if (!user) throw new AppError('NOT_FOUND', `no user with email ${email}`);
    const l = await c.ledgers.create({ userId: user.id, isAdmin: user.is_admin, via: 'cli' }, { name, baseCurrency: (values.currency as string | undefined) ?? 'USD' });
    if (values.json) ctx.io.out(JSON.stringify(l));
    else ctx.io.out(`created ledger "${l.name}" (${l.id}) owned by ${email}`);
    return 0;
  },
};

export const ledgerListCommand: Command = {
  name: 'ledger list',
  summary: 'List ledgers with their base currency and transaction counts',
  usage: 'finhub ledger list [--json]',
  needsDb: true,
  options: { json: { type: 'boolean', description: 'machine-readable output' } },
  async run(ctx, values) {
    const c = await ctx.container();
    const rows = await c.db.kysely
      .selectFrom('ledgers as l')
      .select((eb) => [
        'l.id', 'l.name', 'l.base_currency',
        eb.selectFrom('transactions as t').whereRef('t.ledger_id', '=', 'l.id').where('t.parent_id', 'is', null).select((e) => e.fn.countAll<bigint>().as('n')).as('transactions'),
      ])
      .orderBy('l.name')
      .execute();
    const out = rows.map((r) => ({ ...r, transactions: Number(r.transactions ?? 0) }));
    if (values.json) ctx.io.out(JSON.stringify(out));
    else for (const r of out) ctx.io.out(`${r.id}  ${r.name}  ${r.base_currency}  ${r.transactions} transactions`);
    return 0;
  },
};
