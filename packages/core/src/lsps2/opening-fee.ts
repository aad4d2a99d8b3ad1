/**
 * The LSPS2 opening fee (bLIP-52): `max(min_fee_msat, ceil(payment_size_msat * proportional /
 * 1_000_000))`, computed in unsigned 64-bit arithmetic that fails on overflow.
 */
import type { Msat } from '../money.ts';

const U64_MAX = (1n << 64n) - 1n;

/** The fee part of an `opening_fee_params` entry. */
export interface OpeningFeeRate {
  readonly minFeeMsat: Msat;
  /** Parts per million of the payment. */
  readonly proportional: bigint;
}

/** The opening fee for a payment of `paymentSize`, or `undefined` when it overflows 64 bits. */
export function openingFee(rate: OpeningFeeRate, paymentSize: Msat): Msat | undefined {
  const product = paymentSize * rate.proportional;
  if (paymentSize > U64_MAX || rate.proportional > U64_MAX || product + 999_999n > U64_MAX) return undefined;
  const proportional = (product + 999_999n) / 1_000_000n;
  return (proportional > rate.minFeeMsat ? proportional : rate.minFeeMsat) as Msat;
}
