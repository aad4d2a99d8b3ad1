/**
 * The table of LSPS2 JIT channels.
 */
import type { JitChannelState } from '@blgv/core';
import type { ColumnType } from 'kysely';

/** `lsps2_jit_channels`: one row per `lsps2.buy`. Amounts are bigint msat (sat for capacity). */
export interface Lsps2JitChannelsTable {
  id: string;
  owner_kind: 'node' | 'tenant';
  owner: string;
  client_pubkey: string;
  /** Decimal: scids in the alias range do not fit a signed bigint column. */
  jit_scid: string;
  min_fee_msat: bigint;
  proportional: bigint;
  valid_until: Date;
  min_lifetime: number;
  max_client_to_self_delay: number;
  min_payment_size_msat: bigint;
  max_payment_size_msat: bigint;
  payment_size_msat: bigint | null;
  state: JitChannelState;
  payment_hash: string | null;
  fee_msat: bigint | null;
  channel_capacity_sat: bigint | null;
  funding_txid: string | null;
  funding_output_index: number | null;
  /** The funding transaction it was committed in (0007). */
  funding_id: ColumnType<string | null, string | null | undefined, string | null>;
  channel_scid: string | null;
  failure: string | null;
  /** bLIP-52 `client_trusts_lsp` as `lsps2.buy` answered it: the funding waits for the preimage (0024). */
  client_trusts_lsp: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}
