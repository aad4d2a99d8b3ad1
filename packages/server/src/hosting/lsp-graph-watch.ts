/**
 * When the keeper looks at an autopilot node's graph for the LSP, and what it does when the LSP
 * is missing: pure, so the policy reads (and is tested) apart from the calls that carry it out.
 *
 * LND's autopilot only opens channels to nodes whose announcement, with an address, is in its
 * graph. A node whose graph holds the LSP's channels but not its announcement (`unannounced`)
 * is sent the LSP's announcement again (the LSP re-signs it with a fresh timestamp; one send
 * reaches every peer); if that has not helped by the next look, the LSP connects to the node
 * again, which runs the node's pinned whole-graph sync again. A node that lacks the LSP's
 * channels too (`absent`, its sync unfinished or failed) would ignore the announcement (LND only
 * takes one for a node it has a channel of), so it is only connected again.
 */

/** Between looks while the node has never shown the LSP with an address. */
export const FIRST_GRAPH_CHECK_MS = 5_000;
/** Between looks once it has; also the least time between two connections. */
export const GRAPH_CHECK_MS = 30_000;

/** What a node's graph holds of the LSP. */
export type LspInGraph =
  /** Its announcement, with an address: autopilot can choose it. */
  | 'announced'
  /** Its channels, but no announcement (no address, no alias). */
  | 'unannounced'
  /** Nothing. */
  | 'absent';

/** What the keeper does after a look. */
export type GraphRemedy = 'none' | 'reannounce' | 'reconnect' | 'wait';

/** What the keeper remembers of one node's graph. */
export interface GraphWatch {
  /** When the graph was last looked at (or the watch began). */
  readonly checkedAt: number;
  /** From one look to the next. */
  readonly delayMs: number;
  /** The graph has shown the LSP with an address at least once. */
  readonly knewLsp: boolean;
  /** When the LSP last connected to the node. */
  readonly connectedAt: number;
}

/** The watch of a node the LSP has just connected to (or first sees). */
export function newGraphWatch(now: number): GraphWatch {
  return { checkedAt: now, delayMs: FIRST_GRAPH_CHECK_MS, knewLsp: false, connectedAt: now };
}

/** True when the node's graph is due to be looked at. */
export function graphCheckDue(watch: GraphWatch, now: number): boolean {
  return now - watch.checkedAt >= watch.delayMs;
}

/**
 * The watch after a look that found `seen`, and what to do. `reannouncedAt` is when the LSP last
 * sent its announcement again (for this node or another: every peer gets it).
 *
 * - `announced`: nothing, and the next look in {@link GRAPH_CHECK_MS}.
 * - `unannounced`: announce again; when an announcement already went out since the previous
 *   look and did not help, connect again instead (at most once per {@link GRAPH_CHECK_MS}).
 * - `absent`: connect again once {@link GRAPH_CHECK_MS} has passed since the last connection
 *   (the sync may still be under way until then), else wait.
 *
 * A node that has never shown the LSP is looked at every {@link FIRST_GRAPH_CHECK_MS}, the
 * interval doubling with each connection again, up to {@link GRAPH_CHECK_MS}.
 */
export function nextGraphStep(
  watch: GraphWatch,
  seen: LspInGraph,
  now: number,
  reannouncedAt: number | undefined,
): { watch: GraphWatch; remedy: GraphRemedy } {
  if (seen === 'announced') {
    return { watch: { ...watch, checkedAt: now, delayMs: GRAPH_CHECK_MS, knewLsp: true }, remedy: 'none' };
  }
  const mayReconnect = now - watch.connectedAt >= GRAPH_CHECK_MS;
  const reannouncedSince = reannouncedAt !== undefined && reannouncedAt >= watch.checkedAt;
  const remedy: GraphRemedy =
    seen === 'unannounced'
      ? reannouncedSince && mayReconnect
        ? 'reconnect'
        : 'reannounce'
      : mayReconnect
        ? 'reconnect'
        : 'wait';
  const delayMs = watch.knewLsp
    ? GRAPH_CHECK_MS
    : remedy === 'reconnect'
      ? Math.min(watch.delayMs * 2, GRAPH_CHECK_MS)
      : watch.delayMs;
  const connectedAt = remedy === 'reconnect' ? now : watch.connectedAt;
  return { watch: { ...watch, checkedAt: now, delayMs, connectedAt }, remedy };
}
