/**
 * The HTLCs a hosted node has in flight, which it must be online to resolve: on its open
 * channels (each claimed with its preimage, or failed back, before it times out) and on its
 * force-closed ones (claimed or timed out on chain). Offline past an HTLC's time-out, the node
 * loses it to the peers on either side: its tenant's `stop` is refused while there are any.
 */
import { type ChannelsPort, ErrorCode, LspError } from '@blgv/core';

/** The calls counting HTLCs needs. */
export type HtlcsPort = Pick<ChannelsPort, 'listChannels' | 'closingChannels'>;

/** How many HTLCs the node has in flight, open and force-closed channels together. */
export async function htlcsInFlight(node: HtlcsPort, signal: AbortSignal): Promise<number> {
  const open = await node.listChannels(signal);
  const closing = await node.closingChannels(signal);
  return [...open, ...closing].reduce((n, c) => n + c.pendingHtlcs, 0);
}

/** Refuses to stop `nodeId` (409, `details.htlcsInFlight`) while it has `count` HTLCs in flight. */
export function refuseStopWithHtlcs(nodeId: string, count: number): void {
  if (count === 0) return;
  const htlcs = count === 1 ? '1 HTLC' : `${count} HTLCs`;
  throw new LspError(
    ErrorCode.Conflict,
    `node ${nodeId} has ${htlcs} in flight: stopped now, it could not claim or fail them back before they time out; stop it once they have resolved`,
    { field: 'htlcs', htlcsInFlight: count },
  );
}
