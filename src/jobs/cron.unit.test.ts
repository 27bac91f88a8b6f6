import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CRON_ALIASES, CronError, matches, nextAfter, parseCron } from './cron.ts';

const utc = (iso: string) => new Date(iso);
const next = (expr: string, iso: string) => nextAfter(expr, utc(iso)).toISOString();

describe('nextAfter (examples, UTC)', () => {
  it('steps through every-15-minutes slots', () => {
    expect(next('*/15 * * * *', '2024-01-01T00:07:30Z')).toBe('2024-01-01T00:15:00.000Z');
    expect(next('*/15 * * * *', '2024-01-01T00:15:00Z')).toBe('2024-01-01T00:30:00.000Z');
    expect(next('*/15 * * * *', '2024-01-01T23:59:59.999Z')).toBe('2024-01-02T00:00:00.000Z');
  });
  it('is strictly after the given instant, at a whole minute', () => {
    expect(next('* * * * *', '2024-05-05T10:00:00.000Z')).toBe('2024-05-05T10:01:00.000Z');
    expect(next('* * * * *', '2024-05-05T10:00:00.001Z')).toBe('2024-05-05T10:01:00.000Z');
  });
  it('rolls over hours, days, months and years', () => {
    expect(next('30 9 * * *', '2024-12-31T09:30:00Z')).toBe('2025-01-01T09:30:00.000Z');
    expect(next('0 0 1 * *', '2024-01-31T12:00:00Z')).toBe('2024-02-01T00:00:00.000Z');
    expect(next('0 12 31 * *', '2024-04-01T00:00:00Z')).toBe('2024-05-31T12:00:00.000Z');
  });
  it('finds 29 February in the next leap year, skipping 2100', () => {
    expect(next('0 0 29 2 *', '2024-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2096-03-01T00:00:00Z')).toBe('2104-02-29T00:00:00.000Z');
  });
  it('runs weekdays only with MON-FRI', () => {
    // 2024-06-07 is a Friday.
    expect(next('0 8 * * MON-FRI', '2024-06-07T09:00:00Z')).toBe('2024-06-10T08:00:00.000Z');
    expect(next('0 8 * * 1-5', '2024-06-07T09:00:00Z')).toBe('2024-06-10T08:00:00.000Z');
  });
  it('ORs day-of-month and day-of-week when both are restricted (Vixie)', () => {
    // The 13th OR any Friday. From Sat 2024-09-14 the Friday the 20th comes before October 13th;
    // from Sat 2024-10-12 the 13th (a Sunday) comes before Friday the 18th.
    expect(next('0 0 13 * 5', '2024-09-14T00:00:00Z')).toBe('2024-09-20T00:00:00.000Z');
    expect(next('0 0 13 * 5', '2024-10-12T00:00:00Z')).toBe('2024-10-13T00:00:00.000Z');
    // The 1st or a Sunday: from Mon 2024-07-29 the 1st of August (Thu) comes before Sunday the 4th.
    expect(next('0 0 1 * SUN', '2024-07-29T00:00:00Z')).toBe('2024-08-01T00:00:00.000Z');
  });
  it('ANDs them when a day field starts with * (Vixie: */2 counts as unrestricted)', () => {
    // Odd days that are also Mondays: 2024-07-01 (Mon, odd).
    expect(next('0 0 */2 * 1', '2024-06-20T00:00:00Z')).toBe('2024-07-01T00:00:00.000Z');
  });
  it('treats 7 and SUN as Sunday', () => {
    const expected = '2024-06-09T00:00:00.000Z';
    expect(next('0 0 * * 7', '2024-06-05T00:00:00Z')).toBe(expected);
    expect(next('0 0 * * 0', '2024-06-05T00:00:00Z')).toBe(expected);
    expect(next('0 0 * * sun', '2024-06-05T00:00:00Z')).toBe(expected);
    expect(parseCron('0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
  });
  it('understands the aliases', () => {
    const at = '2024-02-14T10:20:30Z';
    expect(next('@hourly', at)).toBe('2024-02-14T11:00:00.000Z');
    expect(next('@daily', at)).toBe('2024-02-15T00:00:00.000Z');
    expect(next('@midnight', at)).toBe('2024-02-15T00:00:00.000Z');
    expect(next('@weekly', at)).toBe('2024-02-18T00:00:00.000Z');
    expect(next('@monthly', at)).toBe('2024-03-01T00:00:00.000Z');
    expect(next('@yearly', at)).toBe('2025-01-01T00:00:00.000Z');
    expect(next('@annually', at)).toBe('2025-01-01T00:00:00.000Z');
  });
  it('parses lists, ranges with steps and month names', () => {
    const s = parseCron('1,5-9/2,40 0-23/6 1 JAN,mar-may/2 *');
    expect(s.minutes).toEqual([1, 5, 7, 9, 40]);
    expect(s.hours).toEqual([0, 6, 12, 18]);
    expect(s.months).toEqual([1, 3, 5]);
    expect(s.domRestricted).toBe(true);
    expect(s.dowRestricted).toBe(false);
  });
});

describe('parseCron errors name the field and token', () => {
  const cases: Array<[string, RegExp, string | undefined]> = [
    ['* * * *', /expected 5 fields .* got 4/, undefined],
    ['* * * * * *', /expected 5 fields .* got 6/, undefined],
    ['', /got 0/, undefined],
    ['60 * * * *', /minute: "60" is out of range \(allowed 0-59\)/, 'minute'],
    ['* 24 * * *', /hour: "24" is out of range/, 'hour'],
    ['* * 0 * *', /day-of-month: "0" is out of range \(allowed 1-31\)/, 'day-of-month'],
    ['* * * 13 *', /month: "13" is out of range \(allowed 1-12 or JAN-DEC\)/, 'month'],
    ['* * * FOO *', /month: "FOO" is not a number or name/, 'month'],
    ['* * * * 8', /day-of-week: "8" is out of range \(allowed 0-7 or SUN-SAT\)/, 'day-of-week'],
    ['* * * * MONDAY', /day-of-week: "MONDAY" is not a number or name/, 'day-of-week'],
    ['*/0 * * * *', /minute: step "0" in "\*\/0" must be a positive integer/, 'minute'],
    ['5/10 * * * *', /minute: step in "5\/10" needs a range or '\*'/, 'minute'],
    ['10-5 * * * *', /minute: range "10-5" runs backwards/, 'minute'],
    ['1,,2 * * * *', /minute: empty list item/, 'minute'],
    ['x * * * *', /minute: "x" is not a number \(allowed 0-59\)/, 'minute'],
    ['0 0 30 2 *', /day-of-month: no day in "30" exists in month\(s\) "2"/, 'day-of-month'],
    ['@reboot', /unknown alias "@reboot"/, undefined],
  ];
  for (const [expr, message, field] of cases) {
    it(`rejects ${JSON.stringify(expr)}`, () => {
      let caught: unknown;
      try {
        parseCron(expr);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CronError);
      const e = caught as CronError;
      expect(e.message).toMatch(message);
      expect(e.message).toContain(JSON.stringify(expr));
      expect(e.field).toBe(field);
    });
  }
  it('accepts 30 February when day-of-week is restricted too (OR semantics make it satisfiable)', () => {
    expect(next('0 0 30 2 MON', '2024-02-01T00:00:00Z')).toBe('2024-02-05T00:00:00.000Z');
  });
});

// ---- properties --------------------------------------------------------------

interface FieldGen {
  text: string;
  values: Set<number>;
}

interface Bounds {
  min: number;
  max: number;
  names?: readonly string[];
  nameBase?: number;
  dow?: boolean;
}

const MINUTE: Bounds = { min: 0, max: 59 };
const HOUR: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTH: Bounds = { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], nameBase: 1 };
const DOW: Bounds = { min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], nameBase: 0, dow: true };

