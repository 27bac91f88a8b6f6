import { writeNewIdentity } from '../../backup/keys.ts';
import { requireString, type Command } from '../context.ts';
import { withBackupErrors } from './backup-shared.ts';

export const backupKeygenCommand: Command = {
  name: 'backup keygen',
  summary: 'Create an age key pair for backups: writes the private key (mode 0600), prints the public key',
  usage: 'finhub backup keygen --out FILE',
  needsDb: false,
  pathOptions: ['out'],
  options: {
    out: { type: 'string', description: 'where to write the private key (must not exist; keep it away from the backups)' },
  },
  async run(ctx, values) {
    const out = requireString(values, 'out');
    return withBackupErrors(ctx.io, async () => {
      const { recipient } = await writeNewIdentity(out);
      ctx.io.out(recipient);
      ctx.io.err(`wrote the private key to ${out} (mode 0600). Keep a copy somewhere safe and NOT next to the backups: without it no backup can be restored.`);
      ctx.io.err(`Encrypt backups to the public key above: FINHUB_BACKUP_RECIPIENTS=${recipient}`);
      ctx.io.err(`To verify or restore: FINHUB_BACKUP_IDENTITY_FILE=${out} (or --identity ${out})`);
      return 0;
    });
  },
};
