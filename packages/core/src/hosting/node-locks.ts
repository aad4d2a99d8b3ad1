/**
 * The port through which one hosted node's lifecycle calls (start, stop, the keeper's restart,
 * billing's suspend and resume, deletion's look and removal) take turns across every replica of
 * the LSP. Within one process the calls already queue per node (`NodeConnections`); this lock
 * is taken in addition, around each call, so that a tenant's `stop` on one replica and the
 * keeper's start on another cannot overlap.
 */

/** A lock per hosted node, shared by every replica. */
export interface NodeLocks {
  /**
   * Runs `op` while holding the node's lock, and releases it once `op` has settled (returned
   * or thrown). When the lock cannot be had within the lock's bound or before `signal` aborts,
   * `op` does not run and the call is refused with an `LspError` naming the node (`conflict`,
   * or `database_unavailable` when the database cannot be reached to take it).
   */
  withLock<T>(nodeId: string, signal: AbortSignal, op: () => Promise<T>): Promise<T>;
}

/**
 * The lock for an LSP that runs as one process (embedded PGlite): the in-process queue of
 * `NodeConnections` is all the turn-taking there is, so this runs `op` at once.
 */
export const oneProcessNodeLocks: NodeLocks = {
  withLock: (_nodeId, _signal, op) => op(),
};
