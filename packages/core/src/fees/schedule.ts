/**
 * The LSP's fee schedule (the spec's `LSPFees`) and the arithmetic on it. Every rate is an
 * integer: the spec's `capacityFee: 0.001` (0.1 % of capacity) is `capacityFeePpm: 1000`.
 * Fees we charge round up to the next satoshi; nothing here is a float.
 */
import type { Msat, Sat } from '../money.ts';

/** Parts per million: 1,000,000 ppm = 100 %. */
export const PPM = 1_000_000n;

/** The fee schedule. */
export interface FeeSchedule {
  readonly channelOpening: {
    /** Fixed fee per channel. */
    readonly baseFee: Sat;
    /** Fee on the channel's capacity, in ppm. */
    readonly capacityFeePpm: bigint;
  };
  readonly liquidity: {
    /** Fee per reservation. */
    readonly reservationFee: Sat;
    /** Fee on the reserved liquidity actually used, in ppm. */
    readonly utilizationFeePpm: bigint;
  };
  readonly routing: {
    /** Base forwarding fee. */
    readonly baseFee: Msat;
    /** Proportional forwarding fee, in ppm. */
    readonly feeRatePpm: bigint;
  };
  readonly hosting: {
    readonly monthlyFee: Sat;
    readonly transactionFee: Sat;
  };
}

/** The spec's default schedule. */
export const DEFAULT_FEE_SCHEDULE: FeeSchedule = {
  channelOpening: { baseFee: 1000n as Sat, capacityFeePpm: 1000n },
  liquidity: { reservationFee: 100n as Sat, utilizationFeePpm: 500n },
  routing: { baseFee: 1000n as Msat, feeRatePpm: 100n },
  hosting: { monthlyFee: 50_000n as Sat, transactionFee: 100n as Sat },
};

/** `ceil(amount * ppm / 1e6)` for non-negative integers. */
export function ppmOfCeil(amount: bigint, ppm: bigint): bigint {
  if (amount < 0n || ppm < 0n) throw new RangeError('ppmOfCeil takes non-negative values');
  return (amount * ppm + PPM - 1n) / PPM;
}

/** The itemised fee for opening a channel of `capacity`. */
export interface ChannelOpeningQuote {
  readonly baseFee: Sat;
  readonly capacityFee: Sat;
  readonly total: Sat;
}

/** Quotes the opening fee of a channel with the given capacity. */
export function quoteChannelOpening(schedule: FeeSchedule, capacity: Sat): ChannelOpeningQuote {
  const capacityFee = ppmOfCeil(capacity, schedule.channelOpening.capacityFeePpm) as Sat;
  const baseFee = schedule.channelOpening.baseFee;
  return { baseFee, capacityFee, total: (baseFee + capacityFee) as Sat };
}

/** The routing fee the LSP node charges to forward `amount`. */
export function routingFee(schedule: FeeSchedule, amount: Msat): Msat {
  return (schedule.routing.baseFee + ppmOfCeil(amount, schedule.routing.feeRatePpm)) as Msat;
}
