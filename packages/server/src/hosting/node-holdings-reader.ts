/**
 * Reads what a hosted node holds ({@link NodeHoldings}) from its LND: channels opening, open and
 * closing, and its on-chain wallet.
 */
import {
  type ChannelsPort,
  describeHoldings,
  ErrorCode,
  holdsNothing,
  LspError,
  type NodeHoldings,
  type NodePort,
  type WalletPort,
} from '@blgv/core';
import { errorMessage } from '../error-message.ts';

/** The calls reading holdings needs. */
export type HoldingsPort = Pick<NodePort, 'getInfo'> &
  Pick<ChannelsPort, 'closingChannels' | 'listChannels' | 'pendingChannels'> &
  Pick<WalletPort, 'walletBalance'>;

/**
 * Reads a node's holdings. The lists are read in the order channels and funds move (opening,
 * open, closing, wallet): one that moves while they are read shows up in a later list, or twice,
 * and is never missed, provided no block arrives meanwhile (checked: the node's height is read
 * before and after). A node not synced to the chain yet is refused (`lightning_unavailable`):
 * a node just started may not have seen the coins it received while it was stopped, and an
 * empty wallet read then would let it be deleted with them.
 */
export async function readHoldings(node: HoldingsPort, signal: AbortSignal): Promise<NodeHoldings> {
  const info = await node.getInfo(signal);
  if (!info.syncedToChain)
    throw new LspError(ErrorCode.LightningUnavailable, 'the node has not caught up with the chain yet');
  const opening = await node.pendingChannels(signal);
  const open = await node.listChannels(signal);
  const closing = await node.closingChannels(signal);
  const wallet = await node.walletBalance(signal);
  // LND's channel arbitrator and its wallet take each block separately: a channel whose close
  // confirmed in a block the wallet had not taken yet is in neither list. Read again on the next
  // look unless the node was synced at the same height throughout.
  const after = await node.getInfo(signal);
  if (!after.syncedToChain || after.blockHeight !== info.blockHeight)
    throw new LspError(ErrorCode.LightningUnavailable, 'the chain moved while the node was read; read again');
  return {
    opening: opening.map((c) => ({
      channelPoint: c.channelPoint,
      remotePubkey: c.remotePubkey,
      capacity: c.capacity,
      localBalance: c.localBalance,
      active: false,
    })),
    open: open.map((c) => ({
      channelPoint: c.channelPoint,
      remotePubkey: c.remotePubkey,
      capacity: c.capacity,
      localBalance: c.localBalance,
      active: c.active,
    })),
    closing,
    confirmed: wallet.confirmed,
    unconfirmed: wallet.unconfirmed,
    locked: wallet.locked,
    height: info.blockHeight,
  };
}

/**
 * The last look at a node about to be removed, right before its data goes: a node that answers
 * and holds anything now (a deposit, a channel opened to it since the look that decided the
 * removal), or cannot be read whole, is refused (`conflict` naming what it holds, or why it
 * could not be read): it stays `deleting`, for the keeper's next look to close and sweep it,
 * or to say why not. A node that does not answer is removed only when its driver says it is
 * stopped or gone (`running` tells, after the call failed): no channel can reach a stopped node,
 * and coins sent to its wallet stay its seed's, which the archive keeps. One whose process runs
 * but does not answer (a call timing out under load, a wallet locked after a restart) may have
 * been given a channel or coins since the last look: it is kept (`lightning_unavailable`).
 */
export async function lastLookBeforeRemoval(
  node: HoldingsPort,
  running: () => Promise<boolean>,
  signal: AbortSignal,
): Promise<void> {
  const answered = await node.getInfo(signal).then(
    () => true,
    (err: unknown) => err,
  );
  if (answered !== true) {
    if (!(await running())) return;
    throw new LspError(
      ErrorCode.LightningUnavailable,
      `the node runs but did not answer its last look before removal (${errorMessage(answered)}); it is kept, deleting, and looked at again`,
      { field: 'state' },
    );
  }
  // Running: it must be read whole (a node it cannot read now is kept and looked at again).
  const holdings = await readHoldings(node, signal);
  if (!holdsNothing(holdings))
    throw new LspError(
      ErrorCode.Conflict,
      `the node received ${describeHoldings(holdings)} while it was being removed; it is kept, deleting, and looked at again`,
      { field: 'state' },
    );
}
