/**
 * How many records an owner (a peer's node or a tenant), and everyone together, has in one
 * state: what the LSPS caps on strangers count.
 */
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** Counts of open records: the owner's, and everyone's. */
export interface OwnerCounts {
  readonly owner: number;
  readonly all: number;
}

/**
 * Records of `table` in `state` (and, with `validAfter`, whose `valid_until` is still ahead of
 * it): the owner's and everyone's, in one query.
 */
export async function ownerCounts(
  db: Kysely<Schema>,
  table: 'lsps1_orders' | 'lsps2_jit_channels',
  who: { readonly kind: 'node' | 'tenant'; readonly owner: string },
  state: string,
  validAfter?: Date,
): Promise<OwnerCounts> {
  const r = await sql<{ owner: string; all: string }>`
    select count(*) filter (where owner_kind = ${who.kind} and owner = ${who.owner}) as owner,
           count(*) as all
    from ${sql.table(table)}
    where state = ${state}${validAfter ? sql` and valid_until > ${validAfter}` : sql``}`.execute(db);
  const row = r.rows[0];
  return { owner: Number(row?.owner ?? 0), all: Number(row?.all ?? 0) };
}
