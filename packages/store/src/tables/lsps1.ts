/**
 * The tables of LSPS1 channel orders and the on-chain refunds of orders paid on-chain.
 */
import type { OrderState } from '@blgv/core';
import type { ColumnType, Generated } from 'kysely';

/** `lsps1_orders`: LSPS1 channel orders and their state machine's state. */
export interface Lsps1OrdersTable {
  id: string;
  owner_kind: 'node' | 'tenant';
  owner: string;
  client_pubkey: string;
  client_host: string | null;
  lsp_balance_sat: bigint;
  client_balance_sat: bigint;
  required_channel_confirmations: number;
  funding_confirms_within_blocks: number;
  channel_expiry_blocks: number;
  token: string;
  refund_onchain_address: string | null;
  announce_channel: boolean;
  fee_total_sat: bigint;
  /** The part of `fee_total_sat` that pays the funding transaction (0007). */
  network_fee_sat: Generated<bigint>;
  funding_id: Generated<string | null>;
  order_total_sat: bigint;
  payment_hash: string;
  invoice: string;
  preimage_ciphertext: string;
  invoice_expires_at: Date;
  state: OrderState;
  failure: string | null;
  funding_txid: string | null;
  funding_output_index: number | null;
  funded_at: Date | null;
  /** A fresh address of ours, when the order may be paid on-chain (0006). */
  onchain_address: string | null;
  onchain_start_height: number | null;
  onchain_confirmations: number | null;
  onchain_expires_at: Date | null;
  /** When a payment to its address was last found after its watch ended (0036). */
  late_receipt_at: Generated<Date | null>;
  /** It ended still holding its client's coins, not refunded yet: kept in custody (0037). */
  holds_client_coins: Generated<boolean>;
  payment_method: 'bolt11' | 'onchain' | null;
  refund_txid: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `lsps1_refunds` (0008): one row per refund transaction broadcast, first refund and each bump. */
export interface Lsps1RefundsTable {
  txid: string;
  order_id: string;
  raw_tx: string;
  fee_rate_sat_per_vbyte: bigint;
  fee_sat: bigint;
  amount_sat: bigint;
  refund_address: string;
  replaced_by: string | null;
  confirmed_at: Date | null;
  /** `published`, `replaced` or `confirmed`, generated from the columns above (0009). */
  state: ColumnType<string, never, never>;
  created_at: ColumnType<Date, never, never>;
}
