/**
 * What a channel its client never paid for cost the LSP, as the operator sees it: one unpaid
 * channel in the figures, at its share of its funding transaction's fee (the fee over the
 * transaction's channels, rounded up), and once its close is mined, what the close cost, read
 * from the chain.
 */
import assert from 'node:assert/strict';
import type { ClosingChannel } from '@blgv/core';
import type { Harness, LndNode } from '@blgv/regtest';
import { type TestLsp, transactionFee, within } from '@blgv/testkit';

/** Waits for the figures to show the one unpaid channel funded by `txid` (of `channels`); its share. */
export async function assertUnpaidChannelCost(
  h: Harness,
  lsp: Pick<TestLsp, 'admin'>,
  txid: string,
  channels: number,
): Promise<bigint> {
  const n = BigInt(channels);
  const share = ((await transactionFee(h, txid)) + n - 1n) / n;
  const costs = await h.waitFor(
    async () => {
      const c = (await lsp.admin.admin.figures('24h')).costs.unpaidChannels;
      return c.count > 0 ? c : undefined;
    },
    { what: 'the unpaid channel in the figures' },
  );
  assert.deepEqual(
    { count: costs.count, fundingShareSat: costs.fundingShareSat },
    { count: 1, fundingShareSat: Number(share) },
    "the LSP's expense: its share of the funding",
  );
  return share;
}

/**
 * Mines the cooperative close of the unpaid channel `closing` (the LSP's node `lspNode`) and
 * waits for the figures to show what it cost: the close transaction's fee, read from the chain
 * (the client had nothing in the channel, so the LSP's output is all of it less the fee).
 */
export async function assertUnpaidCloseCost(
  h: Harness,
  lsp: Pick<TestLsp, 'admin'>,
  lspNode: LndNode,
  closing: ClosingChannel,
): Promise<void> {
  assert.equal(closing.kind, 'waiting_close', 'closed cooperatively');
  const point = `${closing.channelPoint.txid}:${closing.channelPoint.outputIndex}`;
  const txid = await h.waitFor(
    async () =>
      (await lspNode.lnd.closingChannels(within())).find(
        (c) => `${c.channelPoint.txid}:${c.channelPoint.outputIndex}` === point,
      )?.closingTxid,
    { what: "the unpaid channel's closing transaction" },
  );
  // LND takes a close as done after 3 confirmations at least (more for large channels).
  await h.mine(3);
  const costs = await h.waitFor(
    async () => {
      const c = (await lsp.admin.admin.figures('24h')).costs.unpaidChannels;
      return c.closeFeeSat > 0 ? c : undefined;
    },
    { what: "the unpaid channel's close in the figures", timeoutMs: 60_000 },
  );
  assert.equal(BigInt(costs.closeFeeSat), await transactionFee(h, txid), 'what its close transaction paid');
}
