// Shared setup for the backup tests: keys on disk, a backup directory, demo
// ledger data (the real generator and loader), and row-level snapshots of a
// database to compare before and after.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthService } from '../../src/auth/auth.service.ts';
import { generateKeyPair } from '../../src/backup/age.ts';
import { listTables } from '../../src/backup/introspect.ts';
import { fingerprint, fixTextOutput, planDump } from '../../src/backup/snapshot.ts';
import type { Db } from '../../src/db/create-db.ts';
import { generateHousehold } from '../../src/demo/demo-data.ts';
import { loadHousehold } from '../../src/demo/demo.loader.ts';

export interface BackupEnv {
  root: string;
  dir: string;
  keyFile: string;
  identity: string;
  recipient: string;
  env: Record<string, string>;
  cleanup(): void;
}

export async function backupEnv(): Promise<BackupEnv> {
  const root = mkdtempSync(join(tmpdir(), 'finhub-bk-test-'));
  const { identity, recipient } = await generateKeyPair();
  const keyFile = join(root, 'key.txt');
  writeFileSync(keyFile, `# test key\n${identity}\n`, { mode: 0o600 });
  const dir = join(root, 'backups');
  return {
    root,
    dir,
    keyFile,
    identity,
    recipient,
    env: { FINHUB_BACKUP_DIR: dir, FINHUB_BACKUP_RECIPIENTS: recipient, FINHUB_BACKUP_IDENTITY_FILE: keyFile },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface Seeded {
  userId: string;
  ledgerId: string;
  email: string;
  password: string;
  transactions: number;
}

/** A user (real argon2 hash), a session, a personal access token and a demo household ledger. */
export async function seedDemo(db: Db, opts: { seed?: string; years?: number; scale?: number; email?: string } = {}): Promise<Seeded> {
  const auth = createAuthService({ db, sessionTtlHours: 24 });
  const email = opts.email ?? `owner-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct horse battery';
  const user = await auth.createUser(null, { email, password, displayName: 'Backup tester', isAdmin: true });
  const actor = { userId: user.id, isAdmin: true, via: 'cli' as const };
  await auth.createToken(actor, { name: 'laptop' });
  await auth.login(email, password, 'vitest');
  const ledger = await db.kysely.insertInto('ledgers').values({ name: 'Household', base_currency: 'USD', created_by: user.id }).returning('id').executeTakeFirstOrThrow();
  await db.kysely.insertInto('ledger_members').values({ ledger_id: ledger.id, user_id: user.id, role: 'owner' }).execute();
  const data = generateHousehold({ seed: opts.seed ?? 'backup', years: opts.years ?? 1, scale: opts.scale ?? 0.3 });
  const r = await loadHousehold(db.kysely, { ledgerId: ledger.id, data });
  return { userId: user.id, ledgerId: ledger.id, email, password, transactions: r.transactions };
}

/**
 * Fingerprint of every backed-up table as the database holds it now, in the
 * backup's canonical encoding. `raw` skips the secret replacements (whose
 * "revoked at snapshot time" depends on when it runs): use it to prove a
 * database did not change.
 */
export async function tableFingerprints(db: Db, opts: { raw?: boolean } = {}): Promise<Record<string, string>> {
  return db.kysely.transaction().execute(async (tx) => {
    await fixTextOutput(tx);
    const { dump } = planDump(await listTables(tx));
    const out: Record<string, string> = {};
    for (const t of dump) {
      if (opts.raw) delete t.replaced;
      const fp = await fingerprint(tx, t);
      out[t.info.name] = `${fp.rows}:${fp.sha256}`;
    }
    return out;
  });
}

/** Digest of the fingerprints, for a one-line equality assertion. */
export const digest = (fps: Record<string, string>) => createHash('sha256').update(JSON.stringify(Object.entries(fps).sort())).digest('hex');
