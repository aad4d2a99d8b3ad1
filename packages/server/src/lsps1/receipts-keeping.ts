/**
 * Looks after what LSPS1 orders' addresses receive, beside the order runner: leased while an
 * order holds it, released once it is the LSP's, and sent back when it paid for nothing (the
 * order was paid by its invoice, or had expired unpaid, or it paid over the order's total).
 */
import { ErrorCode, isLspError } from '@blgv/core';
import type { Lsps1OrderRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { pause } from '../poll.ts';
import type { Lsps1Limits } from './lsps1-limits.ts';
import { type OnchainPayments, takesOnchain } from './lsps1-onchain.ts';
import type { OrderReceipts } from './order-receipts.ts';

/** The longest between two looks at every order's receipts (leases renewed, released, refunded). */
const RECEIPTS_PASS_MAX_MS = 60_000;

/** What keeping receipts needs. */
export interface ReceiptsKeeping {
  readonly receipts: OrderReceipts;
  readonly onchain: OnchainPayments | undefined;
  readonly limits: Pick<Lsps1Limits, 'onchain'>;
  readonly log: Logger;
}

/** Passes over every order's receipts, at least every minute, until `signal` aborts. */
export async function keepReceipts(deps: ReceiptsKeeping, signal: AbortSignal): Promise<void> {
  const poll = deps.limits.onchain?.pollIntervalMs;
  const interval = poll ? Math.min(RECEIPTS_PASS_MAX_MS, Math.max(1_000, poll * 12)) : RECEIPTS_PASS_MAX_MS;
  while (!signal.aborted) {
    try {
      const pass = AbortSignal.any([signal, AbortSignal.timeout(60_000)]);
      for (const order of await deps.receipts.pass(pass, interval / 2)) await refundStray(deps, order, pass);
    } catch (err) {
      if (!signal.aborted) deps.log.warn({ err: String(err) }, "order receipts' pass failed; trying again");
    }
    await pause(interval, signal);
  }
}

/**
 * Sends back what an order's address received that did not pay for its channel: the order was
 * not paid by it, it came after the order was paid, or it paid over the order's total.
 */
async function refundStray(
  deps: ReceiptsKeeping,
  order: Lsps1OrderRecord,
  signal: AbortSignal,
): Promise<void> {
  if (!deps.onchain || !takesOnchain(order)) return;
  try {
    const txid = await deps.onchain.refund(order, signal);
    if (txid) deps.log.info({ order: order.id, txid }, 'payment the order did not need refunded');
  } catch (err) {
    if (isLspError(err, ErrorCode.InsufficientFunds)) return; // too little to pay for its own refund
    deps.log.warn({ order: order.id, err: String(err) }, 'stray on-chain payment not refunded; trying again');
  }
}
