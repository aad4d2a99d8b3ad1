/**
 * Our on-chain payment of an upstream LSPS1 order, found among the wallet's transactions. The
 * payment is sent with a label naming the purchase, and goes to an address the upstream made
 * for that one order, so either tells whether it already went out: a purchase found `paying`
 * after a restart is recorded paid instead of being paid twice.
 */
import type { Hex32, OnchainTransaction, Sat } from '@blgv/core';

/** Label of the wallet transaction paying purchase `id`. */
export function purchasePaymentLabel(id: string): string {
  return `liquidity-purchase:${id}`;
}

/** A payment that went out. */
export interface FoundPayment {
  readonly txid: Hex32;
  /** The on-chain fee we paid for it. */
  readonly fee: Sat;
}

/** The wallet transaction that paid purchase `id` to `address`, if one went out. */
export function findPurchasePayment(
  txs: readonly OnchainTransaction[],
  purchase: { readonly id: string; readonly payAddress: string },
): FoundPayment | undefined {
  const label = purchasePaymentLabel(purchase.id);
  const tx = txs.find(
    (t) => t.label === label || t.outputs.some((o) => !o.ours && o.address === purchase.payAddress),
  );
  return tx ? { txid: tx.txid, fee: tx.fee } : undefined;
}
