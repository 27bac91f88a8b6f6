// Backup keys. Backups are encrypted to age X25519 public keys (recipients);
// only verify (level 2+), restore and drill need the private key (identity).
// The identity never enters the database or an archive: it lives in a file
// the operator keeps apart from the backups (another disk, a password
// manager, a hardware token's backup sheet).
import { constants as fsc } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { Config } from '../config/config.ts';
import { generateKeyPair, isX25519Identity, isX25519Recipient, recipientOf } from './age.ts';

export class BackupConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupConfigError';
  }
}

export const SETUP_HINT =
  'Create a key pair with `finhub backup keygen --out /a/safe/place/finhub-backup.key` (keep that file away from the backups), ' +
  'then set FINHUB_BACKUP_RECIPIENTS to the public key it prints (age1…) for `finhub serve` and the CLI, and FINHUB_BACKUP_IDENTITY_FILE to the key file where you verify or restore.';

function parseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** All configured recipients (variable and file), de-duplicated; [] when none are configured. */
export async function loadRecipients(config: Pick<Config, 'backupRecipients' | 'backupRecipientsFile'>): Promise<string[]> {
  const out = new Set(config.backupRecipients ?? []);
  if (config.backupRecipientsFile) {
    let text: string;
    try {
      text = await readFile(config.backupRecipientsFile, 'utf8');
    } catch (e) {
      throw new BackupConfigError(`cannot read FINHUB_BACKUP_RECIPIENTS_FILE ${config.backupRecipientsFile}: ${(e as Error).message}`);
    }
    for (const line of parseLines(text)) {
      if (!isX25519Recipient(line)) throw new BackupConfigError(`FINHUB_BACKUP_RECIPIENTS_FILE ${config.backupRecipientsFile} has a line that is not an age X25519 public key (age1…): ${JSON.stringify(line.slice(0, 20))}…`);
      out.add(line);
    }
  }
  return [...out];
}

export async function requireRecipients(config: Pick<Config, 'backupRecipients' | 'backupRecipientsFile'>): Promise<string[]> {
  const r = await loadRecipients(config);
  if (r.length === 0) throw new BackupConfigError(`backups are not configured: no age recipient is set (FINHUB_BACKUP_RECIPIENTS or FINHUB_BACKUP_RECIPIENTS_FILE). ${SETUP_HINT}`);
  return r;
}

export interface LoadedIdentities {
  identities: string[];
  /** The public keys they belong to, for "wrong key" messages. */
  recipients: string[];
  file: string;
  /** Set when the file can be read by group or others. */
  warning?: string;
}

/** Reads an identity file (the format `age-keygen` and `finhub backup keygen` write). */
export async function loadIdentities(file: string | undefined): Promise<LoadedIdentities> {
  if (!file) throw new BackupConfigError('this needs the backup private key: pass --identity FILE or set FINHUB_BACKUP_IDENTITY_FILE (the file written by `finhub backup keygen`)');
  let text: string;
  let mode: number;
  try {
    text = await readFile(file, 'utf8');
    mode = (await stat(file)).mode;
  } catch (e) {
    throw new BackupConfigError(`cannot read the identity file ${file}: ${(e as Error).message}`);
  }
  const identities = parseLines(text).filter(isX25519Identity);
  if (identities.length === 0) throw new BackupConfigError(`${file} holds no age X25519 identity (a line starting with AGE-SECRET-KEY-1)`);
  const recipients = await Promise.all(identities.map(recipientOf));
  const out: LoadedIdentities = { identities, recipients, file };
  if (mode & 0o077) out.warning = `warning: the identity file ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`;
  return out;
}

/** Writes a new identity file (mode 0600, never overwriting) and returns its public key. */
export async function writeNewIdentity(path: string, now: Date = new Date()): Promise<{ recipient: string }> {
  const { identity, recipient } = await generateKeyPair();
  let fh;
  try {
    fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupConfigError(`${path} already exists; refusing to overwrite a key (move it away first if you really mean to replace it)`);
    throw new BackupConfigError(`cannot create ${path}: ${(e as Error).message}`);
  }
  try {
    await fh.writeFile(`# finhub backup key, created ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { recipient };
}
