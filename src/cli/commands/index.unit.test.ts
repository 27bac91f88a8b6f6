import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, loadAllCommands, loadCommandsFor } from './index.ts';

describe('the lazy command table', () => {
  it('declares the first word of every command its module defines, and no other', async () => {
    for (const m of COMMAND_MODULES) {
      const words = new Set((await m.load()).map((c) => c.name.split(' ')[0]!));
      expect([...words].sort(), m.load.toString()).toEqual([...m.words].sort());
    }
  });

  it('finds every command by its own name, and names are unique', async () => {
    const all = await loadAllCommands();
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    for (const c of all) expect((await loadCommandsFor(c.name.split(' '))).map((x) => x.name)).toContain(c.name);
    expect(await loadCommandsFor(['no-such-command'])).toEqual([]);
  });
});
