import { randomBytes } from 'node:crypto';
import type { Command } from '../context.ts';
import { requireString, UsageError } from '../context.ts';

export const userCreateCommand: Command = {
  name: 'user create',
  summary: 'Create a user (prints a generated password unless one is given)',
  usage: 'finhub user create --email EMAIL [--name NAME] [--admin] [--password-stdin]',
  needsDb: true,
  options: {
    email: { type: 'string', description: 'login email' },
    name: { type: 'string', description: 'display name' },
    admin: { type: 'boolean', description: 'make the user an administrator' },
    'password-stdin': { type: 'boolean', description: 'read the password from standard input instead of generating one' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const email = requireString(values, 'email');
    let password: string;
    let generated = false;
    if (values['password-stdin']) {
      if (!ctx.io.stdin) throw new UsageError('--password-stdin is not available here; run the command on the server machine with a terminal');
      password = (await ctx.io.stdin()).replace(/\r?\n$/, '');
    } else {
      password = randomBytes(15).toString('base64url');
      generated = true;
    }
    const c = await ctx.container();
    const u = await c.auth.createUser(null, { email, password, displayName: values.name as string | undefined, isAdmin: !!values.admin });
    if (values.json) ctx.io.out(JSON.stringify({ id: u.id, email: u.email, is_admin: u.is_admin, ...(generated ? { password } : {}) }));
    else {
      ctx.io.out(`created ${u.is_admin ? 'administrator' : 'user'} ${u.email} (${u.id})`);
      if (generated) ctx.io.out(`password: ${password}   (shown once; change it after logging in)`);
    }
    return 0;
  },
};

export const userListCommand: Command = {
  name: 'user list',
  summary: 'List users',
  usage: 'finhub user list [--json]',
  needsDb: true,
  options: { json: { type: 'boolean', description: 'machine-readable output' } },
  async run(ctx, values) {
    const c = await ctx.container();
    const rows = await c.db.kysely.selectFrom('users').select(['id', 'email', 'display_name', 'is_admin', 'created_at']).orderBy('email').execute();
    if (values.json) ctx.io.out(JSON.stringify(rows));
    else for (const r of rows) ctx.io.out(`${r.id}  ${r.email}${r.is_admin ? '  (admin)' : ''}`);
    return 0;
  },
};