const fold = (b: Bounds, v: number) => (b.dow && v === 7 ? 0 : v);

function valueArb(b: Bounds): fc.Arbitrary<{ text: string; n: number }> {
  return fc.integer({ min: b.min, max: b.max }).chain((n) => {
    const name = b.names?.[n - (b.nameBase ?? 0)];
    const spellings = [String(n), ...(name ? [name, name.toLowerCase()] : [])];
    return fc.constantFrom(...spellings).map((text) => ({ text, n }));
  });
}

function itemArb(b: Bounds): fc.Arbitrary<FieldGen> {
  const single = valueArb(b).map(({ text, n }) => ({ text, values: new Set([fold(b, n)]) }));
  const range = fc
    .tuple(valueArb(b), valueArb(b), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }))
    .map(([x, y, step]) => {
      const [lo, hi] = x.n <= y.n ? [x, y] : [y, x];
      const values = new Set<number>();
      for (let v = lo.n; v <= hi.n; v += step ?? 1) values.add(fold(b, v));
      return { text: `${lo.text}-${hi.text}${step ? `/${step}` : ''}`, values };
    });
  return fc.oneof(single, range);
}

function fieldArb(b: Bounds): fc.Arbitrary<FieldGen> {
  const top = b.dow ? 6 : b.max;
  const star = fc.constant({ text: '*', values: new Set(Array.from({ length: top - b.min + 1 }, (_, i) => b.min + i)) });
  const starStep = fc.integer({ min: 1, max: 30 }).map((s) => {
    const values = new Set<number>();
    for (let v = b.min; v <= top; v += s) values.add(v);
    return { text: `*/${s}`, values };
  });
  const list = fc.array(itemArb(b), { minLength: 1, maxLength: 3 }).map((items) => ({
    text: items.map((i) => i.text).join(','),
    values: new Set(items.flatMap((i) => [...i.values])),
  }));
  return fc.oneof({ arbitrary: star, weight: 3 }, { arbitrary: starStep, weight: 1 }, { arbitrary: list, weight: 3 });
}

