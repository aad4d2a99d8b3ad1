/**
 * Keyset paging of lists read newest first: a page is at most `limit` records whose key is
 * below `before`, read in descending key order, never with OFFSET. Keys only grow as rows are
 * inserted, so rows added while a reader pages never shift or repeat what it reads next.
 */
import { type SelectQueryBuilder, sql } from 'kysely';

/** Which page to read: `limit` records with keys below `before` (from the newest without it). */
export interface PageRequest {
  readonly limit: number;
  readonly before?: bigint;
}

/** A page of records, newest first; `next` (the key of its last record) is unset on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly next: bigint | undefined;
}

/**
 * Reads the page `page` asks for of `query`'s rows, keyed by their column `key` (an integer
 * that only grows), and maps each row shown with `map`.
 */
export async function readPage<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  key: keyof O & string,
  page: PageRequest,
  map: (row: O) => T,
): Promise<Page<T>> {
  const column = sql.ref(key);
  const below = page.before === undefined ? query : query.where(column, '<', page.before);
  const rows = (await below
    .orderBy(column, 'desc')
    .limit(page.limit + 1)
    .execute()) as O[];
  return toPage(rows, page.limit, (r) => BigInt(r[key] as bigint | number | string), map);
}

/**
 * The page of `rows` read with `limit + 1` in descending key order: the first `limit`, and the
 * key of the last of them as `next` when a row was left over (so an empty next page is never
 * handed out).
 */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  key: (row: R) => bigint,
  map: (row: R) => T,
): Page<T> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(map),
    next: rows.length > limit && last !== undefined ? key(last) : undefined,
  };
}
