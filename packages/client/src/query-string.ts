/**
 * Query strings of the client's list calls.
 */
import type { LedgerQuery, ListQuery } from '@blgv/protocol';

/** A page query, from the bare `limit` the list methods once took or from `{ limit?, cursor? }`. */
export function pageQuery(query: ListQuery | LedgerQuery | number): ListQuery | LedgerQuery {
  return typeof query === 'number' ? { limit: query } : query;
}

/** `?a=1&b=2` of the defined values, or nothing. */
export function queryString(query: Readonly<Record<string, string | number | undefined>>): string {
  const entries = Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)]))}`;
}
