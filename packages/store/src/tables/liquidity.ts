/**
 * The tables of liquidity: reservations sold to tenants, and channels bought from an upstream
 * LSP.
 */
import type { PurchaseState, ReservationState } from '@blgv/core';
import type { ColumnType } from 'kysely';

/** `liquidity_reservations` (0004). */
export interface LiquidityReservationsTable {
  id: string;
  tenant_id: string;
  amount_sat: bigint;
  used_sat: ColumnType<bigint, bigint | undefined, bigint>;
  state: ReservationState;
  reservation_fee_sat: bigint;
  utilization_fee_ppm: bigint;
  fee_rate_ppm: bigint;
  max_fee_rate_ppm: bigint;
  duration_ms: bigint;
  expires_at: Date;
  external_reference: string | null;
  external_fee_sat: bigint | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** `liquidity_purchases`: channels bought from an upstream LSP (the purchase state machine). */
export interface LiquidityPurchasesTable {
  id: string;
  upstream_pubkey: string;
  amount_sat: bigint;
  max_fee_sat: bigint;
  order_id: string;
  lsp_balance_sat: bigint;
  client_balance_sat: bigint;
  fee_total_sat: bigint;
  order_total_sat: bigint;
  pay_address: string;
  refund_address: string;
  state: PurchaseState;
  failure: string | null;
  payment_txid: string | null;
  onchain_fee_sat: bigint | null;
  funding_outpoint: string | null;
  outbound_sat: bigint | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}
