/**
 * The table of the event log (0009).
 */
import type { ColumnType, Generated } from 'kysely';

/** `events` (0009). */
export interface EventsTable {
  id: Generated<bigint>;
  position: bigint | null;
  /**
   * The writing transaction (0009's default). No longer read: kept so that a replica still
   * running the code from before can sequence during an upgrade.
   */
  xid: ColumnType<string, never, never>;
  at: ColumnType<Date, never, never>;
  subject_kind: string;
  subject_id: string;
  tenant_id: string | null;
  state: string;
  facts: ColumnType<Record<string, unknown>, string, never>;
}
