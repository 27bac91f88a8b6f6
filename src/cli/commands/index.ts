// Every `finhub` command, loaded on demand. A command module pulls in the part
// of the application it needs (the backup commands the backup service, and so
// on), so `finhub backup list` should not pay for loading the reports engine.
// Each entry names the first words of the commands its module defines; the CLI
// loads only the modules that can define argv[0]. `finhub --help` loads them
// all, in this order. src/cli/commands/index.unit.test.ts checks the words.
import type { Command } from '../context.ts';

export interface CommandModule {
  /** First words of the command names this module defines ("backup" for "backup create"). */
  words: string[];
  load(): Promise<Command[]>;
}

export const COMMAND_MODULES: CommandModule[] = [
  { words: ['migrate'], load: async () => [(await import('./migrate.ts')).migrateCommand] },
  {
    words: ['user'],
    load: async () => {
      const m = await import('./user.ts');
      return [m.userCreateCommand, m.userListCommand];
    },
  },
  { words: ['token'], load: async () => [(await import('./token.ts')).tokenCreateCommand] },
  {
    words: ['ledger'],
    load: async () => {
      const m = await import('./ledger.ts');
      return [m.ledgerCreateCommand, m.ledgerListCommand];
    },
  },
  { words: ['demo'], load: async () => [(await import('./demo.ts')).demoCommand] },
  {
    words: ['incident'],
    load: async () => {
      const m = await import('./incident-lifecycle.ts');
      return [m.incidentOpenCommand, m.incidentAckCommand, m.incidentUpdateCommand, m.incidentResolveCommand];
    },
  },
  {
    words: ['incident'],
    load: async () => {
      const m = await import('./incident-read.ts');
      return [m.incidentListCommand, m.incidentShowCommand, m.incidentPostmortemCommand];
    },
  },
  {
    words: ['maintenance'],
    load: async () => {
      const m = await import('./maintenance.ts');
      return [m.maintenanceOnCommand, m.maintenanceOffCommand, m.maintenanceStatusCommand];
    },
  },
  { words: ['doctor'], load: async () => [(await import('./doctor.ts')).doctorCommand] },
  { words: ['logs'], load: async () => [(await import('./logs-search.ts')).logsSearchCommand] },
  { words: ['report'], load: async () => [(await import('./report-ops.ts')).reportOpsCommand] },
  { words: ['db'], load: async () => (await import('./db.ts')).DB_COMMANDS },
  { words: ['backup'], load: async () => (await import('./backup-commands.ts')).BACKUP_COMMANDS },
  { words: ['backup'], load: async () => (await import('./backup-offsite.ts')).OFFSITE_COMMANDS },
  { words: ['migrate-to-postgres'], load: async () => [(await import('./migrate-to-postgres.ts')).migrateToPostgresCommand] },
  { words: ['import'], load: async () => (await import('./import.ts')).IMPORT_COMMANDS },
  { words: ['search'], load: async () => [(await import('./search.ts')).searchCommand] },
  { words: ['rules'], load: async () => (await import('./rules-commands.ts')).RULES_COMMANDS },
  { words: ['fx', 'net-worth', 'budget'], load: async () => (await import('./money-commands.ts')).MONEY_COMMANDS },
  { words: ['report', 'bills'], load: async () => (await import('./reports-commands.ts')).REPORTS_COMMANDS },
];

/** All commands, in help order. */
export async function loadAllCommands(): Promise<Command[]> {
  return (await Promise.all(COMMAND_MODULES.map((m) => m.load()))).flat();
}

/**
 * The commands whose name could match argv: those of the modules declaring
 * argv[0] as a first word. An empty list (unknown word) means "load them all":
 * callers then fall back to loadAllCommands() so a module with an outdated word
 * list costs time, never a missing command.
 */
export async function loadCommandsFor(argv: string[]): Promise<Command[]> {
  const first = argv[0];
  if (first === undefined) return [];
  return (await Promise.all(COMMAND_MODULES.filter((m) => m.words.includes(first)).map((m) => m.load()))).flat();
}
