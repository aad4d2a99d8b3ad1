/**
 * What to do with the HTLC parts held for one JIT channel (bLIP-52): wait for more, fail them
 * back, or open the channel and forward each part with its share of the opening fee deducted.
 * Pure: the forwarder feeds it the parts LND holds and performs the answer.
 */
import type { Hex32 } from '../ids.ts';
import type { Msat } from '../money.ts';
import { type OpeningFeeRate, openingFee } from './opening-fee.ts';

/** What the client bought with `lsps2.buy`. */
export interface JitTerms extends OpeningFeeRate {
  /** Set for the fixed-amount (multi-part) mode; absent for the variable, single-part mode. */
  readonly paymentSize: Msat | undefined;
  readonly minPaymentSize: Msat;
  readonly maxPaymentSize: Msat;
  readonly validUntil: Date;
}

/** One held HTLC, identified however the caller likes. */
export interface HeldPart<Id> {
  readonly id: Id;
  readonly paymentHash: Hex32;
  /** The amount the payer asked us to forward. */
  readonly amount: Msat;
}

/** How one part goes on: `amount` forwarded, `extraFee` deducted (TLV 65537). */
export interface PartForward<Id> {
  readonly id: Id;
  readonly amount: Msat;
  readonly extraFee: Msat;
}

/** Why parts are failed back. */
export type JitRefusal =
  | 'params_expired'
  | 'payment_too_small'
  | 'payment_too_large'
  | 'fee_exceeds_payment'
  | 'mixed_payment_hashes';

/** The decision over the parts held so far. */
export type JitDecision<Id> =
  | { readonly kind: 'wait' }
  | { readonly kind: 'fail'; readonly reason: JitRefusal }
  | {
      readonly kind: 'open';
      readonly paymentHash: Hex32;
      /** What the payment is priced on: the fixed size, or the single part's amount. */
      readonly paymentSize: Msat;
      readonly fee: Msat;
      readonly forwards: readonly PartForward<Id>[];
    };

/**
 * Decides over `parts` (in arrival order) at time `firstPartAt` (when the first part arrived:
 * the fee params must still have been valid then).
 */
export function decideJitPayment<Id>(
  terms: JitTerms,
  parts: readonly HeldPart<Id>[],
  firstPartAt: Date,
): JitDecision<Id> {
  const first = parts[0];
  if (!first) return { kind: 'wait' };
  if (firstPartAt.getTime() > terms.validUntil.getTime()) return { kind: 'fail', reason: 'params_expired' };
  if (parts.some((p) => p.paymentHash !== first.paymentHash))
    return { kind: 'fail', reason: 'mixed_payment_hashes' };
  const total = parts.reduce((sum, p) => sum + p.amount, 0n) as Msat;
  const size = terms.paymentSize ?? total;
  if (terms.paymentSize !== undefined && total < terms.paymentSize) return { kind: 'wait' };
  if (size < terms.minPaymentSize) return { kind: 'fail', reason: 'payment_too_small' };
  if (size > terms.maxPaymentSize) return { kind: 'fail', reason: 'payment_too_large' };
  const fee = openingFee(terms, size);
  if (fee === undefined || fee >= total) return { kind: 'fail', reason: 'fee_exceeds_payment' };
  const forwards = splitFee(parts, total, fee);
  if (forwards.some((f) => f.amount <= 0n)) return { kind: 'fail', reason: 'fee_exceeds_payment' };
  return { kind: 'open', paymentHash: first.paymentHash, paymentSize: size, fee, forwards };
}

/**
 * Deducts `fee` from the parts in proportion to their amounts (rounded down), then takes the
 * rounding remainder from the parts in order, so the deductions sum to exactly `fee`.
 */
export function splitFee<Id>(parts: readonly HeldPart<Id>[], total: Msat, fee: Msat): PartForward<Id>[] {
  const shares = parts.map((p) => (p.amount * fee) / total);
  let remainder = fee - shares.reduce((a, b) => a + b, 0n);
  return parts.map((p, i) => {
    let share = shares[i] ?? 0n;
    const room = p.amount - 1n - share;
    if (remainder > 0n && room > 0n) {
      const extra = remainder < room ? remainder : room;
      share += extra;
      remainder -= extra;
    }
    return { id: p.id, amount: (p.amount - share) as Msat, extraFee: share as Msat };
  });
}
