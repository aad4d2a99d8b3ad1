/**
 * The node's view of the network graph and its own announcement, and autopilot's scores.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Pubkey, Scid } from '../../ids.ts';
import type { ChannelEdge } from '../types.ts';

/** The node's view of the network graph and its own announcement, and autopilot's scores. */
export interface GraphPort {
  /**
   * What the node's graph knows of `pubkey` (from its node announcement): its addresses, or
   * `undefined` when the graph does not hold the node.
   */
  graphNode(
    pubkey: Pubkey,
    signal: AbortSignal,
  ): Promise<{ readonly addresses: readonly string[] } | undefined>;

  /**
   * Re-signs the node's own announcement, unchanged but with a fresh timestamp, and sends it to
   * every connected peer at once (past their gossip filters), so that a peer whose graph missed
   * it learns the node and its addresses. Fails when the node announces no address.
   */
  reannounce(signal: AbortSignal): Promise<void>;

  /**
   * The channel `scid` as the node's graph has it (its own channels included, private ones
   * too), with each end's forwarding policy; `undefined` when the graph does not hold it.
   */
  channelEdge(scid: Scid, signal: AbortSignal): Promise<ChannelEdge | undefined>;

  /** Scores for LND's autopilot `externalscore` heuristic (0..1 per node). */
  setAutopilotScores(scores: ReadonlyMap<Pubkey, number>, signal: AbortSignal): Promise<void>;

  /**
   * Stops the node's autopilot agent and starts a new one, which looks at once and no longer
   * remembers the nodes the old one failed to open a channel to (it never tries those again).
   */
  restartAutopilot(signal: AbortSignal): Promise<void>;

  /**
   * Stops the node's autopilot agent until the node is started again (`--autopilot.active`
   * starts one) or it is restarted; nothing when none runs.
   */
  stopAutopilot(signal: AbortSignal): Promise<void>;
}
