/**
 * The message of a request that fails its route's schema, for every route at once (Fastify's
 * `schemaErrorFormatter`): each problem as `<part><path> <what>`, joined with `, `, as Fastify
 * words them, except that a property the schema does not know is named
 * (`body has unknown property 'colour'`) where Ajv only says the part "must NOT have
 * additional properties".
 */
import type { FastifySchemaValidationError } from 'fastify';

/** One problem, worded. */
function problem(e: FastifySchemaValidationError, part: string): string {
  const where = `${part}${e.instancePath}`;
  const unknown = e.keyword === 'additionalProperties' ? e.params.additionalProperty : undefined;
  if (typeof unknown === 'string') return `${where} has unknown property '${unknown}'`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/**
 * The error a request failing validation is answered with (400 `invalid_input`, its message
 * naming every problem; a problem repeated, as Ajv's `allErrors` may report, is said once).
 */
export function validationError(errors: readonly FastifySchemaValidationError[], part: string): Error {
  return new Error([...new Set(errors.map((e) => problem(e, part)))].join(', '));
}
