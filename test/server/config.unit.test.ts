import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('config', () => {
  it('has defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('names every wrong variable and what is allowed', () => {
    try {
      loadConfig({ PORT: '99999', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain('PORT="99999" is not valid; allowed: integer 0-65535');
      expect(msg).toContain('DATABASE_URL');
      expect(msg).toContain('LOG_LEVEL');
    }
  });
});
