// Pure parts of incidents: the lifecycle table, the API enums agreeing with
// the model, the Alertmanager mapping helpers and the token comparison.
import { describe, expect, it } from 'vitest';
import { componentsOf, digestOf, severityOf, tokenMatches } from '../../src/ops/incidents/alertmanager.ts';
import { Component, Severity, Status } from '../../src/ops/incidents/incidents.routes.ts';
import { allowedNext, canTransition, COMPONENTS, SEVERITIES, STATUSES } from '../../src/ops/incidents/model.ts';
import { formatSeconds } from '../../src/ops/incidents/postmortem.ts';

describe('lifecycle', () => {
  it('allows exactly these transitions', () => {
    const table = Object.fromEntries(STATUSES.map((s) => [s, allowedNext(s)]));
    expect(table).toEqual({
      triggered: ['acknowledged', 'investigating', 'identified', 'monitoring', 'resolved'],
      acknowledged: ['investigating', 'identified', 'monitoring', 'resolved'],
      investigating: ['identified', 'monitoring', 'resolved'],
      identified: ['investigating', 'monitoring', 'resolved'],
      monitoring: ['investigating', 'identified', 'resolved'],
      resolved: [],
    });
    for (const s of STATUSES) {
      expect(canTransition(s, s)).toBe(false);
      expect(canTransition(s, 'triggered')).toBe(false);
    }
  });

  it('the API schemas list the same values as the model', () => {
    const values = (schema: { anyOf: { const: string }[] }) => schema.anyOf.map((x) => x.const);
    expect(values(Status as never)).toEqual([...STATUSES]);
    expect(values(Severity as never)).toEqual([...SEVERITIES]);
    expect(values(Component as never)).toEqual([...COMPONENTS]);
  });
});

describe('Alertmanager mapping', () => {
  it('maps severities and components', () => {
    expect(severityOf({ incident_severity: 'P2', severity: 'critical' })).toBe('P2');
    expect(severityOf({ incident_severity: 'urgent', severity: 'critical' })).toBe('P1');
    expect(severityOf({ severity: 'warning' })).toBe('P3');
    expect(severityOf({})).toBe('P3');
    expect(componentsOf({ component: 'API, jobs,nope' })).toEqual(['api', 'jobs']);
    expect(componentsOf({ component: '' })).toEqual([]);
    expect(componentsOf({ alertname: 'JobQueueLag' })).toEqual([]);
  });

  it('digests alert content independent of label order', () => {
    const a = { status: 'firing', labels: { a: '1', b: '2' }, annotations: { s: 'x' }, startsAt: '2031-01-01T00:00:00Z' };
    expect(digestOf(a)).toBe(digestOf({ ...a, labels: { b: '2', a: '1' } }));
    expect(digestOf(a)).not.toBe(digestOf({ ...a, annotations: { s: 'y' } }));
    expect(digestOf(a)).not.toBe(digestOf({ ...a, startsAt: '2031-01-01T00:00:01Z' }));
  });

  it('compares tokens exactly, refusing empty ones', () => {
    expect(tokenMatches('secret-token-123456', 'secret-token-123456')).toBe(true);
    expect(tokenMatches('secret-token-12345', 'secret-token-123456')).toBe(false);
    expect(tokenMatches('secret-token-123456x', 'secret-token-123456')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token-123456')).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
    expect(tokenMatches('anything', undefined)).toBe(false);
  });
});

describe('durations in the post-mortem', () => {
  it('reads well', () => {
    expect(formatSeconds(null)).toBe('n/a');
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(600)).toBe('10 min');
    expect(formatSeconds(3 * 3600 + 60)).toBe('3 h 1 min');
    expect(formatSeconds(90_000)).toBe('1 d 1 h');
  });
});
