// Every migration, by timestamped name. Listed statically so the migrator does
// not depend on reading a directory (works the same from source or a bundle).
import type { Migration } from 'kysely';
import * as m20261123000000 from './20261123000000_foundation.ts';
import * as m20261124000000 from './20261124000000_imports.ts';
import * as m20261124100000 from './20261124100000_ops.ts';
import * as m20261124200000 from './20261124200000_backups.ts';
import * as m20261207000000 from './20261207000000_rules.ts';
import * as m20261207100000 from './20261207100000_money.ts';
import * as m20261207200000 from './20261207200000_reports.ts';
import * as m20261208000000 from './20261208000000_backup_offsite_attempts.ts';
import * as m20261208100000 from './20261208100000_report_ledger_rollups.ts';

export const migrations: Record<string, Migration> = {
  '20261123000000_foundation': m20261123000000,
  '20261124000000_imports': m20261124000000,
  '20261124100000_ops': m20261124100000,
  '20261124200000_backups': m20261124200000,
  '20261207000000_rules': m20261207000000,
  '20261207100000_money': m20261207100000,
  '20261207200000_reports': m20261207200000,
  '20261208000000_backup_offsite_attempts': m20261208000000,
  '20261208100000_report_ledger_rollups': m20261208100000,
};
