// Shared TypeBox schemas. They validate requests, serialize responses and are
// the OpenAPI document at /api/openapi.json.
import { Type, type TSchema } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid', description: 'UUID' });
export const DateOnly = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'calendar date YYYY-MM-DD', example: '2026-01-31' });
// Services return Date objects; the serializer writes them as RFC 3339 text.
export const Timestamp = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }));
export const MinorUnits = Type.Integer({ description: 'amount in integer minor units of the currency (cents for USD, yen for JPY, fils for BHD); |value| <= 9007199254740991' });
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', example: 'USD' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String({ description: 'stable machine-readable error code' }),
    request_id: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 400, description: 'next_cursor from the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as ?cursor= for the next page; null on the last page' }) });

export const LedgerParams = Type.Object({ ledgerId: Type.String({ maxLength: 64 }) });
export const ByIdParams = Type.Object({ ledgerId: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 64 }) });
export const NoContent = Type.Null({ description: 'no content' });

/** Request bodies reject properties they do not know. */
export const Body = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { additionalProperties: false });
