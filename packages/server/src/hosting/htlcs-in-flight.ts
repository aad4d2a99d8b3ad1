/**
 * The HTLCs a hosted node has in flight, which it must be online to resolve: on its open
 * channels (each claimed with its preimage, or failed back, before it times out) and on its
 * force-closed ones (claimed or timed out on chain). Offline past an HTLC's time-out, the node
 * loses it to the peers on either side: its tenant's `stop` is refused while there are any, and
 * while a force close is still waiting for its confirmations (LND lists that channel's HTLCs
 * only after them, so none showing proves nothing yet).
 */
import { type ChannelsPort, ErrorCode, LspError } from '@blgv/core';

/** The calls counting HTLCs needs. */
export type HtlcsPort = Pick<ChannelsPort, 'listChannels' | 'closingChannels'>;

/** What a node has in flight. */
export interface InFlight {
  /** HTLCs listed on its open and force-closed channels. */
  readonly htlcs: number;
  /** Force closes waiting for their confirmations, whose HTLCs LND does not list yet. */
  readonly unconfirmedForceCloses: number;
}

/** How many HTLCs the node has in flight, open and force-closed channels together. */
export async function htlcsInFlight(node: HtlcsPort, signal: AbortSignal): Promise<InFlight> {
  const open = await node.listChannels(signal);
  const closing = await node.closingChannels(signal);
  return {
    htlcs: [...open, ...closing].reduce((n, c) => n + c.pendingHtlcs, 0),
    unconfirmedForceCloses: closing.filter((c) => c.htlcsUnknown).length,
  };
}

/**
 * Refuses to stop `nodeId` (409, `details.htlcsInFlight`) while it has HTLCs in flight, or a
 * force close whose HTLCs are not known yet (`details.unconfirmedForceCloses`).
 */
export function refuseStopWithHtlcs(nodeId: string, inFlight: InFlight): void {
  const { htlcs: count, unconfirmedForceCloses } = inFlight;
  if (count > 0) {
    const htlcs = count === 1 ? '1 HTLC' : `${count} HTLCs`;
    throw new LspError(
      ErrorCode.Conflict,
      `node ${nodeId} has ${htlcs} in flight: stopped now, it could not claim or fail them back before they time out; stop it once they have resolved`,
      { field: 'htlcs', htlcsInFlight: count, unconfirmedForceCloses },
    );
  }
  if (unconfirmedForceCloses > 0)
    throw new LspError(
      ErrorCode.Conflict,
      `node ${nodeId} has ${unconfirmedForceCloses === 1 ? 'a force close' : `${unconfirmedForceCloses} force closes`} waiting for confirmations, whose HTLCs LND lists only then: stopped now, it could not resolve them on chain; stop it once the close has confirmed`,
      { field: 'htlcs', htlcsInFlight: 0, unconfirmedForceCloses },
    );
}
