/**
 * What a deletion does to a hosted node, through the node's own LND: closing a channel,
 * sweeping its wallet to the tenant's address, and reading back the sweeps it sent; what it
 * records of a close asked; and the refusal of a deletion the request does not cover.
 */
import {
  type ChannelCloseRecord,
  type ChannelsPort,
  type DeletionAction,
  describeHoldings,
  ErrorCode,
  formatChannelPoint,
  type GraphPort,
  holdsNothing,
  LspError,
  type NodeHoldings,
  type SweepRecord,
  summariseHoldings,
  type WalletPort,
} from '@blgv/core';
import type { HostedNodeDeletion, HostedNodeRecord } from '@blgv/store';
import type { Logger } from 'pino';

/** The calls a deletion makes of the node's own LND: closing channels, sweeping, reading the sweeps back. */
export type DeletionNode = Pick<ChannelsPort, 'closeChannel'> &
  Pick<WalletPort, 'listOnchainTransactions' | 'sendCoins' | 'walletBalance'> &
  Pick<GraphPort, 'stopAutopilot'>;

/** The label of a deleted node's sweep transactions in its wallet. */
export const SWEEP_LABEL_PREFIX = 'blgv-sweep:';
/** Performs a close or a sweep; answers what the sweep sent. */
export async function performDeletionAction(
  node: Pick<ChannelsPort, 'closeChannel'> & Pick<WalletPort, 'sendCoins' | 'walletBalance'>,
  record: HostedNodeRecord,
  action: Exclude<DeletionAction, { type: 'remove' }>,
  signal: AbortSignal,
  log: Logger,
): Promise<SweepRecord | true> {
  if (action.type === 'close') {
    const { closingTxid } = await node.closeChannel(
      { channelPoint: action.channelPoint, force: action.force },
      signal,
    );
    log.info(
      {
        nodeId: record.id,
        channel: formatChannelPoint(action.channelPoint),
        force: action.force,
        closingTxid,
      },
      action.force ? 'hosted node channel force-closed' : 'hosted node channel closing',
    );
    return true;
  }
  const wallet = await node.walletBalance(signal);
  const { txid } = await node.sendCoins(
    {
      address: action.address,
      amount: wallet.confirmed,
      sendAll: true,
      targetConf: 6,
      label: `${SWEEP_LABEL_PREFIX}${record.id}`,
    },
    signal,
  );
  log.info(
    { nodeId: record.id, txid, to: action.address, balance: wallet.confirmed.toString() },
    'hosted node swept',
  );
  // What it paid the address is read back from the wallet at the next look.
  return { txid, amount: wallet.confirmed, address: action.address, confirmations: 0 };
}

/** The node's sweeps (labelled transactions since the deletion was asked) as its wallet lists them. */
export async function readSweeps(
  node: Pick<WalletPort, 'listOnchainTransactions'>,
  nodeId: string,
  deletion: HostedNodeDeletion,
  signal: AbortSignal,
): Promise<{ sweeps: SweepRecord[]; toOwnAddress: boolean }> {
  const label = `${SWEEP_LABEL_PREFIX}${nodeId}`;
  const txs = await node.listOnchainTransactions({ startHeight: deletion.startHeight ?? 0 }, signal);
  // A sweep whose output to the address is the wallet's own moved nothing out of the node.
  const own = (t: (typeof txs)[number]) =>
    t.outputs.some((o) => o.ours && o.address === deletion.sweepAddress);
  const labelled = txs.filter((t) => t.label === label);
  const found = labelled
    .filter((t) => !own(t))
    .map((t): SweepRecord => {
      const known = deletion.sweeps.find((s) => s.txid === t.txid);
      const address = known?.address ?? deletion.sweepAddress ?? '';
      const paid = t.outputs
        .filter((o) => !o.ours && o.address === address)
        .reduce((s, o) => s + o.amount, 0n);
      return {
        txid: t.txid,
        amount: paid as SweepRecord['amount'],
        address,
        confirmations: t.confirmations,
      };
    });
  // A sweep recorded but not listed yet (just published) is kept as it was.
  for (const s of deletion.sweeps) {
    if (!found.some((f) => f.txid === s.txid) && !labelled.some((t) => t.txid === s.txid)) found.push(s);
  }
  return { sweeps: found, toOwnAddress: labelled.some(own) };
}

/**
 * Records in `closes` a close asked of LND: a cooperative one each time it is asked (its first
 * and latest asking), a force close only once LND took it (`took`): a refused one is asked again.
 */
export function noteClose(
  closes: Record<string, ChannelCloseRecord>,
  action: Extract<DeletionAction, { type: 'close' }>,
  took: boolean,
): void {
  const key = formatChannelPoint(action.channelPoint);
  const now = new Date().toISOString();
  const before = closes[key];
  if (!action.force) closes[key] = { coopAskedAt: before?.coopAskedAt ?? now, coopLastAskedAt: now };
  else if (took)
    closes[key] = {
      coopAskedAt: before?.coopAskedAt ?? now,
      coopLastAskedAt: before?.coopLastAskedAt ?? now,
      forcedAt: now,
    };
}

/**
 * Refuses a deletion of a node that holds something the request does not let the LSP deal with:
 * channels without `closeChannels`, anything without a `sweepAddress` (409 naming what it holds).
 */
export function refuseUnlessCovered(
  holdings: NodeHoldings,
  request: { closeChannels: boolean; sweepAddress: string | null },
): void {
  if (holdsNothing(holdings)) return;
  const holds = describeHoldings(holdings).join(', ');
  const summary = summariseHoldings(holdings);
  const details = {
    openChannels: summary.openChannels,
    openingChannels: summary.openingChannels,
    closingChannels: summary.closingChannels,
    timeLockedSat: Number(summary.timeLockedSat),
    onchainConfirmedSat: Number(summary.onchainConfirmedSat),
    onchainUnconfirmedSat: Number(summary.onchainUnconfirmedSat),
  };
  const channels = holdings.open.length + holdings.opening.length;
  if (channels > 0 && !request.closeChannels)
    throw new LspError(
      ErrorCode.Conflict,
      `the node holds ${holds}; delete with closeChannels and a sweepAddress to close its channels and send its funds there`,
      { field: 'closeChannels', ...details },
    );
  if (!request.sweepAddress)
    throw new LspError(
      ErrorCode.Conflict,
      `the node holds ${holds}; delete with a sweepAddress to send its funds there`,
      { field: 'sweepAddress', ...details },
    );
}

/** A deletion's action in words, for logs. */
export function describeAction(action: DeletionAction): string {
  if (action.type === 'close')
    return `${action.force ? 'force ' : ''}close ${formatChannelPoint(action.channelPoint)}`;
  return action.type;
}
