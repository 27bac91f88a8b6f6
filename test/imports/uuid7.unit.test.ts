import { describe, expect, it } from 'vitest';
import { uuid7Sequence } from '../../src/imports/flow/uuid7.ts';
import { isUuid } from '../../src/shared/ids.ts';

describe('uuid7Sequence', () => {
  it('gives valid version-7 UUIDs that increase in generation order and never repeat', () => {
    const next = uuid7Sequence(Date.UTC(2026, 10, 24, 12, 0, 0));
    const ids = Array.from({ length: 20_000 }, () => next());
    for (const id of ids.slice(0, 50)) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]!);
      expect(id.slice(0, 13)).toBe('01a20d6d-5a00');
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // A later sequence sorts after an earlier one.
    expect(uuid7Sequence(Date.UTC(2026, 10, 24, 12, 0, 1))() > ids[ids.length - 1]!).toBe(true);
  });
});
