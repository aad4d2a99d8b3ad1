/**
 * Rebalancing, the pure part: which of the LSP node's channels needs refilling, from which
 * channel with excess, how much, and the most the circular payment may cost (the economic
 * bound, like regolancer's `econ-ratio`: what the refilled channel earns at its current fee
 * rate for the moved amount, times the ratio, capped by what is left of the daily budget).
 */
import type { Channel } from '../lightning/types/channels.ts';
import { type Msat, msat, type Sat, sat } from '../money.ts';
import { outboundSharePpm } from './fee-policy.ts';

const PPM = 1_000_000n;

/** What the plan needs from the settings. */
export interface RebalanceSettings {
  /** A channel below this outbound share (ppm) is refilled up to it. */
  readonly targetSharePpm: bigint;
  /** The least worth moving. */
  readonly minAmount: Sat;
  /** The most one circular payment moves. */
  readonly maxAmount: Sat;
}

/** One circular payment to make: out over `source`, back in over `target`. */
export interface RebalanceCandidate {
  readonly target: Channel;
  readonly source: Channel;
  readonly amount: Sat;
  /** The target's outbound share before (ppm). */
  readonly targetSharePpm: bigint;
}

const spendable = (c: Channel): bigint => {
  const v = c.localBalance - c.localReserve;
  return v > 0n ? v : 0n;
};
const receivable = (c: Channel): bigint => {
  const v = c.remoteBalance - c.remoteReserve;
  return v > 0n ? v : 0n;
};

/** What `c` needs to reach the target share (0 when it is at or above it). */
export function refillNeeded(c: Channel, targetSharePpm: bigint): Sat {
  const total = spendable(c) + receivable(c);
  const want = (total * targetSharePpm) / PPM - spendable(c);
  return sat(want > 0n ? want : 0n);
}

/** What `c` can give and stay at or above the target share (0 when it cannot). */
export function excessAbove(c: Channel, targetSharePpm: bigint): Sat {
  const total = spendable(c) + receivable(c);
  const keep = (total * targetSharePpm + PPM - 1n) / PPM;
  const v = spendable(c) - keep;
  return sat(v > 0n ? v : 0n);
}

/**
 * The rebalances the channels call for, most depleted target first: each target below its
 * share gets the source with the most excess not yet promised, for the smaller of what it
 * needs, what the source can give and `maxAmount` (none below `minAmount`). `eligible` are the
 * channels rebalancing may touch (the caller leaves out private, JIT, inactive ones).
 */
export function planRebalances(eligible: readonly Channel[], s: RebalanceSettings): RebalanceCandidate[] {
  const targets = eligible
    .map((c) => ({
      c,
      share: outboundSharePpm(c, s.targetSharePpm),
      need: refillNeeded(c, s.targetSharePpm),
    }))
    .filter((t) => t.need > 0n)
    .sort((a, b) => (a.share < b.share ? -1 : a.share > b.share ? 1 : 0));
  const left = new Map(eligible.map((c) => [c, excessAbove(c, s.targetSharePpm) as bigint]));
  const plan: RebalanceCandidate[] = [];
  for (const t of targets) {
    let best: Channel | undefined;
    for (const [c, excess] of left)
      if (
        c !== t.c &&
        c.remotePubkey !== t.c.remotePubkey &&
        excess > 0n &&
        (!best || excess > (left.get(best) ?? 0n))
      )
        best = c;
    if (!best) continue;
    const bounds = [t.need as bigint, left.get(best) ?? 0n, s.maxAmount as bigint];
    const amount = bounds.reduce((a, b) => (a < b ? a : b));
    if (amount < s.minAmount) continue;
    left.set(best, (left.get(best) ?? 0n) - amount);
    plan.push({ target: t.c, source: best, amount: sat(amount), targetSharePpm: t.share });
  }
  return plan;
}

/**
 * The most a rebalance of `amount` may cost: what it earns forwarding that amount out over
 * the refilled channel at `feeRatePpm`, times `econRatioPpm` / 1,000,000 (rounded down).
 */
export function economicBound(amount: Sat, feeRatePpm: bigint, econRatioPpm: bigint): Msat {
  return msat((amount * 1000n * feeRatePpm * econRatioPpm) / (PPM * PPM));
}
