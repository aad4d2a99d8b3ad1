/**
 * The LSPS1 order object on the wire (bLIP-51), from a stored order. Payment options the LSP
 * does not offer are omitted (bLIP-51: `onchain` MUST be omitted without a refund address; we
 * offer no `bolt12`); `channel` is `null` until the funding transaction is published.
 */
import { lsps1OnchainPaymentState, lsps1OrderState, lsps1PaymentState, type OrderState } from '@blgv/core';
import type { Lsps1Order } from '@blgv/protocol';
import type { Lsps1OrderRecord } from '@blgv/store';

/** The order as `create_order` and `get_order` return it. */
export function orderToWire(r: Lsps1OrderRecord): Lsps1Order {
  const state = r.state as OrderState;
  const paidBy = r.payment_method ?? undefined;
  return {
    order_id: r.id,
    lsp_balance_sat: r.lsp_balance_sat.toString(),
    client_balance_sat: r.client_balance_sat.toString(),
    required_channel_confirmations: r.required_channel_confirmations,
    funding_confirms_within_blocks: r.funding_confirms_within_blocks,
    channel_expiry_blocks: r.channel_expiry_blocks,
    token: r.token,
    created_at: r.created_at.toISOString(),
    announce_channel: r.announce_channel,
    order_state: lsps1OrderState(state),
    payment: {
      bolt11: {
        state: lsps1PaymentState(state, paidBy),
        expires_at: r.invoice_expires_at.toISOString(),
        fee_total_sat: r.fee_total_sat.toString(),
        order_total_sat: r.order_total_sat.toString(),
        invoice: r.invoice,
      },
      ...(r.onchain_address && r.onchain_expires_at && r.refund_onchain_address
        ? {
            onchain: {
              state: lsps1OnchainPaymentState(state, paidBy),
              expires_at: r.onchain_expires_at.toISOString(),
              fee_total_sat: r.fee_total_sat.toString(),
              order_total_sat: r.order_total_sat.toString(),
              address: r.onchain_address,
              min_onchain_payment_confirmations: r.onchain_confirmations ?? 1,
              refund_onchain_address: r.refund_onchain_address,
            },
          }
        : {}),
    },
    channel:
      r.funding_txid && r.funded_at && r.funding_output_index !== null
        ? {
            funded_at: r.funded_at.toISOString(),
            funding_outpoint: `${r.funding_txid}:${r.funding_output_index}`,
            expires_at: new Date(r.funded_at.getTime() + r.channel_expiry_blocks * 600_000).toISOString(),
          }
        : null,
  };
}
