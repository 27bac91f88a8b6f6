// Recursive-descent parser. Precedence, tightest first: NOT / -, AND (also by
// juxtaposition), OR. Nested ANDs and ORs are flattened, so a printed query
// parses back to the same tree.
import type { QueryNode, Query, Span } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';
import { fieldTerm } from './fields.ts';
import { tokenize, type Token } from './lexer.ts';

export const MAX_QUERY_LENGTH = 1000;
export const MAX_DEPTH = 20;
export const MAX_TERMS = 50;

const col = (offset: number) => offset + 1;
const show = (t: Token) => (t.type === 'term' ? `'${t.text}'` : `'${t.text}'`);
const spanOf = (a: Span, b: Span): Span => ({ offset: a.offset, length: b.offset + b.length - a.offset });
const STARTS_TERM = new Set<Token['type']>(['term', 'lparen', 'not', 'minus']);

class Parser {
  private i = 0;
  private terms = 0;
  constructor(private readonly toks: Token[], private readonly text: string) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }

  private expectTermAfter(op: Token): void {
    const next = this.peek();
    if (next && STARTS_TERM.has(next.type)) return;
    const where = next ? next.offset : this.text.length;
    throw new QuerySyntaxError(
      `expected a search term after ${show(op)} at column ${col(op.offset)}${next ? `, found ${show(next)} at column ${col(next.offset)}` : ' but the query ends'}`,
      { offset: where, token: next?.text ?? '', expected: ['a search term', '('] },
    );
  }

  parse(): QueryNode | undefined {
    if (this.toks.length === 0) return undefined;
    const root = this.or(0);
    const rest = this.peek();
    if (rest) {
      // Only a stray ')' can stop the top-level OR early.
      throw new QuerySyntaxError(`unexpected ')' at column ${col(rest.offset)}: no parenthesis is open`, { offset: rest.offset, token: rest.text, expected: ['a search term', 'OR', 'the end of the query'] });
    }
    return root;
  }

  private or(depth: number): QueryNode {
    const items = [this.and(depth)];
    for (let t = this.peek(); t?.type === 'or'; t = this.peek()) {
      this.i++;
      this.expectTermAfter(t);
      items.push(this.and(depth));
    }
    return this.group('or', items);
  }

  private and(depth: number): QueryNode {
    const items = [this.unary(depth)];
    for (;;) {
      const t = this.peek();
      if (t?.type === 'and') {
        this.i++;
        this.expectTermAfter(t);
      } else if (!t || !STARTS_TERM.has(t.type)) {
        break;
      }
      items.push(this.unary(depth));
    }
    return this.group('and', items);
  }

  private group(kind: 'and' | 'or', items: QueryNode[]): QueryNode {
    if (items.length === 1) return items[0]!;
    const flat = items.flatMap((n) => (n.kind === kind ? n.items : [n]));
    return { kind, items: flat, span: spanOf(items[0]!.span, items[items.length - 1]!.span) };
  }

  private enter(depth: number, t: Token): number {
    if (depth + 1 > MAX_DEPTH) throw new QuerySyntaxError(`the query nests deeper than ${MAX_DEPTH} levels at column ${col(t.offset)}`, { offset: t.offset, token: t.text, expected: [`at most ${MAX_DEPTH} levels of parentheses and NOT`] });
    return depth + 1;
  }

  private unary(depth: number): QueryNode {
    const t = this.peek()!;
    if (t.type === 'not' || t.type === 'minus') {
      this.i++;
      this.expectTermAfter(t);
      const item = this.unary(this.enter(depth, t));
      return { kind: 'not', item, span: spanOf(t, item.span) };
    }
    return this.primary(depth);
  }

  private primary(depth: number): QueryNode {
    const t = this.peek()!;
    this.i++;
    switch (t.type) {
      case 'lparen': {
        const inner = this.enter(depth, t);
        const next = this.peek();
        if (next?.type === 'rparen') throw new QuerySyntaxError(`empty parentheses at column ${col(t.offset)}: expected a search term inside`, { offset: next.offset, token: ')', expected: ['a search term'] });
        if (!next) throw new QuerySyntaxError(`unclosed parenthesis opened at column ${col(t.offset)}`, { offset: this.text.length, token: '(', expected: ['a search term', ')'] });
        if (next.type === 'or' || next.type === 'and') throw new QuerySyntaxError(`${show(next)} at column ${col(next.offset)} needs a search term before it`, { offset: next.offset, token: next.text, expected: ['a search term'] });
        const node = this.or(inner);
        const close = this.peek();
        if (close?.type !== 'rparen') throw new QuerySyntaxError(`unclosed parenthesis opened at column ${col(t.offset)}`, { offset: close?.offset ?? this.text.length, token: '(', expected: [')'] });
        this.i++;
        return node;
      }
      case 'term': {
        if (++this.terms > MAX_TERMS) throw new QuerySyntaxError(`the query has more than ${MAX_TERMS} search terms (at column ${col(t.offset)})`, { offset: t.offset, token: t.text, expected: [`at most ${MAX_TERMS} terms`] });
        const span = { offset: t.offset, length: t.length };
        if (!t.field) return { kind: 'text', value: t.value, span };
        return { kind: 'field', span, ...fieldTerm(t) };
      }
      case 'rparen':
        throw new QuerySyntaxError(`unexpected ')' at column ${col(t.offset)}: no parenthesis is open`, { offset: t.offset, token: ')', expected: ['a search term'] });
      default:
        // 'and' / 'or' where a term should start (not/minus are handled by unary).
        throw new QuerySyntaxError(`${show(t)} at column ${col(t.offset)} needs a search term before it`, { offset: t.offset, token: t.text, expected: ['a search term'] });
    }
  }
}

/** Parses query text; throws QuerySyntaxError (and nothing else) for any bad input. */
export function parseQuery(text: string): Query {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(`the query is ${text.length} characters long; at most ${MAX_QUERY_LENGTH} are allowed`, { offset: MAX_QUERY_LENGTH, token: '', expected: [`at most ${MAX_QUERY_LENGTH} characters`] });
  }
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const ctl = text.search(/[\u0000-\u0008\u000e-\u001f\u007f]/);
  if (ctl >= 0) throw new QuerySyntaxError(`the query contains a control character at column ${ctl + 1}`, { offset: ctl, token: text[ctl]!, expected: ['printable text'] });
  return { text, root: new Parser(tokenize(text), text).parse() };
}
