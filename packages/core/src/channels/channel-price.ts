/**
 * What a channel sold by the LSP costs, item by item: the opening fee of the schedule, the
 * amount pushed to the client (sat for sat: it is the LSP's money handed over), and the
 * network fee (the channel's share of its funding transaction at the fee rate used, at cost).
 * The quote is the charge: the same function prices both, and every item is an integer.
 */
import { type ChannelOpeningQuote, type FeeSchedule, quoteChannelOpening } from '../fees/schedule.ts';
import type { Msat, Sat } from '../money.ts';

/**
 * Virtual bytes a funding transaction of one channel occupies: 11 of overhead (version,
 * locktime, counts, segwit marker), one P2WPKH wallet input (68), the channel's P2WSH or P2TR
 * output (43) and a P2TR change output (43). Channels batched into one transaction share the
 * overhead, inputs and change, so the LSP's actual cost per channel is never above this share
 * when each channel brings at most one input.
 */
export const CHANNEL_FUNDING_VBYTES = 165n;

/** The network fee of a channel: its funding share at a fee rate. */
export interface NetworkFee {
  /** sat/vB the funding transaction pays. */
  readonly feeRate: bigint;
  readonly vbytes: bigint;
  readonly total: Sat;
}

/** The network fee of one channel at `feeRate` sat/vB. */
export function channelNetworkFee(feeRate: bigint): NetworkFee {
  if (feeRate < 1n) throw new RangeError('a funding fee rate is at least 1 sat/vB');
  return { feeRate, vbytes: CHANNEL_FUNDING_VBYTES, total: (feeRate * CHANNEL_FUNDING_VBYTES) as Sat };
}

/** A channel's price, itemised. */
export interface ChannelPrice {
  readonly openingFee: ChannelOpeningQuote;
  readonly push: Sat;
  readonly networkFee: NetworkFee;
  /** What the buyer pays: opening fee + push + network fee. */
  readonly total: Sat;
}

/** Prices a channel of `capacity` with `push` to the client, funded at `feeRate` sat/vB. */
export function priceChannel(
  schedule: FeeSchedule,
  order: { readonly capacity: Sat; readonly push: Sat; readonly feeRate: bigint },
): ChannelPrice {
  const openingFee = quoteChannelOpening(schedule, order.capacity);
  const networkFee = channelNetworkFee(order.feeRate);
  return {
    openingFee,
    push: order.push,
    networkFee,
    total: (openingFee.total + order.push + networkFee.total) as Sat,
  };
}

/**
 * The smallest LSPS2 `min_fee_msat` that still pays for a JIT channel: the schedule's base
 * fee plus the channel's network fee at the current estimate. A menu offering less would
 * sell a channel below its on-chain cost.
 */
export function jitMinFee(schedule: FeeSchedule, feeRate: bigint): Msat {
  return ((schedule.channelOpening.baseFee + channelNetworkFee(feeRate).total) * 1000n) as Msat;
}

/** Bounds of the funding fee rate, sat/vB (from config). */
export interface FeeRateBounds {
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
}

/** A fee rate estimate held within the configured bounds. */
export function boundedFeeRate(estimate: bigint, bounds: FeeRateBounds): bigint {
  const min = BigInt(bounds.minFeeRate);
  const max = BigInt(bounds.maxFeeRate);
  return estimate < min ? min : estimate > max ? max : estimate;
}

/**
 * The size of a JIT channel opened for a payment (LSPS2 and wrapped invoices): twice the
 * payment, rounded up to whole sat, within the configured bounds.
 */
export function jitChannelCapacity(
  paymentSize: Msat,
  bounds: { readonly minChannelSize: number; readonly maxChannelSize: number },
): Sat {
  const double = ((paymentSize + 999n) / 1000n) * 2n;
  const min = BigInt(bounds.minChannelSize);
  const max = BigInt(bounds.maxChannelSize);
  return (double < min ? min : double > max ? max : double) as Sat;
}
