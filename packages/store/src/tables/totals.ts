/**
 * The running totals (0025): what `/metrics` reports since the start, kept by triggers in the
 * statement that writes each row they sum (see the migration). Read only; nothing in
 * TypeScript writes them.
 */
import type { PaymentPurpose } from '@blgv/core';

/** `ledger_totals`: each tenant's ledger entries summed by kind. */
export interface LedgerTotalsTable {
  tenant_id: string;
  kind: string;
  entries: bigint;
  amount_sat: bigint;
}

/** `reservation_totals` (0030): each tenant's active reservations, `amount_sat - used_sat` summed. */
export interface ReservationTotalsTable {
  tenant_id: string;
  reserved_sat: bigint;
}

/** `forward_totals`: each node's stored forwards by channel pair (msat). */
export interface ForwardTotalsTable {
  node_id: string;
  chan_in: string;
  chan_out: string;
  forwards: bigint;
  amt_out_msat: bigint;
  fee_msat: bigint;
}

/** `payment_totals`: each node's ended payments by purpose and status. */
export interface PaymentTotalsTable {
  node_id: string;
  purpose: PaymentPurpose;
  status: 'succeeded' | 'failed';
  payments: bigint;
}

/** The rows of `business_totals`. */
export type BusinessTotalName =
  | 'channel_sales'
  | 'push_margin'
  | 'jit_opened'
  | 'jit_opening_fees'
  | 'routing'
  | 'rebalances'
  | 'wrapped_fees'
  | 'unpaid_channels'
  | 'unpaid_channel_closes';

/** `business_totals`: the LSP's own figures, one row each. */
export interface BusinessTotalsTable {
  name: BusinessTotalName;
  count: bigint;
  amount_msat: bigint;
}
