// Random query trees drawn from the grammar, for round-trip and
// SQL-versus-brute-force property tests.
import fc from 'fast-check';
import { IS_VALUES, type AmountTest, type DateTest, type QueryNode } from '../../src/query/ast.ts';

const span = { offset: 0, length: 0 };

export interface Pools {
  payee: string[];
  account: string[];
  category: string[];
  tag: string[];
  notes: string[];
  regex: string[];
  text: string[];
}

const amountNumber = fc.oneof(
  fc.constantFrom('0', '1', '0.01', '12.34', '50', '20.00', '1234', '0.5', '.5', '99999', '12.345', '200'),
  fc.integer({ min: 0, max: 30000 }).map((n) => (n / 100).toFixed(2)),
);
const signedNumber = fc.tuple(fc.constantFrom('', '-', '+'), amountNumber).map(([s, n]) => s + n);

const amountTest = (signedOk: boolean): fc.Arbitrary<AmountTest> => {
  const num = signedOk ? signedNumber : amountNumber;
  return fc.oneof(
    fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom('=', '>', '>=', '<', '<=' as const), value: num }),
    fc.tuple(fc.option(num, { nil: undefined }), fc.option(num, { nil: undefined }))
      .filter(([a, b]) => a !== undefined || b !== undefined)
      .map(([from, to]) => ({ kind: 'range' as const, from, to })),
  );
};

const DATES = ['2023', '2023-10', '2023-11-05', '2023-12', '2024', '2024-01', '2024-01-15', '2024-02', '2024-02-29', '2024-03', '2024-03-15', '2024-04-01', '2024-04'];
const dateTest: fc.Arbitrary<DateTest> = fc.oneof(
  fc.constantFrom('today', 'yesterday', 'this-week', 'this-month', 'last-month', 'this-year', 'last-year', 'last-30-days', 'last-7-days', 'last-90-days').map((name) => ({ kind: 'relative' as const, name: name as never })),
  fc.constantFrom(...DATES).map((d) => ({ kind: 'range' as const, from: d, to: d })),
  fc.tuple(fc.integer({ min: 0, max: DATES.length - 1 }), fc.integer({ min: 0, max: DATES.length - 1 }), fc.constantFrom('both', 'from', 'to')).map(([a, b, open]) => {
    const [i, j] = [Math.min(a, b), Math.max(a, b)];
    const from = DATES[i]!;
    const to = DATES[j]!;
    return { kind: 'range' as const, from: open === 'to' ? undefined : from, to: open === 'from' ? undefined : to };
  }),
);

export function termArb(p: Pools): fc.Arbitrary<QueryNode> {
  const f = <T extends object>(a: fc.Arbitrary<T>) => a.map((t) => ({ kind: 'field' as const, span, ...t }) as unknown as QueryNode);
  return fc.oneof(
    f(fc.constantFrom(...p.payee).map((value) => ({ field: 'payee' as const, value }))),
    f(fc.constantFrom(...p.account).map((value) => ({ field: 'account' as const, value }))),
    f(fc.option(fc.constantFrom(...p.category), { nil: null }).map((value) => ({ field: 'category' as const, value }))),
    f(fc.constantFrom(...p.tag).map((value) => ({ field: 'tag' as const, value }))),
    f(fc.constantFrom(...p.notes).map((value) => ({ field: 'notes' as const, value, regex: false }))),
    f(fc.constantFrom(...p.regex).map((value) => ({ field: 'notes' as const, value, regex: true }))),
    f(amountTest(true).map((test) => ({ field: 'amount' as const, test }))),
    f(fc.tuple(fc.constantFrom('inflow' as const, 'outflow' as const), amountTest(false)).map(([field, test]) => ({ field, test }))),
    f(dateTest.map((test) => ({ field: 'date' as const, test }))),
    f(fc.constantFrom(...IS_VALUES).map((value) => ({ field: 'is' as const, value }))),
    fc.constantFrom(...p.text).map((value) => ({ kind: 'text' as const, value, span }) as QueryNode),
  );
}

/** Trees with flattened AND/OR of at least two items, as the parser builds them. */
export function queryArb(p: Pools): fc.Arbitrary<QueryNode> {
  const { tree } = fc.letrec<{ tree: QueryNode }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      termArb(p),
      fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((items) => ({ kind: 'and' as const, items: items.flatMap((i) => (i.kind === 'and' ? i.items : [i])), span })),
      fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((items) => ({ kind: 'or' as const, items: items.flatMap((i) => (i.kind === 'or' ? i.items : [i])), span })),
      tie('tree').map((item) => ({ kind: 'not' as const, item, span })),
    ),
  }));
  return tree;
}

/** Removes spans so trees from different texts compare equal. */
export function strip(n: QueryNode | undefined): unknown {
  return JSON.parse(JSON.stringify(n ?? null, (k, v) => (k === 'span' ? undefined : v)));
}
