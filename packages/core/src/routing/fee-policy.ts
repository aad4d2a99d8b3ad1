/**
 * Fees that follow liquidity: a pure policy that sets a channel's forwarding fee from its
 * outbound share and its recent flow, in bands like charge-lnd's `proportional` strategy. The
 * configured schedule's fee rate is the midpoint (at the target share); a drained channel's fee
 * rises toward the ceiling, a full one's falls toward the floor; net outflow over the flow window
 * nudges the fee up, net inflow down. A drained channel may also get an inbound discount (LND
 * 0.18+ negative inbound fees): payments that come in over it refill it, and they leave over a
 * fuller channel, so the discount helps drain the full channels. A channel changes at most once
 * per window and only by more than the minimum step (each change is gossiped network-wide).
 */
import type { Msat, Sat } from '../money.ts';

/** One million: shares and rates are in parts per million (no floats). */
const PPM = 1_000_000n;

/** The policy's settings (validated at the edge: `minPpm <= midpointPpm <= maxPpm`). */
export interface FeePolicySettings {
  /** Base fee of every channel the policy manages (the schedule's, 1000 msat by default). */
  readonly baseFee: Msat;
  /** The fee rate at the target outbound share (the schedule's, 100 ppm by default). */
  readonly midpointPpm: bigint;
  /** The floor: a full channel's fee rate. */
  readonly minPpm: bigint;
  /** The ceiling: a drained channel's fee rate. */
  readonly maxPpm: bigint;
  /** The outbound share (ppm of the spendable total) the midpoint applies at. */
  readonly targetSharePpm: bigint;
  /**
   * How far the recent flow moves the rate, as a share (ppm) of the band: all-outflow moves it
   * up by that share of `maxPpm - minPpm`, all-inflow down by it; 0 ignores the flow.
   */
  readonly flowWeightPpm: bigint;
  /** The least change (ppm) worth gossiping: a change must exceed it. */
  readonly minStepPpm: bigint;
  /** The least time between two changes of one channel. */
  readonly windowMs: number;
  /**
   * The largest inbound discount (a positive number of ppm, applied as a negative inbound fee
   * rate) given to a drained channel; 0 turns inbound fees off. Never above `minPpm`, so an HTLC
   * entering here and leaving over any managed channel still pays a fee.
   */
  readonly inboundMaxDiscountPpm: bigint;
}

/** What the policy reads of one channel. */
export interface ChannelLiquidity {
  readonly localBalance: Sat;
  readonly remoteBalance: Sat;
  readonly localReserve: Sat;
  readonly remoteReserve: Sat;
}

/** The channel's forwards over the flow window (amounts forwarded out over it and in over it). */
export interface ChannelFlow {
  readonly out: Msat;
  readonly in: Msat;
}

/** A channel's forwarding fee as the node has it (inbound rate: 0 or negative). */
export interface ChannelFee {
  readonly baseFee: Msat;
  readonly feeRatePpm: bigint;
  readonly inboundFeeRatePpm: bigint;
}

/** What the policy decides for a channel. */
export type FeeDecision =
  | {
      readonly change: false;
      readonly target: ChannelFee;
      readonly sharePpm: bigint;
      readonly reason: string;
    }
  | {
      readonly change: true;
      readonly target: ChannelFee;
      readonly sharePpm: bigint;
      readonly reason: string;
    };

/**
 * The channel's outbound share in ppm, reserve-aware: what we can send over it out of what can
 * move over it either way. A channel with nothing spendable either way is at the target.
 */
export function outboundSharePpm(c: ChannelLiquidity, targetSharePpm: bigint): bigint {
  const local = positive(c.localBalance - c.localReserve);
  const remote = positive(c.remoteBalance - c.remoteReserve);
  if (local + remote === 0n) return targetSharePpm;
  return (local * PPM) / (local + remote);
}

