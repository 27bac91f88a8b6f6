// The `finhub` command. Each verb-noun lives in its own file under commands/.
// In embedded mode, while a server holds the data directory, commands are sent
// to it over the control socket instead of opening the directory.
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import type { Container } from '../app/container.ts';
import { VERSION } from '../app/version.ts';
import { ConfigError, loadConfig, CONFIG_VARS, type Config } from '../config/config.ts';
import { acquireDataDirLock, DataDirLockedError, lockHolder } from '../db/data-dir-lock.ts';
import { loadAllCommands, loadCommandsFor } from './commands/index.ts';
import { describeFailure, UsageError, type Command, type CommandContext, type Io } from './context.ts';
import { runRemote, startControlSocket } from './control.ts';

// Command modules, the container and the HTTP server are imported when a
// command needs them (commands/index.ts): a `finhub` process forwarding a
// command to a running server, or printing help, loads none of the app.

const stdIo: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

async function topHelp(io: Io) {
  io.out(`finhub ${VERSION} — self-hosted personal finance with its operations built in

Usage: finhub <command> [options]

Commands:
  serve                  Start the HTTP server (embedded database unless DATABASE_URL is set)`);
  for (const c of await loadAllCommands()) io.out(`  ${c.name.padEnd(22)} ${c.summary}`);
  io.out(`
Run "finhub <command> --help" for a command's options. Configuration comes from
environment variables (${CONFIG_VARS.length} of them; see README.md): HOST, PORT, FINHUB_DATA_DIR, DATABASE_URL, ...`);
}

function commandHelp(io: Io, c: Pick<Command, 'name' | 'summary' | 'usage' | 'options'>) {
  io.out(`${c.summary}\n\nUsage: ${c.usage}\n\nOptions:`);
  for (const [name, o] of Object.entries(c.options)) io.out(`  --${name}${o.type === 'string' ? ' VALUE' : ''}`.padEnd(26) + o.description);
  io.out('  --help'.padEnd(26) + 'show this help');
}

function matchCommand(commands: Command[], argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { cmd: byOne, rest: argv.slice(1) } : undefined;
}

/** The command argv names, loading only the modules that can define it (all of them as a fallback). */
async function findCommand(argv: string[]): Promise<{ cmd: Command; rest: string[] } | undefined> {
  return matchCommand(await loadCommandsFor(argv), argv) ?? matchCommand(await loadAllCommands(), argv);
}

/** Runs one command with a given container factory (used locally and inside the server for socket calls). */
export async function runCommand(argv: string[], io: Io, container: () => Promise<Container>): Promise<number> {
  const found = await findCommand(argv);
  if (!found) {
    io.err(`error: unknown command "${argv.join(' ')}" (see finhub --help)`);
    return 2;
  }
  const { cmd, rest } = found;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...Object.fromEntries(Object.entries(cmd.options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }])), help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      commandHelp(io, cmd);
      return 0;
    }
    const ctx: CommandContext = { io, container };
    return await cmd.run(ctx, values as Record<string, string | boolean | undefined>, positionals);
  } catch (e) {
    const f = describeFailure(e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? new UsageError(e.message) : e);
    io.err(f.line);
    return f.code;
  }
}

/** Rewrites a command's path arguments to absolute paths (see Command.pathOptions). */
export function absolutePaths(cmd: Command, argv: string[]): string[] {
  if (!cmd.pathOptions?.length && !cmd.pathPositionals) return argv;
  const skip = cmd.name.split(' ').length;
  const rest = argv.slice(skip);
  type Token = { kind: string; index: number; name?: string; rawName?: string; value?: string; inlineValue?: boolean };
  let tokens: Token[];
  try {
    tokens = (parseArgs({
      args: rest,
      options: { ...Object.fromEntries(Object.entries(cmd.options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }])), help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
      tokens: true,
    }).tokens ?? []) as Token[];
  } catch {
    return argv; // the server reports the usage error
  }
  const out = [...rest];
  for (const t of tokens) {
    if (t.kind === 'positional' && cmd.pathPositionals && t.value !== undefined) out[t.index] = resolvePath(t.value);
    if (t.kind === 'option' && t.value !== undefined && t.name && t.rawName && cmd.pathOptions?.includes(t.name)) {
      out[t.index] = t.inlineValue ? `${t.rawName}=${resolvePath(t.value)}` : t.rawName;
      if (!t.inlineValue) out[t.index + 1] = resolvePath(t.value);
    }
  }
  return [...argv.slice(0, skip), ...out];
}

