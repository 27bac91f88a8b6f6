// README's "Configuration" table must list exactly the variables declared in
// CONFIG_VARS, each with the default the code uses and the values it accepts,
// so the documentation cannot drift from src/config/config.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARS } from '../../src/config/config.ts';

interface Row {
  variable: string;
  default: string;
  allowed: string;
  description: string;
}

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The lines of the "## Configuration" section (up to the next level-2 heading). */
function configurationSection(markdown: string): string[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => /^##\s+Configuration\s*$/.test(l));
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^##\s/.test(l));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Splits a Markdown table row on unescaped pipes; "\|" inside a cell stays a literal pipe. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Cell text without the code-span backticks around it. */
const plain = (cell: string) => cell.replace(/^`(.*)`$/, '$1').trim();

function parseTable(section: string[]): Row[] {
  const table = section.filter((l) => l.trim().startsWith('|'));
  if (table.length < 3) throw new Error('the Configuration section has no Markdown table');
  const header = cells(table[0]!).map((h) => h.toLowerCase());
  expect(header).toEqual(['variable', 'default', 'allowed', 'description']);
  expect(table[1]).toMatch(/^\|(\s*:?-{3,}:?\s*\|)+$/);
  return table.slice(2).map((line) => {
    const c = cells(line);
    if (c.length !== 4) throw new Error(`table row does not have 4 cells: ${line}`);
    return { variable: plain(c[0]!), default: plain(c[1]!), allowed: c[2]!, description: c[3]! };
  });
}

describe('README configuration table', () => {
  const rows = parseTable(configurationSection(README));
  const byName = new Map(rows.map((r) => [r.variable, r]));

  it('has one row per variable, no duplicates', () => {
    expect(rows.length).toBe(byName.size);
  });

  it('lists exactly the variables of CONFIG_VARS, in the same order', () => {
    expect(rows.map((r) => r.variable)).toEqual(CONFIG_VARS.map((v) => v.name));
  });

  it.each(CONFIG_VARS.map((v) => [v.name, v] as const))('%s: default, allowed values and a description', (name, spec) => {
    const row = byName.get(name);
    expect(row, `${name} is missing from the README table`).toBeDefined();
    if (spec.default === undefined) expect(row!.default).toMatch(/^\(?unset\)?$/i);
    else expect(row!.default, `${name} default`).toBe(spec.default);
    expect(row!.allowed, `${name} allowed values`).toBe(spec.allowed);
    expect(row!.description.length, `${name} needs a description`).toBeGreaterThan(10);
  });

  it('documents a default the parser accepts', () => {
    // A default the code itself rejects would make the documented value a lie.
    for (const spec of CONFIG_VARS) {
      if (spec.default === undefined) continue;
      expect((spec.parse as (raw: string) => unknown)(spec.default), spec.name).not.toBeUndefined();
    }
  });
});
