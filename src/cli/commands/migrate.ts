import { backupBeforeMigrating } from '../../backup/pre-migrate.ts';
import { currentMigration, migrateDown, migrateDownAll, migrateUp, migrationStatus } from '../../db/migrator.ts';
import type { Command } from '../context.ts';
import { UsageError } from '../context.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply, roll back or list database migrations',
  usage: 'finhub migrate up [--no-backup] | down [--all] | status [--json]',
  needsDb: true,
  options: {
    all: { type: 'boolean', description: 'with down: roll back every migration (empties the schema)' },
    'no-backup': { type: 'boolean', description: 'with up: do not take a backup before applying pending migrations' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    const [action] = positionals;
    const c = await ctx.container();
    if (action === 'up') {
      await backupBeforeMigrating(c, (l) => ctx.io.out(l), !!values['no-backup']);
      const results = await migrateUp(c.db);
      for (const r of results) ctx.io.out(`applied ${r.migrationName}`);
      ctx.io.out(results.length ? `database is at ${await currentMigration(c.db)}` : 'nothing to apply; database is up to date');
      return 0;
    }
    if (action === 'down') {
      const results = values.all ? await migrateDownAll(c.db) : await migrateDown(c.db);
      for (const r of results) ctx.io.out(`rolled back ${r.migrationName}`);
      if (!results.length) ctx.io.out('nothing to roll back');
      return 0;
    }
    if (action === 'status') {
      const status = await migrationStatus(c.db);
      if (values.json) ctx.io.out(JSON.stringify(status.map((s) => ({ name: s.name, applied: !!s.executedAt, executed_at: s.executedAt }))));
      else for (const s of status) ctx.io.out(`${s.executedAt ? 'applied' : 'pending'}  ${s.name}${s.executedAt ? `  ${s.executedAt.toISOString()}` : ''}`);
      return 0;
    }
    throw new UsageError('migrate needs one of: up, down, status');
  },
};
