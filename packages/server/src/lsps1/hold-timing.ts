/**
 * An LSPS1 hold invoice must outlive the open it pays for. The payer's HTLC expires at a
 * height at least the invoice's CLTV (`cltv_expiry` of `AddHoldInvoice`, the invoice's
 * `min_final_cltv_expiry`) above the height at which LND accepted it: LND refuses an HTLC
 * expiring sooner (invoices/update.go, `ResultExpiryTooSoon`). LND then cancels an accepted
 * hold invoice's HTLCs on its own once the chain comes within `invoices.holdexpirydelta`
 * blocks of the earliest expiry (`InvoiceExpiryWatcher`, default 18: 16 + 2). If that happened
 * after our commit point the channel would be funded and the payment gone.
 *
 * Two guards: at boot, the configured CLTV must cover the longest an open can take
 * ({@link holdCltvProblem}), counting blocks at twice the target rate; and right before the
 * commit point, LND must still hold the HTLC with a margin above its delta
 * ({@link heldHtlcCheck}), or the open is cancelled (nothing spent) and the payer refunded.
 */
import type { InvoiceStatus } from '@blgv/core';

/** Bitcoin's target block interval, in seconds. */
export const BLOCK_SECONDS = 600;
/**
 * Blocks are counted as coming this many times faster than the target: hash rate ahead of
 * the difficulty, or luck, can make them come that fast for hours.
 */
export const FAST_BLOCKS_FACTOR = 2;
/**
 * Blocks the HTLC must have left above LND's hold expiry delta at the commit point: room to
 * publish the funding and settle the invoice (retried if LND hiccups) before LND would cancel.
 */
export const COMMIT_MARGIN_BLOCKS = 6;

/** The settings the rule ties together. */
export interface HoldTiming {
  /** `lsps1.holdInvoiceCltv`: the hold invoice's CLTV, in blocks. */
  readonly holdInvoiceCltv: number;
  /** `lsps1.lndHoldExpiryDelta`: LND's `invoices.holdexpirydelta`, in blocks. */
  readonly lndHoldExpiryDelta: number;
  /** `lsps1.openDeadlineSeconds`: how long a paid order waits for its client. */
  readonly openDeadlineSeconds: number;
  /** `channels.openTimeoutSeconds`: how long the client has to accept, then again to sign. */
  readonly openTimeoutSeconds: number;
}

/** Blocks that may pass in `seconds` when blocks come {@link FAST_BLOCKS_FACTOR} times fast. */
export function blocksIn(seconds: number): number {
  return Math.ceil((seconds * FAST_BLOCKS_FACTOR) / BLOCK_SECONDS);
}

/** The longest an order may take from its payment being held to its commit point. */
export function openBudgetSeconds(t: Pick<HoldTiming, 'openDeadlineSeconds' | 'openTimeoutSeconds'>) {
  return t.openDeadlineSeconds + 2 * t.openTimeoutSeconds;
}

/**
 * Why the CLTV cannot cover the open, naming both settings and what would do; `undefined`
 * when it can. The open may use the CLTV less LND's hold expiry delta and the commit margin.
 */
export function holdCltvProblem(t: HoldTiming): string | undefined {
  const usable = t.holdInvoiceCltv - t.lndHoldExpiryDelta - COMMIT_MARGIN_BLOCKS;
  const budget = openBudgetSeconds(t);
  const needed = blocksIn(budget);
  if (needed <= usable) return undefined;
  const minCltv = needed + t.lndHoldExpiryDelta + COMMIT_MARGIN_BLOCKS;
  const maxDeadline =
    Math.floor((Math.max(usable, 0) * BLOCK_SECONDS) / FAST_BLOCKS_FACTOR) - 2 * t.openTimeoutSeconds;
  const fix =
    maxDeadline >= 60
      ? `raise lsps1.holdInvoiceCltv to at least ${minCltv} or lower lsps1.openDeadlineSeconds to at most ${maxDeadline}`
      : `raise lsps1.holdInvoiceCltv to at least ${minCltv}`;
  return (
    `lsps1.openDeadlineSeconds ${t.openDeadlineSeconds} (plus twice channels.openTimeoutSeconds ${t.openTimeoutSeconds}) ` +
    `is longer than lsps1.holdInvoiceCltv ${t.holdInvoiceCltv} can cover: less LND's hold expiry delta ` +
    `(lsps1.lndHoldExpiryDelta ${t.lndHoldExpiryDelta}) and a ${COMMIT_MARGIN_BLOCKS}-block margin it leaves ` +
    `${usable} blocks, and ${budget} s may see ${needed} blocks (${BLOCK_SECONDS / 60}-minute blocks coming up to ` +
    `${FAST_BLOCKS_FACTOR} times faster); ${fix}`
  );
}

/** Whether a hold invoice's payment may pass the commit point. */
export type HeldHtlc =
  | { readonly ok: true; readonly blocksLeft: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Right before the commit point: the invoice must still be `accepted` (its HTLCs held) and
 * its earliest HTLC must expire more than LND's hold expiry delta plus the commit margin above
 * `currentHeight`, so LND cannot cancel it before we settle.
 */
export function heldHtlcCheck(
  invoice: InvoiceStatus,
  currentHeight: number,
  lndHoldExpiryDelta: number,
): HeldHtlc {
  if (invoice.state !== 'accepted')
    return { ok: false, reason: `the payment is no longer held (invoice ${invoice.state})` };
  const held = invoice.htlcs.filter((h) => h.state === 'accepted');
  if (held.length === 0) return { ok: false, reason: 'the invoice holds no HTLC' };
  const expiry = Math.min(...held.map((h) => h.expiryHeight));
  const blocksLeft = expiry - currentHeight;
  const needed = lndHoldExpiryDelta + COMMIT_MARGIN_BLOCKS;
  if (blocksLeft <= needed)
    return {
      ok: false,
      reason: `the payment's HTLC expires at height ${expiry}, ${blocksLeft} blocks away: not more than the ${needed} needed to publish and settle before LND cancels it`,
    };
  return { ok: true, blocksLeft };
}
