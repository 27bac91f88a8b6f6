import { describe, expect, it } from 'vitest';
import { firstDay, isValidDateBound, lastDay, resolveDates } from './dates.ts';

const at = (iso: string) => new Date(iso);
const rel = (name: string, now: string) => resolveDates({ kind: 'relative', name: name as never }, at(now));

describe('dates', () => {
  it('expands bounds to whole periods', () => {
    expect([firstDay('2024'), lastDay('2024')]).toEqual(['2024-01-01', '2024-12-31']);
    expect([firstDay('2024-02'), lastDay('2024-02')]).toEqual(['2024-02-01', '2024-02-29']);
    expect(lastDay('2023-02')).toBe('2023-02-28');
    expect(lastDay('2024-03-15')).toBe('2024-03-15');
    expect(isValidDateBound('2023-02-29')).toBe(false);
    expect(isValidDateBound('0999')).toBe(false);
    expect(isValidDateBound('2024-00')).toBe(false);
  });

  it('resolves relative dates on the UTC calendar of now', () => {
    expect(rel('today', '2024-03-01T23:30:00-05:00')).toEqual({ from: '2024-03-02', to: '2024-03-02' });
    expect(rel('yesterday', '2024-03-01T10:00:00Z')).toEqual({ from: '2024-02-29', to: '2024-02-29' });
    expect(rel('last-month', '2024-01-15T00:00:00Z')).toEqual({ from: '2023-12-01', to: '2023-12-31' });
    expect(rel('last-month', '2024-03-31T12:00:00Z')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(rel('this-month', '2024-02-10T00:00:00Z')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(rel('this-year', '2024-06-01T00:00:00Z')).toEqual({ from: '2024-01-01', to: '2024-12-31' });
    expect(rel('last-year', '2024-06-01T00:00:00Z')).toEqual({ from: '2023-01-01', to: '2023-12-31' });
    expect(rel('last-30-days', '2024-03-20T08:00:00Z')).toEqual({ from: '2024-02-20', to: '2024-03-20' });
    expect(rel('last-1-days', '2024-03-20T08:00:00Z')).toEqual({ from: '2024-03-20', to: '2024-03-20' });
    // 2024-03-20 is a Wednesday; 2024-03-24 a Sunday.
    expect(rel('this-week', '2024-03-20T08:00:00Z')).toEqual({ from: '2024-03-18', to: '2024-03-24' });
    expect(rel('this-week', '2024-03-24T08:00:00Z')).toEqual({ from: '2024-03-18', to: '2024-03-24' });
  });

  it('keeps open range ends open', () => {
    expect(resolveDates({ kind: 'range', from: '2024-01', to: undefined }, at('2024-01-01T00:00:00Z'))).toEqual({ from: '2024-01-01', to: undefined });
    expect(resolveDates({ kind: 'range', from: undefined, to: '2024-03' }, at('2024-01-01T00:00:00Z'))).toEqual({ from: undefined, to: '2024-03-31' });
  });
});
