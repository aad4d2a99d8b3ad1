/**
 * bLIP-55 `lsps5.expiry_soon`: an HTLC on a channel with the client, in either direction, is
 * within 24 blocks of the height at which the LSP's node would close the channel to enforce it
 * (its CLTV expiry less the node's broadcast margin).
 */
import type { Channel, Pubkey } from '@blgv/core';

/** bLIP-55: "within 24 blocks of being timed out". */
export const EXPIRY_SOON_BLOCKS = 24;

/**
 * For each client with an HTLC close to forcing a close, the earliest such height (the
 * notification's `timeout`). `marginBlocks` is how long before an HTLC's expiry LND goes on chain.
 */
export function expiringSoon(
  channels: readonly Pick<Channel, 'remotePubkey' | 'htlcs'>[],
  height: number,
  marginBlocks: number,
): Map<Pubkey, number> {
  const soon = new Map<Pubkey, number>();
  for (const c of channels) {
    for (const h of c.htlcs) {
      const timeout = h.expirationHeight - marginBlocks;
      if (timeout - height > EXPIRY_SOON_BLOCKS) continue;
      const earliest = soon.get(c.remotePubkey);
      if (earliest === undefined || timeout < earliest) soon.set(c.remotePubkey, timeout);
    }
  }
  return soon;
}
