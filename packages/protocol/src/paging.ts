/**
 * Keyset paging on the wire, one shape for every list read newest first (`GET /v1/channels`,
 * `/v1/payments`, `/v1/account/ledger`, `/v1/nodes`, a webhook's deliveries, a node's
 * forwarding events): `?limit=&cursor=` asks for
 * a page, the answer's `nextCursor` continues with older records and is `null` on the last page.
 * A cursor is the key of the last record shown (a position that only grows as records are
 * added), so records added while a client pages never shift or repeat a page.
 */
import { Type } from '@sinclair/typebox';

/** How a list pages: at most `max` records per page, `byDefault` when `limit` is not given. */
export interface PageSize {
  readonly max: number;
  readonly byDefault: number;
}

/** Channels, payments, hosted nodes, forwarding events: 50 a page unless asked, at most 500. */
export const LIST_PAGE: PageSize = { max: 500, byDefault: 50 };

/** Ledger entries: 100 a page unless asked, at most 1000. */
export const LEDGER_PAGE: PageSize = { max: 1000, byDefault: 100 };

/** A webhook's deliveries: 100 a page unless asked (as before it paged), at most 500. */
export const DELIVERY_PAGE: PageSize = { max: 500, byDefault: 100 };

/** `?cursor=`: the previous page's `nextCursor`. */
export const Cursor = Type.String({
  pattern: '^[0-9]{1,18}$',
  description: "the previous page's nextCursor: the page of older records that follows it",
});

/** `nextCursor` of a page. */
export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'pass as `cursor` for the next (older) page; null on the last page',
});

/** The `limit` and `cursor` fields of a paged query, to spread into a query object. */
export function pageQueryFields(size: PageSize, what: string) {
  return {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: size.max,
        description: `${what} per page (default ${size.byDefault}, at most ${size.max})`,
      }),
    ),
    cursor: Type.Optional(Cursor),
  };
}

/** `?limit=&cursor=` of a list read newest first. */
export function PageQuery(size: PageSize, what: string) {
  return Type.Object(pageQueryFields(size, what), { additionalProperties: false });
}

/** What a `?limit=&cursor=` query asks for. */
export interface PageParams {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

/**
 * The page a query asks for: `limit` (or the list's default) records whose key is below the
 * cursor's, from the newest when there is no cursor. The cursor was validated by {@link Cursor}.
 */
export function pageRequest(
  query: PageParams,
  size: PageSize,
): { readonly limit: number; readonly before?: bigint } {
  return {
    limit: query.limit ?? size.byDefault,
    ...(query.cursor !== undefined ? { before: BigInt(query.cursor) } : {}),
  };
}

/** The `nextCursor` of a page whose next page starts below `next` (none: the last page). */
export function nextCursor(next: bigint | undefined): string | null {
  return next === undefined ? null : next.toString();
}