const exprArb = fc.tuple(fieldArb(MINUTE), fieldArb(HOUR), fieldArb(DOM), fieldArb(MONTH), fieldArb(DOW)).map((fields) => ({
  text: fields.map((f) => f.text).join(' '),
  fields,
}));

type Expr = { text: string; fields: FieldGen[] };
const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function satisfiable(e: Expr): boolean {
  const [, , dom, month, dow] = e.fields as [FieldGen, FieldGen, FieldGen, FieldGen, FieldGen];
  if (!dow.text.startsWith('*')) return true;
  return [...month.values].some((m) => [...dom.values].some((d) => d <= MAX_DAYS[m - 1]!));
}

// Independent reference: Vixie day rule over the generated value sets.
function refDayMatches(e: Expr, y: number, mo: number, d: number): boolean {
  const [, , dom, month, dow] = e.fields as [FieldGen, FieldGen, FieldGen, FieldGen, FieldGen];
  const date = new Date(Date.UTC(y, mo, d));
  if (date.getUTCMonth() !== mo || !month.values.has(mo + 1)) return false;
  const domOk = dom.values.has(d);
  const dowOk = dow.values.has(date.getUTCDay());
  const star = dom.text.startsWith('*') || dow.text.startsWith('*');
  return star ? domOk && dowOk : domOk || dowOk;
}

const dateArb = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true });

describe('cron properties', () => {
  it('parses generated expressions into exactly the generated value sets', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        if (!satisfiable(e)) {
          expect(() => parseCron(e.text)).toThrow(CronError);
          return;
        }
        const s = parseCron(e.text);
        const [mi, h, dom, mo, dow] = e.fields as [FieldGen, FieldGen, FieldGen, FieldGen, FieldGen];
        expect(s.minutes).toEqual(sorted(mi.values));
        expect(s.hours).toEqual(sorted(h.values));
        expect(s.daysOfMonth).toEqual(sorted(dom.values));
        expect(s.months).toEqual(sorted(mo.values));
        expect(s.daysOfWeek).toEqual(sorted(dow.values));
        expect(s.domRestricted).toBe(!dom.text.startsWith('*'));
        expect(s.dowRestricted).toBe(!dow.text.startsWith('*'));
      }),
      { numRuns: 300 },
    );
  });

  it('nextAfter returns the first matching minute strictly after the date', () => {
    fc.assert(
      fc.property(exprArb, dateArb, (e, after) => {
        fc.pre(satisfiable(e));
        const got = nextAfter(e.text, after);
        expect(got.getTime()).toBeGreaterThan(after.getTime());
        expect(got.getUTCSeconds()).toBe(0);
        expect(got.getUTCMilliseconds()).toBe(0);
        expect(matches(e.text, got)).toBe(true);
        const [mi, h] = e.fields;
        expect(mi.values.has(got.getUTCMinutes())).toBe(true);
        expect(h.values.has(got.getUTCHours())).toBe(true);
        expect(refDayMatches(e, got.getUTCFullYear(), got.getUTCMonth(), got.getUTCDate())).toBe(true);
        // No earlier slot: walk the days from `after` to `got` with the reference rule.
        const hours = sorted(h.values);
        const minutes = sorted(mi.values);
        for (let day = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate()); day <= got.getTime(); day += 86_400_000) {
          const d = new Date(day);
          if (!refDayMatches(e, d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())) continue;
          for (const hh of hours) {
            for (const mm of minutes) {
              const t = day + hh * 3_600_000 + mm * 60_000;
              if (t > after.getTime() && t < got.getTime()) {
                throw new Error(`${e.text}: ${new Date(t).toISOString()} matches and is before ${got.toISOString()}`);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is stable: the slot is found again from just before it, and the next one is later', () => {
    fc.assert(
      fc.property(exprArb, dateArb, (e, after) => {
        fc.pre(satisfiable(e));
        const s = parseCron(e.text);
        const a = nextAfter(s, after);
        expect(nextAfter(s, new Date(a.getTime() - 1)).getTime()).toBe(a.getTime());
        expect(nextAfter(s, new Date(a.getTime() - 60_000 + 1)).getTime()).toBe(a.getTime());
        const b = nextAfter(s, a);
        expect(b.getTime()).toBeGreaterThan(a.getTime());
        expect(nextAfter(s, new Date(a.getTime() + 59_999)).getTime()).toBe(b.getTime());
      }),
      { numRuns: 200 },
    );
  });

  it('aliases, names and 7-for-Sunday agree with their numeric spellings', () => {
    const pairs: Array<[string, string]> = [
      ...Object.entries(CRON_ALIASES),
      ['0 9 * JAN-MAR MON-FRI', '0 9 * 1-3 1-5'],
      ['15 3 * * 7', '15 3 * * 0'],
      ['15 3 * * sun,SAT', '15 3 * * 0,6'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...pairs), dateArb, ([a, b], after) => {
        expect(nextAfter(a, after).getTime()).toBe(nextAfter(b, after).getTime());
      }),
      { numRuns: 200 },
    );
  });
});
