/**
 * Whether a hosted node is up, as the keeper records it: it answers `GetInfo` and is synced to
 * the chain and to the graph. One that answers but is still syncing is running (it is not
 * restarted) but is not up: it could not yet see its payments' blocks or find routes.
 *
 * LND says it is not synced to the chain for the moment each new block takes it (a second, more
 * on a loaded machine, up to tens of seconds): a node that was synced at its last look and is
 * behind now stays up for {@link SYNC_BLIP_MS} ({@link SyncBlips}); behind for longer, or never
 * synced since it came up, it is down.
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

/** How long a node synced at its last look may be behind the chain and still count as up. */
export const SYNC_BLIP_MS = 30_000;

/**
 * Tells a node catching up with a new block from one that is behind: per node, whether it was
 * synced at its last look, and since when it has been behind.
 */
export class SyncBlips {
  readonly #graceMs: number;
  /** Nodes synced at their last look, with when they fell behind since (undefined: not behind). */
  readonly #synced = new Map<string, number | undefined>();

  constructor(graceMs = SYNC_BLIP_MS) {
    this.#graceMs = graceMs;
  }

  /** Whether `id` counts as up at `now`, given what one look found. */
  up(id: string, health: NodeHealth, now: number): boolean {
    if (!health.answers) {
      this.#synced.delete(id);
      return false;
    }
    if (health.up) {
      this.#synced.set(id, undefined);
      return true;
    }
    if (!this.#synced.has(id)) return false;
    const behindSince = this.#synced.get(id) ?? now;
    if (now - behindSince > this.#graceMs) {
      this.#synced.delete(id);
      return false;
    }
    this.#synced.set(id, behindSince);
    return true;
  }

  /** Forgets nodes not in `live` (deleted). */
  keepOnly(live: ReadonlySet<string>): void {
    for (const id of this.#synced.keys()) if (!live.has(id)) this.#synced.delete(id);
  }
}
