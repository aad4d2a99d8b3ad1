/**
 * What every REST resource shares: the error body, the `:id` path param and the list query.
 * The resources' shapes are in their own files (`channels-rest.ts`, `accounts-rest.ts`, ...):
 * the server validates with them and generates its OpenAPI document from them; the SDK derives
 * its types from them. Sat amounts are JSON integers (never fractions); ids are strings.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LIST_PAGE, PageQuery } from './paging.ts';

/** Every error: `{ error: { code, message, details? } }`. */
export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'stable machine-readable code' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) }, { additionalProperties: false });

/** `?limit=&cursor=` of a list of the tenant's records, newest first (channels, payments). */
export const ListQuery = PageQuery(LIST_PAGE, 'records');
export type ListQuery = Static<typeof ListQuery>;
