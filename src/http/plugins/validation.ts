// Two Ajv instances: bodies are validated strictly (no type coercion, unknown
// properties rejected by the schemas), query strings and params are coerced from
// text. Fastify's default would coerce `true` into 1 in a JSON body.
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function make(opts: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: true, ...opts });
  addFormats(ajv);
  ajv.addKeyword('example');
  return ajv;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = make({ coerceTypes: false, removeAdditional: false });
  const coercing = make({ coerceTypes: 'array', removeAdditional: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
