// What a CLI command gets: parsed options, output sinks, and the container
// (opened lazily, so `--help` never touches the database).
import type { Container } from '../app/container.ts';
import { AppError } from '../shared/app-error.ts';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Reads all of standard input (for --password-stdin); undefined over the control socket. */
  stdin?: () => Promise<string>;
}

export interface CommandContext {
  io: Io;
  container(): Promise<Container>;
}

export interface Command {
  /** e.g. "user create" */
  name: string;
  summary: string;
  usage: string;
  /** Options: name -> {type, short?, description} */
  options: Record<string, { type: 'string' | 'boolean'; short?: string; description: string; multiple?: boolean }>;
  /**
   * Options and positionals that are file paths. They are made absolute before
   * the command is forwarded to a running embedded server, whose working
   * directory differs from the caller's.
   */
  pathOptions?: string[];
  pathPositionals?: boolean;
  /** Needs the database (false: runs locally without opening it). */
  needsDb: boolean;
  run(ctx: CommandContext, values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

export class UsageError extends Error {}

export function requireString(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** One-line reason and exit code for any failure: 2 usage, 3 not found/conflict, 1 other. */
export function describeFailure(e: unknown): { line: string; code: number } {
  if (e instanceof UsageError) return { line: `error: ${e.message} (see --help)`, code: 2 };
  if (e instanceof AppError) {
    const fields = e.errors?.map((f) => `${f.field.replace(/^\/body\//, '')}: ${f.message}`).join('; ');
    return { line: `error: ${e.message}${fields && !e.message.includes(fields) ? ` (${fields})` : ''} [${e.code}]`, code: e.status === 404 || e.status === 409 ? 3 : e.status >= 500 ? 1 : 2 };
  }
  return { line: `error: ${e instanceof Error ? e.message : String(e)}`, code: 1 };
}
