/**
 * The tables the node monitor writes (0014): each node's latest snapshot, its forwards and the
 * payments it sent, keyed by node id (`lsp` for the LSP's own node).
 */
import type { OwnPaymentPurpose, PaymentPurpose } from '@blgv/core';
import type { ColumnType } from 'kysely';

/** `node_snapshots`. */
export interface NodeSnapshotsTable {
  node_id: string;
  taken_at: Date;
  channel_count: number;
  active_channels: number;
  pending_channels: number;
  total_capacity_sat: bigint;
  local_balance_sat: bigint;
  remote_balance_sat: bigint;
  pending_balance_sat: bigint;
  onchain_confirmed_sat: bigint;
  onchain_unconfirmed_sat: bigint;
  peers: number;
  block_height: number;
  synced: boolean;
}

/** `node_forwards`. */
export interface NodeForwardsTable {
  node_id: string;
  idx: bigint;
  at: Date;
  chan_in: string;
  chan_out: string;
  amt_in_msat: bigint;
  amt_out_msat: bigint;
  fee_msat: bigint;
}

/** `node_payments`. */
export interface NodePaymentsTable {
  node_id: string;
  payment_index: bigint;
  status: 'in_flight' | 'succeeded' | 'failed';
  created_at: Date;
  amount_msat: bigint;
  fee_msat: bigint;
  /** (0021; `null` in rows read before it.) */
  payment_hash: string | null;
  /** What it was for (0021): always `tenant` on a hosted node. */
  purpose: PaymentPurpose;
}

/** `lsp_own_payments` (0021): the payments the LSP makes itself, recorded before they are sent. */
export interface LspOwnPaymentsTable {
  payment_hash: string;
  purpose: OwnPaymentPurpose;
  created_at: ColumnType<Date, Date | undefined, never>;
}
