/**
 * The node's view of the network graph and its own announcement, and autopilot's scores.
 * The LND side of `GraphPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import type { ChannelEdge, GraphPort, Pubkey, Scid } from '@blgv/core';
import { channelEdge } from '../channel-edge.ts';
import type { LndClients } from '../connection.ts';
import { restartAutopilot, setAutopilotScores, stopAutopilot } from '../node-calls.ts';
import { graphNode, reannounce } from '../peer-messages.ts';

/** `GraphPort` on LND. */
export function lndGraph(c: LndClients): GraphPort {
  return {
    graphNode(
      pubkey: Pubkey,
      signal: AbortSignal,
    ): Promise<{ readonly addresses: readonly string[] } | undefined> {
      return graphNode(c, pubkey, signal);
    },

    reannounce(signal: AbortSignal): Promise<void> {
      return reannounce(c, signal);
    },

    channelEdge(scid: Scid, signal: AbortSignal): Promise<ChannelEdge | undefined> {
      return channelEdge(c, scid, signal);
    },

    setAutopilotScores(scores: ReadonlyMap<Pubkey, number>, signal: AbortSignal): Promise<void> {
      return setAutopilotScores(c, scores, signal);
    },

    restartAutopilot(signal: AbortSignal): Promise<void> {
      return restartAutopilot(c, signal);
    },

    stopAutopilot(signal: AbortSignal): Promise<void> {
      return stopAutopilot(c, signal);
    },
  };
}
