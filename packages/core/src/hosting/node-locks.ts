/**
 * The port through which one hosted node's work takes turns across every replica of the LSP.
 * Two locks per node, each its own queue:
 *
 * - `lifecycle`: start, stop, the keeper's restart, billing's suspend and resume, deletion's
 *   look and the removal of its data. Within one process these calls already queue per node
 *   (`NodeConnections`); this lock is taken in addition, around each call, so that a tenant's
 *   `stop` on one replica and the keeper's start on another cannot overlap.
 * - `deletion`: one step of a node's deletion at a time (the keeper's look, which closes and
 *   sweeps, and the removal a `DELETE` of a node holding nothing starts on the replica that
 *   served it). Held around the whole step, which takes the `lifecycle` lock inside it for each
 *   start or removal: always in that order, never the other.
 *
 * The same port also gives the LSPS admission its turns (`admission`), keyed by an order's owner
 * (a client node or a tenant) rather than a hosted node: an owner's requests, served by any
 * replica, are counted against its cap one at a time (`lsps0/admission.ts`).
 */

/** Which lock: see the module's comment. */
export type NodeLockKind = 'lifecycle' | 'deletion' | 'admission';

/** A lock per hosted node, shared by every replica. */
export interface NodeLocks {
  /**
   * Runs `op` while holding the node's lock of that `kind` (`lifecycle` when not said), and
   * releases it once `op` has settled (returned or thrown). When the lock cannot be had within
   * the lock's bound or before `signal` aborts, `op` does not run and the call is refused with
   * an `LspError` naming the node (`conflict`, or `database_unavailable` when the database
   * cannot be reached to take it).
   */
  withLock<T>(nodeId: string, signal: AbortSignal, op: () => Promise<T>, kind?: NodeLockKind): Promise<T>;
}

/**
 * The lock for an LSP that runs as one process (embedded PGlite): the in-process queues of its
 * callers are all the turn-taking there is, so this runs `op` at once.
 */
export const oneProcessNodeLocks: NodeLocks = {
  withLock: (_nodeId, _signal, op) => op(),
};
