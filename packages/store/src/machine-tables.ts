/**
 * Where each state machine's state is stored, and the SQL check on that column, made from the
 * machine's own state list: adding a state to a machine in `core` is the one edit (the check
 * follows at the next start, in the migration transaction), and a state the machine does not
 * know can never be written.
 */
import {
  channelRequestMachine,
  fundingMachine,
  hostedNodeMachine,
  jitChannelMachine,
  orderMachine,
  paymentMachine,
  purchaseMachine,
  reservationMachine,
  webhookDeliveryMachine,
  wrappedInvoiceMachine,
} from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';

/** A table holding one machine's state. */
export interface MachineTable {
  readonly table: keyof Schema & string;
  /** The state column. */
  readonly column: string;
  /** Every state the machine has. */
  readonly states: readonly string[];
}

/** Every table that holds a machine's state. */
export const MACHINE_TABLES: readonly MachineTable[] = [
  { table: 'channel_requests', column: 'state', states: channelRequestMachine.states },
  { table: 'channel_fundings', column: 'state', states: fundingMachine.states },
  { table: 'lsps1_orders', column: 'state', states: orderMachine.states },
  { table: 'lsps2_jit_channels', column: 'state', states: jitChannelMachine.states },
  { table: 'liquidity_reservations', column: 'state', states: reservationMachine.states },
  { table: 'liquidity_purchases', column: 'state', states: purchaseMachine.states },
  { table: 'hosted_nodes', column: 'state', states: hostedNodeMachine.states },
  { table: 'payments', column: 'status', states: paymentMachine.states },
  { table: 'webhook_deliveries', column: 'state', states: webhookDeliveryMachine.states },
  { table: 'lsps5_notifications', column: 'state', states: webhookDeliveryMachine.states },
  { table: 'wrapped_invoices', column: 'state', states: wrappedInvoiceMachine.states },
];

/** The name of a machine table's state check. */
export function stateCheckName(t: MachineTable): string {
  return `${t.table}_${t.column}_check`;
}

/**
 * Makes each machine table's state check admit exactly its machine's states; a check that
 * already does is left alone (no lock, no scan). Runs inside the migration transaction.
 */
export async function syncStateChecks(db: Kysely<Schema>, tables = MACHINE_TABLES): Promise<string[]> {
  const changed: string[] = [];
  for (const t of tables) {
    const name = stateCheckName(t);
    // A database migrated only part of the way (a store test's) may not have the table yet.
    const present = await sql<{ t: string | null }>`select to_regclass(${t.table})::text as t`.execute(db);
    if (!present.rows[0]?.t) continue;
    const wanted = [...t.states].sort();
    const existing = await sql<{ def: string }>`
      select pg_get_constraintdef(c.oid) as def from pg_constraint c
      where c.conname = ${name} and c.conrelid = ${t.table}::regclass`.execute(db);
    const def = existing.rows[0]?.def;
    if (def !== undefined && sameStates(statesOfCheck(def), wanted)) continue;
    const list = sql.join(wanted.map((s) => sql.lit(s)));
    await sql`alter table ${sql.table(t.table)} drop constraint if exists ${sql.id(name)}`.execute(db);
    await sql`alter table ${sql.table(t.table)} add constraint ${sql.id(name)}
      check (${sql.ref(t.column)} in (${list}))`.execute(db);
    changed.push(name);
  }
  return changed;
}

/** The quoted literals of a check's definition (`CHECK ((state = ANY (ARRAY['a'::text, ...])))`). */
export function statesOfCheck(def: string): string[] {
  return [...def.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'")).sort();
}

function sameStates(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