/** The fee a channel should have (floors, ceilings and the flow nudge applied). */
export function targetFee(share: bigint, flow: ChannelFlow, s: FeePolicySettings): ChannelFee {
  const target = clamp(s.targetSharePpm, 1n, PPM - 1n);
  // Piecewise linear through (0, max), (target, midpoint), (1, min).
  const band =
    share <= target
      ? s.maxPpm - ((s.maxPpm - s.midpointPpm) * share) / target
      : s.midpointPpm - ((s.midpointPpm - s.minPpm) * (share - target)) / (PPM - target);
  const total = flow.out + flow.in;
  const nudge =
    total === 0n ? 0n : ((flow.out - flow.in) * (s.maxPpm - s.minPpm) * s.flowWeightPpm) / (total * PPM);
  const feeRatePpm = clamp(band + nudge, s.minPpm, s.maxPpm);
  const maxDiscount = clamp(s.inboundMaxDiscountPpm, 0n, s.minPpm);
  // The discount grows as the channel drains below the target: none at the target, all at empty.
  const discount = share >= target ? 0n : (maxDiscount * (target - share)) / target;
  return { baseFee: s.baseFee, feeRatePpm, inboundFeeRatePpm: -discount };
}

/**
 * Decides a channel's fee: the target fee, and whether to change to it now (not within the
 * window since its last change, and only when the rate or the inbound discount moves by more
 * than the minimum step, or the base fee differs).
 */
export function decideFee(
  input: {
    readonly channel: ChannelLiquidity;
    readonly flow: ChannelFlow;
    readonly current: ChannelFee;
    /** When the policy last changed this channel (none: never). */
    readonly lastChangeAt: Date | undefined;
    readonly now: Date;
  },
  s: FeePolicySettings,
): FeeDecision {
  const sharePpm = outboundSharePpm(input.channel, s.targetSharePpm);
  const target = targetFee(sharePpm, input.flow, s);
  const why = describe(sharePpm, input.flow, input.current, target, s);
  const keep = (reason: string): FeeDecision => ({ change: false, target, sharePpm, reason });
  const step = max(
    abs(target.feeRatePpm - input.current.feeRatePpm),
    abs(target.inboundFeeRatePpm - input.current.inboundFeeRatePpm),
  );
  if (step <= s.minStepPpm && target.baseFee === input.current.baseFee)
    return keep(`${why}; within the minimum step of ${s.minStepPpm} ppm`);
  if (input.lastChangeAt && input.now.getTime() - input.lastChangeAt.getTime() < s.windowMs)
    return keep(`${why}; changed less than one window ago`);
  return { change: true, target, sharePpm, reason: why };
}

function describe(
  share: bigint,
  flow: ChannelFlow,
  current: ChannelFee,
  target: ChannelFee,
  s: FeePolicySettings,
): string {
  const side = share < s.targetSharePpm ? 'below' : share > s.targetSharePpm ? 'above' : 'at';
  const parts = [
    `outbound share ${percent(share)} ${side} the target ${percent(s.targetSharePpm)}`,
    `fee rate ${current.feeRatePpm} -> ${target.feeRatePpm} ppm`,
  ];
  if (target.inboundFeeRatePpm !== current.inboundFeeRatePpm)
    parts.push(`inbound ${current.inboundFeeRatePpm} -> ${target.inboundFeeRatePpm} ppm`);
  if (flow.out + flow.in > 0n) parts.push(`flow out ${flow.out / 1000n} sat, in ${flow.in / 1000n} sat`);
  return parts.join('; ');
}

/** A ppm share as a percentage with one decimal, e.g. `12.5%`. */
function percent(ppm: bigint): string {
  const tenths = (ppm + 500n) / 1000n;
  return `${tenths / 10n}.${tenths % 10n}%`;
}

function positive(v: bigint): bigint {
  return v > 0n ? v : 0n;
}
function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}
function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function clamp(v: bigint, lo: bigint, hi: bigint): bigint {
  return v < lo ? lo : v > hi ? hi : v;
}
