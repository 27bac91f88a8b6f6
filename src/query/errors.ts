import { AppError } from '../shared/app-error.ts';

/**
 * Everything wrong with a query — syntax, an unknown field, a bad value, a limit —
 * is this one error, pointing at the text: `offset` is 0-based, `column` is 1-based
 * (queries are one line; a newline counts as one character).
 */
export class QuerySyntaxError extends Error {
  readonly offset: number;
  readonly column: number;
  readonly token: string;
  readonly expected: string[];
  constructor(message: string, at: { offset: number; token?: string; expected?: string[] }) {
    super(message);
    this.name = 'QuerySyntaxError';
    this.offset = at.offset;
    this.column = at.offset + 1;
    this.token = at.token ?? '';
    this.expected = at.expected ?? [];
  }
}

/** The coded error the API and CLI report for a bad query in `field` (e.g. "/query/q"). */
export function queryAppError(e: QuerySyntaxError, field: string): AppError {
  return new AppError('QUERY_INVALID', e.message, {
    errors: [{ field, message: e.message }],
    details: { position: { offset: e.offset, column: e.column, token: e.token, expected: e.expected } },
  });
}
