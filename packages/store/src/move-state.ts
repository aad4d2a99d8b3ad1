/**
 * The one compare-and-set every machine's transition is stored with: the row's state moves
 * only from the state (or states) its writer read, so two runners can never both act on one
 * transition, and what the step records is written with it. The event log's trigger appends
 * the transition's event in the same statement.
 */
import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/** What a transition writes: the new state and the step's facts, camelCased (undefined: kept). */
export interface StateUpdate {
  readonly state: string;
}

/** A machine's table, with the column its state is in and any fact stored under another name. */
export interface StateColumns {
  readonly table: keyof Schema & string;
  /** Default `state`. */
  readonly stateColumn?: string;
  /** Facts whose column is not their snake_cased name (`{ outbound: 'outbound_sat' }`). */
  readonly rename?: Readonly<Record<string, string>>;
}

/**
 * Moves row `id` of `where.table` from `from` (one state or any of several) to `update.state`,
 * writing the update's defined facts and `updated_at`; false when the row was not in `from`.
 */
export async function moveState(
  db: Kysely<Schema>,
  where: StateColumns,
  id: string,
  from: string | readonly string[],
  update: StateUpdate,
): Promise<boolean> {
  const stateColumn = where.stateColumn ?? 'state';
  const set: Record<string, unknown> = { updated_at: new Date() };
  for (const [key, value] of Object.entries(update as object)) {
    if (value === undefined) continue;
    set[key === 'state' ? stateColumn : (where.rename?.[key] ?? snake(key))] = value;
  }
  // The table is chosen at run time; its columns were named by the typed repository calling.
  const table = where.table as 'lsps1_orders';
  const r = await db
    .updateTable(table)
    .set(set as never)
    .where('id', '=', id)
    .where(stateColumn as 'state', 'in', typeof from === 'string' ? [from as never] : (from as never[]))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
