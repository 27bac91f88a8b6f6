// Every `finhub backup …` command, for the COMMANDS list in cli/main.ts.
import type { Command } from '../context.ts';
import { backupCreateCommand } from './backup-create.ts';
import { backupDrillCommand } from './backup-drill.ts';
import { backupKeygenCommand } from './backup-keygen.ts';
import { backupListCommand } from './backup-list.ts';
import { backupPruneCommand } from './backup-prune.ts';
import { backupRestoreCommand } from './backup-restore.ts';
import { backupVerifyCommand } from './backup-verify.ts';

export const BACKUP_COMMANDS: Command[] = [backupCreateCommand, backupListCommand, backupVerifyCommand, backupRestoreCommand, backupDrillCommand, backupPruneCommand, backupKeygenCommand];
