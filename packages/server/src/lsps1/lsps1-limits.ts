/** The LSPS1 limits the service, the order runner and receipts keeping share (from config). */
import type { OnchainPaymentLimits } from './lsps1-onchain.ts';

/** LSPS1 limits (from config). */
export interface Lsps1Limits {
  readonly minLspBalance: number;
  readonly maxLspBalance: number;
  readonly maxClientBalance: number;
  readonly maxChannelExpiryBlocks: number;
  readonly invoiceExpirySeconds: number;
  /** How long a paid order may wait for its client to come online before it is refunded. */
  readonly openDeadlineSeconds: number;
  /** How long an online client has to accept, and then to sign, the channel. */
  readonly openTimeoutSeconds: number;
  /** The hold invoice's CLTV (blocks): room for the open before the payer's HTLC expires. */
  readonly holdInvoiceCltv: number;
  /** LND's `invoices.holdexpirydelta`: it cancels held HTLCs this many blocks before expiry. */
  readonly lndHoldExpiryDelta: number;
  /** Bounds of the funding fee rate (sat/vB) the network fee is priced at. */
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
  /**
   * On-chain payment of orders that give a refund address (offered to new orders while
   * `enabled`); absent: bolt11 only.
   */
  readonly onchain?: OnchainPaymentLimits;
  /** Unpaid orders one client, and all together, may have at once. */
  readonly maxUnpaidOrdersPerClient: number;
  readonly maxUnpaidOrders: number;
}
