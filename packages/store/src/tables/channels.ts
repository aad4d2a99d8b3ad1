/**
 * The tables of channels the LSP opens: those sold over REST, and the funding transactions that
 * open them (one row per attempt).
 */
import type { ChannelRequestState, FundingState, Hex32, Outpoint, Pubkey } from '@blgv/core';
import type { ColumnType, Generated } from 'kysely';

/** States of a channel sold over REST (the machine in `core/channels`). */
export type { ChannelRequestState };

/** `channel_requests`: channels sold through the REST API. */
export interface ChannelRequestsTable {
  id: string;
  /** Insertion order, the key the tenant's list pages by (0015). */
  seq: ColumnType<bigint, never, never>;
  tenant_id: string;
  idempotency_key: string | null;
  /** Digest of the body the key was first used with (0010). */
  idempotency_fingerprint: string | null;
  client_pubkey: string;
  capacity_sat: bigint;
  push_sat: bigint;
  fee_rate_sat_per_vbyte: bigint | null;
  private: boolean;
  fee_sat: bigint;
  /** The channel's share of its funding transaction, charged (0007). */
  network_fee_sat: Generated<bigint>;
  funding_id: string | null;
  state: ChannelRequestState;
  funding_txid: string | null;
  funding_output_index: number | null;
  failure: string | null;
  estimated_blocks: number;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** Where a funding transaction is (the machine in `core/channels/funding-machine.ts`). */
export type { FundingState };

/** One channel of a funding transaction (an element of `channel_fundings.channels`). */
export interface FundingChannelRecord {
  /** Who the channel is for, e.g. `channel_request:<id>`. */
  readonly owner: string;
  readonly pendingChanId: Hex32;
  readonly remotePubkey: Pubkey;
  readonly amountSat: string;
}

/** `channel_fundings`. */
export interface ChannelFundingsTable {
  id: string;
  state: FundingState;
  fee_rate_sat_per_vbyte: bigint;
  lock_id: string;
  channels: ColumnType<FundingChannelRecord[], string, string>;
  txid: string | null;
  psbt: string | null;
  locked_inputs: ColumnType<Outpoint[] | null, string | null, string | null>;
  fee_sat: bigint | null;
  vsize: number | null;
  failure: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `unpaid_channels` (0032): channels the LSP closes because their client never paid (its expense). */
export interface UnpaidChannelsTable {
  /** The channel's owner in its funding (`jit:<id>`, `wrapped:<id>`). */
  id: string;
  created_at: ColumnType<Date, never, never>;
  state: 'closing' | 'not_open';
  client_pubkey: string;
  funding_id: string;
  channel_point: string;
  capacity_sat: bigint;
  funding_share_sat: bigint;
  closing_txid: string | null;
  /** What its close cost the LSP, once resolved (0038). */
  close_fee_sat: Generated<bigint | null>;
}
