// Manifest integrity, ids, section maps, table order and the backup settings.
import { describe, expect, it } from 'vitest';
import { chunkRange } from '../../src/backup/archive.ts';
import { EXCLUDED_TABLES, REPLACED_COLUMNS, ROW_FILTERS } from '../../src/backup/exclusions.ts';
import { canonicalJson, isBackupId, manifestText, newBackupId, parseManifest, partsAt, sealManifest, type Manifest } from '../../src/backup/format.ts';
import { dependencyOrder } from '../../src/backup/introspect.ts';
import { loadConfig } from '../../src/config/config.ts';

const sample = (): Omit<Manifest, 'manifest_sha256'> => ({
  format: 'finhub-backup', format_version: 1, id: '20261124T101500Z-0a1b2c', kind: 'manual', note: null, finhub_version: '0.1.0', engine: 'pglite',
  source: { installation_id: 'x', database: 'embedded' }, migration: 'm1', migrations: ['m1'], created_at: '2026-11-24T10:15:00.000000Z',
  snapshot: { at: '2026-11-24T10:15:00.000000Z', snapshot: '1:1:', lsn: null }, tables: [], excluded: { tables: {}, notes: [] }, invariants: null,
  recipients: ['age1x'], compression: 'gzip, one member per section',
  archive: { file: 'f', size: 300_000, sha256: 'a', block_size: 1024, block_sha256: [], header_bytes: 200, sections: [
    { name: 'header', compressed: [0, 50], archive: chunkRange(200, 300_000, 0, 50) },
    { name: 'table:users', compressed: [50, 70_000], archive: chunkRange(200, 300_000, 50, 70_000) },
    { name: 'table:transactions', compressed: [70_000, 250_000], archive: chunkRange(200, 300_000, 70_000, 250_000) },
    { name: 'trailer', compressed: [250_000, 251_000], archive: chunkRange(200, 300_000, 250_000, 251_000) },
  ] },
  duration_seconds: 1.5,
});

describe('backup format', () => {
  it('a sealed manifest parses; any edit is caught by its checksum', () => {
    const m = sealManifest(sample());
    expect(parseManifest(manifestText(m))).toEqual(m);
    expect(() => parseManifest(manifestText({ ...m, note: 'changed' }))).toThrow(/checksum does not match/);
    expect(() => parseManifest('{')).toThrow(/not valid JSON/);
    expect(() => parseManifest(JSON.stringify({ ...m, format_version: 2 }))).toThrow(/version 2 is not supported/);
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, { y: 2, z: 1 }] }, b: 1 }));
  });

  it('ids sort by time and are validated', () => {
    const a = newBackupId(new Date('2026-11-24T10:15:00.123Z'));
    expect(a).toMatch(/^20261124T101500Z-[0-9a-f]{6}$/);
    expect(isBackupId(a)).toBe(true);
    expect(isBackupId('../etc/passwd')).toBe(false);
    expect(newBackupId(new Date('2026-11-24T10:15:01Z')) > a).toBe(true);
  });

  it('maps archive bytes to the sections they hold', () => {
    const { archive } = sample();
    expect(partsAt(archive, 0, 10)).toEqual(['the age header (recipients and MAC)']);
    expect(partsAt(archive, 205, 206)).toEqual(['the payload nonce']);
    // Chunk 0 (bytes 216-65767) holds the header section, users and the start of transactions.
    expect(partsAt(archive, 216, 217)).toEqual(['the archive header', 'table users']);
    expect(partsAt(archive, 216 + 65_552 * 2, 216 + 65_552 * 2 + 1)).toEqual(['table transactions']);
    expect(partsAt(archive, 216 + 65_552 * 3 + 10, 216 + 65_552 * 3 + 11)).toEqual(['table transactions', 'the archive trailer']);
  });

  it('orders tables so that referenced tables come first, even with cycles', () => {
    const order = dependencyOrder([
      { name: 'transactions', references: ['accounts', 'transactions'] },
      { name: 'accounts', references: ['ledgers'] },
      { name: 'ledgers', references: ['users'] },
      { name: 'users', references: [] },
      { name: 'a', references: ['b'] },
      { name: 'b', references: ['a'] },
    ]).map((t) => t.name);
    expect(order.indexOf('users')).toBeLessThan(order.indexOf('ledgers'));
    expect(order.indexOf('ledgers')).toBeLessThan(order.indexOf('accounts'));
    expect(order.indexOf('accounts')).toBeLessThan(order.indexOf('transactions'));
    expect(order).toHaveLength(6);
  });

  it('keeps secrets out: sessions, token hashes, the setup token; the rules say why', () => {
    expect(EXCLUDED_TABLES.sessions).toMatch(/session/);
    expect(Object.keys(REPLACED_COLUMNS.api_tokens!)).toEqual(['token_hash', 'revoked_at']);
    expect(ROW_FILTERS.system_settings!.keep).toContain('setup_token_hash');
    for (const reason of [...Object.values(EXCLUDED_TABLES), ...Object.values(REPLACED_COLUMNS.api_tokens!).map((r) => r.reason)]) expect(reason.length).toBeGreaterThan(10);
  });

  it('validates backup settings', () => {
    const rec = 'age1udkc3fc6yd0y2p0m0vtuq7uevlkcahrurxdqzgea6uxdgxc6nu2sgntvem';
    const c = loadConfig({ FINHUB_BACKUP_RECIPIENTS: `${rec}, ${rec}`, FINHUB_BACKUP_SCHEDULE: 'off', FINHUB_BACKUP_VERIFY_SCHEDULE: '@daily' });
    expect(c.backupRecipients).toEqual([rec, rec]);
    expect(c.backupSchedule).toBe('off');
    expect(c.backupVerifySchedule).toBe('@daily');
    expect(c.backupDir).toBeUndefined();
    expect(() => loadConfig({ FINHUB_BACKUP_RECIPIENTS: 'age1notakey' })).toThrow(/FINHUB_BACKUP_RECIPIENTS/);
    expect(() => loadConfig({ FINHUB_BACKUP_SCHEDULE: '61 * * * *' })).toThrow(/FINHUB_BACKUP_SCHEDULE/);
    expect(() => loadConfig({ FINHUB_BACKUP_VERIFY_LEVEL: '5' })).toThrow(/FINHUB_BACKUP_VERIFY_LEVEL/);
  });
});
