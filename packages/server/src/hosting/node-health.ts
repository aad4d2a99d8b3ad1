/**
 * Whether a hosted node is up, as the keeper records it: it answers `GetInfo` and is synced to
 * the chain and to the graph. One that answers but is still syncing is running (it is not
 * restarted) but is not up: it could not yet see its payments' blocks or find routes.
 */
import type { NodeInfo, NodePort } from '@blgv/core';

/** What one look at a node found. */
export type NodeHealth =
  | { readonly answers: false; readonly error: unknown }
  | {
      readonly answers: true;
      /** Synced to chain and graph. */
      readonly up: boolean;
      readonly syncedToChain: boolean;
      readonly syncedToGraph: boolean;
    };

/** Up: synced to the chain and to the graph. */
export function isUp(info: Pick<NodeInfo, 'syncedToChain' | 'syncedToGraph'>): boolean {
  return info.syncedToChain && info.syncedToGraph;
}

/** Asks the node's `GetInfo`; a failure (not running, locked, timed out) is `answers: false`. */
export async function readNodeHealth(
  node: Pick<NodePort, 'getInfo'>,
  signal: AbortSignal,
): Promise<NodeHealth> {
  try {
    const info = await node.getInfo(signal);
    return {
      answers: true,
      up: isUp(info),
      syncedToChain: info.syncedToChain,
      syncedToGraph: info.syncedToGraph,
    };
  } catch (error) {
    return { answers: false, error };
  }
}
