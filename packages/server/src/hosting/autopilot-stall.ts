/**
 * When the keeper starts an autopilot node's agent again: pure, so the policy reads (and is
 * tested) apart from the calls that carry it out.
 *
 * While one LND autopilot agent runs, it never tries again a node it once failed to connect to
 * or open a channel to (`failedNodes` in lnd's `autopilot/agent.go`). A customer's node whose
 * first try at the LSP failed (its wallet catching up with a new block, the LSP away for a
 * moment) would never open its channel to the LSP. Stopping and starting the agent
 * (`autopilotrpc.ModifyStatus`) makes a new one, with no such memory, that looks at once.
 */
import type { Sat } from '@blgv/core';

/**
 * How long a node may sit able to open a channel to the LSP, without one, before its agent is
 * started again; also the least time between the first two such starts of one node's agent.
 */
export const AUTOPILOT_STALL_MS = 30_000;
/**
 * The longest time between two starts: the wait doubles with each start while the node stays
 * able to open to the LSP without doing so (the LSP refusing it, say), and starts over once it
 * is not.
 */
export const AUTOPILOT_STALL_MAX_MS = 3_600_000;

/** What the keeper reads from an autopilot node. */
export interface AutopilotFacts {
  /** Its channels to the LSP, open or pending. */
  readonly toLsp: number;
  /** All its channels, open or pending. */
  readonly channels: number;
  /** Its funds in those channels (its side). */
  readonly inChannels: Sat;
  /** Its wallet's confirmed, spendable funds. */
  readonly confirmed: Sat;
  readonly config: {
    readonly maxChannels: number;
    readonly allocationPercent: number;
    readonly minChannelSize: Sat;
  };
}

/**
 * True when the node's autopilot could open a channel now and has none to the LSP: a free
 * channel slot, and its allocation of all its funds leaves a channel's worth in the wallet.
 */
export function couldOpenToLsp(f: AutopilotFacts): boolean {
  if (f.toLsp > 0 || f.channels >= f.config.maxChannels) return false;
  const total = f.confirmed + f.inChannels;
  const budget = (total * BigInt(f.config.allocationPercent)) / 100n - f.inChannels;
  return budget >= f.config.minChannelSize && f.confirmed >= f.config.minChannelSize;
}

/** What the keeper remembers of one node's agent. */
export interface StallWatch {
  /** Since when it has been able to open to the LSP without doing so. */
  readonly since?: number;
  /** When the keeper last started its agent again. */
  readonly restartedAt?: number;
  /** The wait before the next start (from {@link AUTOPILOT_STALL_MS}, doubling). */
  readonly delayMs?: number;
}

/**
 * The watch after a look that found the node `stalled` (able to open to the LSP, without a
 * channel to it) or not, and whether to start its agent again: once it has been stalled for the
 * wait ({@link AUTOPILOT_STALL_MS} at first), and no sooner than the wait after the last start;
 * each start doubles the wait, up to {@link AUTOPILOT_STALL_MAX_MS}.
 */
export function nextStallStep(
  watch: StallWatch,
  stalled: boolean,
  now: number,
): { watch: StallWatch; restart: boolean } {
  if (!stalled) return { watch: {}, restart: false };
  const since = watch.since ?? now;
  const delayMs = watch.delayMs ?? AUTOPILOT_STALL_MS;
  const due =
    now - since >= delayMs && (watch.restartedAt === undefined || now - watch.restartedAt >= delayMs);
  return due
    ? {
        watch: { since, restartedAt: now, delayMs: Math.min(delayMs * 2, AUTOPILOT_STALL_MAX_MS) },
        restart: true,
      }
    : { watch: { ...watch, since }, restart: false };
}
