import { AppError } from '../../shared/app-error.ts';
import type { Command } from '../context.ts';
import { requireString } from '../context.ts';

export const tokenCreateCommand: Command = {
  name: 'token create',
  summary: 'Create a personal access token for a user (printed once)',
  usage: 'finhub token create --email EMAIL [--name NAME] [--expires-days N] [--json]',
  needsDb: true,
  options: {
    email: { type: 'string', description: 'whose token' },
    name: { type: 'string', description: 'label to recognise the token (default: cli)' },
    'expires-days': { type: 'string', description: 'lifetime in days (default: no expiry)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const email = requireString(values, 'email');
    const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) throw new AppError('VALIDATION_FAILED', '--expires-days must be a whole number from 1 to 3650');
    const c = await ctx.container();
    const user = await c.auth.findUserByEmail(email);
    if (!user) throw new AppError('NOT_FOUND', `no user with email ${email}`);
    const t = await c.auth.createToken({ userId: user.id, isAdmin: user.is_admin, via: 'cli' }, { name: (values.name as string | undefined) ?? 'cli', expiresInDays: days });
    if (values.json) ctx.io.out(JSON.stringify({ id: t.id, name: t.name, token: t.token, expires_at: t.expires_at }));
    else {
      ctx.io.out(t.token);
      ctx.io.err(`token "${t.name}" for ${email} created; use it as: Authorization: Bearer <token>. It is not shown again.`);
    }
    return 0;
  },
};
