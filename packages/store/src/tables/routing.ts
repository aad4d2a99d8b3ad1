/**
 * The tables of the routing room (0020).
 */
import type { ColumnType } from 'kysely';

/** `routing_fee_changes` (0020): every fee the routing-fees job set, or would set in dry-run. */
export interface RoutingFeeChangesTable {
  id: string;
  created_at: ColumnType<Date, never, never>;
  channel_point: string;
  scid: string;
  state: 'applied' | 'dry_run';
  base_fee_msat: bigint;
  fee_rate_ppm: bigint;
  previous_fee_rate_ppm: bigint;
  inbound_fee_rate_ppm: bigint;
  outbound_share_ppm: bigint;
  reason: string;
}

/** `routing_policy` (0020): the routing policy's settings as changed at runtime (one row). */
export interface RoutingPolicyTable {
  id: number;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `rebalances` (0022): every circular payment the routing-rebalance job made, refused or saw fail. */
export interface RebalancesTable {
  id: string;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
  state: 'sending' | 'succeeded' | 'refused' | 'failed';
  source_channel_point: string;
  source_scid: string;
  target_channel_point: string;
  target_scid: string;
  target_peer: string;
  amount_sat: bigint;
  max_fee_msat: bigint;
  fee_msat: bigint | null;
  payment_hash: string | null;
  reason: string;
}
