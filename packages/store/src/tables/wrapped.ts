/**
 * The tables of wrapped invoices (Flow 2.0 JIT channels): fee quotes, and one row per wrapping.
 */
import type { WrappedInvoiceState } from '@blgv/core';
import type { ColumnType } from 'kysely';

/** `wrapped_fee_quotes`: a fee quoted for a wallet and an amount, until it expires. */
export interface WrappedFeeQuotesTable {
  id: string;
  tenant_id: string | null;
  wallet_pubkey: string;
  amount_msat: bigint;
  fee_msat: bigint;
  fee_rate_sat_per_vbyte: bigint;
  expires_at: Date;
  created_at: ColumnType<Date, never, never>;
}

/** `wrapped_invoices`: one row per wrapped invoice. Amounts are bigint msat (sat for capacity). */
export interface WrappedInvoicesTable {
  id: string;
  fee_id: string;
  tenant_id: string | null;
  wallet_pubkey: string;
  payment_hash: string;
  wallet_invoice: string;
  wallet_amount_msat: bigint;
  wallet_cltv: number;
  fee_msat: bigint;
  wrapped_invoice: string;
  wrapped_cltv: number;
  expires_at: Date;
  state: WrappedInvoiceState;
  channel_capacity_sat: bigint | null;
  funding_id: string | null;
  funding_txid: string | null;
  funding_output_index: number | null;
  channel_scid: string | null;
  preimage: string | null;
  failure: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}
