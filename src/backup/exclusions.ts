// What a backup leaves out or alters, and why. Every table of the database
// schema is backed up unless it is listed here, so a new table is included by
// default; a module that stores a secret in a new table or column must add it
// here (and a test in test/backup/ lists these rules).
//
// Deliberately KEPT: users.password_hash. The hashes are argon2id and finhub
// has no other way to let people log in after a restore (no password reset
// flow yet); leaving them out would lock every user out of a restored server.

/** Tables never written to a backup, with the reason shown in the manifest. */
export const EXCLUDED_TABLES: Readonly<Record<string, string>> = {
  finhub_migrations: 'migration bookkeeping: the manifest records the applied migrations, and restore re-creates the schema by running them',
  finhub_migrations_lock: 'migration lock row',
  sessions: 'login sessions (session token hashes): after a restore everybody logs in again',
  backups: 'the backup catalogue describes archives outside the database; after a restore it is rebuilt from the backup directory',
  backup_copies: 'part of the backup catalogue',
  backup_verifications: 'part of the backup catalogue',
  backup_drills: 'part of the backup catalogue',
  backup_offsite_attempts: 'part of the backup catalogue (the last copy attempt per offsite target)',
};

/** Rows left out of a table (SQL condition that keeps a row). */
export const ROW_FILTERS: Readonly<Record<string, { keep: string; reason: string }>> = {
  system_settings: { keep: `key <> 'setup_token_hash'`, reason: 'the one-time setup token hash is not backed up; a restored server without users prints a new token' },
};

/**
 * Columns written with a replacement value (an SQL expression of the column's
 * type, evaluated in the snapshot). The replacement is what the archive and
 * its fingerprint contain, so verification compares like with like.
 */
export const REPLACED_COLUMNS: Readonly<Record<string, Readonly<Record<string, { expr: string; reason: string }>>>> = {
  api_tokens: {
    token_hash: {
      expr: `'excluded-from-backup:' || id::text`,
      reason: 'personal access token hashes are not backed up; a restored token can never authenticate',
    },
    revoked_at: {
      expr: 'coalesce(revoked_at, now())',
      reason: 'tokens without a hash are marked revoked at the snapshot time, so their owners see that they must create new ones',
    },
  },
};

/**
 * Tables whose content a restore takes from the TARGET, not from the backup,
 * when the target has them. The archive still contains them (a fresh target
 * gets the backup's rows). Maintenance mode belongs to the running
 * installation: an operator who switched it on before restoring must still
 * be in maintenance afterwards, to check the restored data before writes
 * resume.
 */
export const KEPT_FROM_TARGET: Readonly<Record<string, string>> = {
  maintenance_windows: "maintenance mode is the running installation's state: a restore keeps the target's maintenance windows, so a restore done under maintenance mode stays in maintenance until `finhub maintenance off`",
};

/**
 * Tables a migration fills with reference data (the same rows on every
 * database at that schema). Their rows do not make a database "non-empty"
 * for restore's refusal check; they are still in every backup.
 */
export const REFERENCE_TABLES: Readonly<Record<string, string>> = {
  fx_currencies: 'ISO 4217 currencies and exponents, inserted by the money migration',
};

export const EXCLUSION_NOTES: readonly string[] = [
  'Kept: users.password_hash (argon2id), so users can log in after a restore.',
  'The age identity (private key) never enters the archive or the database.',
];
