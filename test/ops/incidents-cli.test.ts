// finhub incident open | ack | update | resolve | list | show | postmortem,
// run through the CLI's own command runner on a real database.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let dir: string;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out, err };
}

beforeAll(async () => {
  t = await createTestApp();
  dir = mkdtempSync(join(tmpdir(), 'finhub-pm-'));
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('finhub incident', () => {
  it('runs the whole lifecycle and writes the post-mortem', async () => {
    const open = await cli('incident', 'open', '--title', 'Login fails for some users', '--severity', 'P1', '--component', 'auth', '--component', 'api', '--by', 'cli:alice', '--json');
    expect(open.code).toBe(0);
    const i = JSON.parse(open.out[0]!);
    expect(i).toMatchObject({ severity: 'P1', status: 'triggered', components: ['api', 'auth'], created_by: 'cli:alice' });
    const ref = i.ref as string;

    expect((await cli('incident', 'ack', ref, '--by', 'cli:alice')).out).toEqual([`${ref} acknowledged: P1 acknowledged — Login fails for some users [api, auth]`]);
    expect((await cli('incident', 'update', ref, '--status', 'identified', '--note', 'session table bloat', '--root-cause', 'autovacuum disabled on sessions', '--impact', 'about 5% of logins failed for 40 minutes')).code).toBe(0);
    expect((await cli('incident', 'update', ref, '--status', 'monitoring')).code).toBe(0);
    const res = await cli('incident', 'resolve', ref, '--resolution', 'VACUUM FULL sessions; autovacuum re-enabled');
    expect(res.out[0]).toMatch(/resolved: P1 resolved/);

    const illegal = await cli('incident', 'update', ref, '--status', 'investigating');
    expect(illegal.code).toBe(3);
    expect(illegal.err[0]).toMatch(/resolved incidents are final\) \[CONFLICT\]$/);

    const list = await cli('incident', 'list');
    expect(list.out.some((l) => l.startsWith(ref) && l.includes('P1  resolved'))).toBe(true);
    const openOnly = await cli('incident', 'list', '--open', '--json');
    expect((JSON.parse(openOnly.out[0]!) as { ref: string }[]).some((x) => x.ref === ref)).toBe(false);

    const show = await cli('incident', 'show', ref);
    expect(show.out[0]).toBe(`${ref}  Login fails for some users`);
    expect(show.out.join('\n')).toMatch(/timeline:\n.*cli:alice\s+\[triggered\]/);
    expect(show.out.some((l) => l.includes('[acknowledged]'))).toBe(true);

    const out = join(dir, 'pm.md');
    const pm = await cli('incident', 'postmortem', ref, '--out', out);
    expect(pm.code).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(md).toContain('## Root cause\n\nautovacuum disabled on sessions\n');
    expect(md).toContain('## Impact\n\nabout 5% of logins failed for 40 minutes\n');
    expect(md).toContain('## Resolution\n\nVACUUM FULL sessions; autovacuum re-enabled\n');
    expect(md).toContain(`## Trigger\n\nTODO: fill in with \`finhub incident update ${ref} --trigger "…"\``);
    expect(md).toMatch(/\| Time to resolve \(MTTR\) \| .+ \|/);
    const stdout = await cli('incident', 'postmortem', ref);
    expect(stdout.out.join('\n') + '\n').toBe(md);
  });

  it('exits 2 on bad usage or input and 3 for an unknown incident', async () => {
    expect((await cli('incident', 'open', '--title', 'x')).code).toBe(2);
    expect((await cli('incident', 'open', '--title', 'x', '--severity', 'P5')).code).toBe(2);
    expect((await cli('incident', 'open', '--title', 'x', '--severity', 'P2', '--component', 'fridge')).err[0]).toMatch(/unknown component "fridge"/);
    expect((await cli('incident', 'ack')).code).toBe(2);
    expect((await cli('incident', 'ack', 'INC-424242')).code).toBe(3);
    expect((await cli('incident', 'list', '--limit', '0')).code).toBe(2);
  });
});
