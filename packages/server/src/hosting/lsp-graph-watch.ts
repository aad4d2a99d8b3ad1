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
/**
 * The least time between two announcements of the LSP by default on regtest (one look). On a
 * public network the LSP announces itself at most every `hosting.reannounceIntervalMs`
 * (10 min by default): each announcement is relayed through the whole network, and peers drop
 * a node's announcements that come too often.
 */
export const REGTEST_REANNOUNCE_MS = FIRST_GRAPH_CHECK_MS;

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

/** When the LSP last announced itself again, and the least time between two announcements. */
export interface Reannouncements {
  /** For this node or another: every peer gets it. */
  readonly at: number | undefined;
  readonly minIntervalMs: number;
}

/**
 * The watch after a look that found `seen`, and what to do.
 *
 * - `announced`: nothing, and the next look in {@link GRAPH_CHECK_MS}.
 * - `unannounced`: announce again; when an announcement already went out since the previous
 *   look and did not help, or the last one is too recent to send another, connect again
 *   instead (at most once per {@link GRAPH_CHECK_MS}); else wait.
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
  reannounced: Reannouncements,
): { watch: GraphWatch; remedy: GraphRemedy } {
  if (seen === 'announced') {
    return { watch: { ...watch, checkedAt: now, delayMs: GRAPH_CHECK_MS, knewLsp: true }, remedy: 'none' };
  }
  const mayReconnect = now - watch.connectedAt >= GRAPH_CHECK_MS;
  const { at, minIntervalMs } = reannounced;
  const reannouncedSince = at !== undefined && at >= watch.checkedAt;
  const mayReannounce = at === undefined || now - at >= minIntervalMs;
  const remedy: GraphRemedy =
    seen === 'unannounced'
      ? (reannouncedSince || !mayReannounce) && mayReconnect
        ? 'reconnect'
        : mayReannounce
          ? 'reannounce'
          : 'wait'
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