async function serve(config: Config, io: Io): Promise<number> {
  const [{ startServer, StartupError }, { startJobs }, { startWatchdog }, { startTrafficRecording }] = await Promise.all([
    import('../http/server.ts'),
    import('../jobs/jobs.runtime.ts'),
    import('../ops/watchdog/runtime.ts'),
    import('../ops/reports/traffic.ts'),
  ]);
  let server;
  try {
    server = await startServer(config, {
      print: io.err,
      afterListen: async (c) => {
        // Traffic snapshots for `finhub report ops`: every 5 minutes and once more at stop.
        const closers: (() => Promise<void>)[] = [await startJobs(c), startTrafficRecording(c)];
        // SLO alerts from this process's own metrics (FINHUB_WATCHDOG) and their notifications.
        closers.push(await startWatchdog(c));
        if (!config.databaseUrl) {
          // Commands from other processes run here, on this process's database handle.
          const sock = await startControlSocket(config.dataDir, async (argv) => {
            const stdout: string[] = [];
            const stderr: string[] = [];
            if (argv[0] === 'migrate' && argv[1] === 'down') {
              return { code: 2, stdout, stderr: ['error: refusing to roll back migrations under a running server; stop finhub first, then run finhub migrate down'] };
            }
            const code = await runCommand(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) }, async () => c);
            return { code, stdout, stderr };
          });
          closers.push(sock.close);
        }
        return async () => {
          for (const close of closers.reverse()) await close();
        };
      },
    });
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      io.err(`error: ${e.message}. Is finhub already running? Stop it first, or point FINHUB_DATA_DIR elsewhere.`);
      return 1;
    }
    if (e instanceof StartupError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const s = server;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      s.stop(sig).then(resolve, (err) => {
        io.err(`error while stopping: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  return 0;
}

export async function main(argv: string[], io: Io = stdIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    await topHelp(io);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    io.out(VERSION);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(`error: ${e.message}`);
      return 78; // EX_CONFIG
    }
    throw e;
  }
  if (argv[0] === 'serve') {
    if (argv.includes('--help')) {
      commandHelp(io, { name: 'serve', summary: 'Start the HTTP server', usage: 'finhub serve   (configure with environment variables; see README.md)', options: {} });
      return 0;
    }
    return serve(config, io);
  }
  const found = await findCommand(argv);
  if (!found || argv.includes('--help')) return runCommand(argv, io, () => Promise.reject(new Error('no database needed')));

  if (!config.databaseUrl && lockHolder(config.dataDir) !== undefined) {
    // The embedded server owns the directory: run the command inside it.
    if (found.cmd.options['password-stdin'] && argv.includes('--password-stdin')) {
      io.err('error: --password-stdin cannot be forwarded to the running server; omit it to get a generated password');
      return 2;
    }
    try {
      const r = await runRemote(config.dataDir, absolutePaths(found.cmd, argv));
      r.stdout.forEach(io.out);
      r.stderr.forEach(io.err);
      return r.code;
    } catch (e) {
      io.err(`error: a finhub server (pid ${lockHolder(config.dataDir)}) holds ${config.dataDir} but its control socket did not answer: ${(e as Error).message}`);
      return 1;
    }
  }

  // Nobody serves this data directory (or we use PostgreSQL): open it ourselves.
  let lock: { release(): void } | undefined;
  let container: Container | undefined;
  try {
    if (!config.databaseUrl) lock = acquireDataDirLock(config.dataDir);
    const open = async () => {
      if (!container) {
        const [{ createContainer }, { backupBeforeMigrating }, { migrateUp }] = await Promise.all([
          import('../app/container.ts'),
          import('../backup/pre-migrate.ts'),
          import('../db/migrator.ts'),
        ]);
        container = await createContainer({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
        // Embedded databases are migrated on first use, as `serve` would; PostgreSQL is migrated explicitly.
        if (!config.databaseUrl && found.cmd.name !== 'migrate') {
          // Backed up first, like `finhub migrate up`, when backups are configured and migrations are pending.
          await backupBeforeMigrating(container, (line) => io.err(line));
          await migrateUp(container.db);
        }
      }
      return container;
    };
    return await runCommand(argv, io, open);
  } catch (e) {
    const f = describeFailure(e);
    io.err(f.line);
    return f.code;
  } finally {
    await container?.close();
    lock?.release();
  }
}
