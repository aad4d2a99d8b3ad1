/**
 * How soon a funding transaction paying a given fee rate should confirm, from the node's fee
 * estimates for several confirmation targets.
 */
import type { FeeEstimate } from '../lightning/types.ts';

/** Targets (blocks) we ask the node to estimate. */
export const CONFIRMATION_TARGETS = [1, 2, 3, 6, 12, 24, 72, 144, 504, 1008] as const;
/** Average seconds between blocks on mainnet. */
export const BLOCK_INTERVAL_SECONDS = 600;

/** Expected confirmation. */
export interface ConfirmationEstimate {
  readonly blocks: number;
  readonly seconds: number;
}

/**
 * The smallest target whose estimated fee rate `feeRate` (sat/vB) meets; the largest target
 * when it meets none.
 */
export function estimateConfirmation(
  feeRate: bigint,
  estimates: readonly FeeEstimate[],
): ConfirmationEstimate {
  const sorted = [...estimates].sort((a, b) => a.targetConf - b.targetConf);
  const hit = sorted.find((e) => feeRate >= e.satPerVbyte);
  const blocks = hit?.targetConf ?? sorted.at(-1)?.targetConf ?? CONFIRMATION_TARGETS.at(-1)!;
  return { blocks, seconds: blocks * BLOCK_INTERVAL_SECONDS };
}
