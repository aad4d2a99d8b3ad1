/**
 * The LSPS1 order object on the wire (bLIP-51), from a stored order. Payment options the LSP
 * does not offer are omitted (bLIP-51: `onchain` MUST be omitted without a refund address; we
 * offer no `bolt12`); `channel` is `null` until the funding transaction is published.
 */
import { lsps1OnchainPaymentState, lsps1OrderState, lsps1PaymentState } from '@blgv/core';
import type { Lsps1Order } from '@blgv/protocol';
import type { Lsps1OrderRecord } from '@blgv/store';

/** The order as `create_order` and `get_order` return it. */
export function orderToWire(r: Lsps1OrderRecord): Lsps1Order {
  const state = r.state;
  const paidBy = r.paymentMethod ?? undefined;
  return {
    order_id: r.id,
    lsp_balance_sat: r.lspBalanceSat.toString(),
    client_balance_sat: r.clientBalanceSat.toString(),
    required_channel_confirmations: r.requiredChannelConfirmations,
    funding_confirms_within_blocks: r.fundingConfirmsWithinBlocks,
    channel_expiry_blocks: r.channelExpiryBlocks,
    token: r.token,
    created_at: r.createdAt.toISOString(),
    announce_channel: r.announceChannel,
    order_state: lsps1OrderState(state),
    payment: {
      bolt11: {
        state: lsps1PaymentState(state, paidBy),
        expires_at: r.invoiceExpiresAt.toISOString(),
        fee_total_sat: r.feeTotalSat.toString(),
        order_total_sat: r.orderTotalSat.toString(),
        invoice: r.invoice,
      },
      ...(r.onchainAddress && r.onchainExpiresAt && r.refundOnchainAddress
        ? {
            onchain: {
              state: lsps1OnchainPaymentState(state, paidBy),
              expires_at: r.onchainExpiresAt.toISOString(),
              fee_total_sat: r.feeTotalSat.toString(),
              order_total_sat: r.orderTotalSat.toString(),
              address: r.onchainAddress,
              min_onchain_payment_confirmations: r.onchainConfirmations ?? 1,
              refund_onchain_address: r.refundOnchainAddress,
            },
          }
        : {}),
    },
    channel:
      r.fundingTxid && r.fundedAt && r.fundingOutputIndex !== null
        ? {
            funded_at: r.fundedAt.toISOString(),
            funding_outpoint: `${r.fundingTxid}:${r.fundingOutputIndex}`,
            expires_at: new Date(r.fundedAt.getTime() + r.channelExpiryBlocks * 600_000).toISOString(),
          }
        : null,
  };
}
