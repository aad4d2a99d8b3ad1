/**
 * The error statuses a route documents in its OpenAPI schema, all with the one error shape.
 */
import { ErrorResponse } from '@blgv/protocol';

/** `{ [status]: ErrorResponse }` for each status given. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as Record<S, typeof ErrorResponse>;
}
