/**
 * What a channel its client never paid for cost the LSP, as the operator sees it: one unpaid
 * channel in the figures, at its share of its funding transaction's fee (the fee over the
 * transaction's channels, rounded up), and once its close is mined, what the close cost, read
 * from the chain: a cooperative close's fee, or for a force close everything that did not come
 * back to the LSP's wallet (the commitment's fee, its anchors, its sweeps' fees).
 */
import assert from 'node:assert/strict';
import { type ClosingChannel, formatChannelPoint } from '@blgv/core';
import type { Harness, LndNode } from '@blgv/regtest';
import { chainSat, chainTransaction, type TestLsp, transactionFee, within } from '@blgv/testkit';

/**
 * Waits for the figures to show one unpaid channel more than `before` (none by default), funded
 * by `txid` (of `channels`); its share.
 */
export async function assertUnpaidChannelCost(
  h: Harness,
  lsp: Pick<TestLsp, 'admin'>,
  txid: string,
  channels: number,
  before: { readonly count: number; readonly fundingShareSat: number } = { count: 0, fundingShareSat: 0 },
): Promise<bigint> {
  const n = BigInt(channels);
  const share = ((await transactionFee(h, txid)) + n - 1n) / n;
  const costs = await h.waitFor(
    async () => {
      const c = await unpaidCosts(lsp);
      return c.count > before.count ? c : undefined;
    },
    { what: 'the unpaid channel in the figures' },
  );
  assert.deepEqual(
    { count: costs.count, fundingShareSat: costs.fundingShareSat },
    { count: before.count + 1, fundingShareSat: before.fundingShareSat + Number(share) },
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

/** The LSP's unpaid channel costs in the figures now. */
export async function unpaidCosts(lsp: Pick<TestLsp, 'admin'>) {
  return (await lsp.admin.admin.figures('24h')).costs.unpaidChannels;
}

/**
 * Mines, a block at a time, the force close of the unpaid channel `closing` (the LSP's node
 * `lspNode`) until LND has resolved it (its time lock run out, its output swept) and the figures
 * show one more close priced than `before`; asserts what it was priced at: the channel's capacity
 * less what the sweeps of its outputs paid the LSP's wallet, read from the chain. Answers it.
 */
export async function assertUnpaidForceCloseCost(
  h: Harness,
  lsp: Pick<TestLsp, 'admin'>,
  lspNode: LndNode,
  closing: ClosingChannel,
  before: { readonly count: number; readonly closeFeeSat: number },
): Promise<bigint> {
  // A force close waits for its commitment to confirm among the closes, then is force_closing.
  const point = formatChannelPoint(closing.channelPoint);
  const forced = await h.waitFor(
    async () => {
      const c = (await lspNode.lnd.closingChannels(within())).find(
        (c) => formatChannelPoint(c.channelPoint) === point,
      );
      if (c?.kind === 'force_closing') return c;
      await h.mine(1);
      return undefined;
    },
    { what: "the unpaid channel's commitment confirmed, force-closing", intervalMs: 500 },
  );
  const closingTxid = forced.closingTxid ?? assert.fail('the force close names its commitment transaction');
  const costs = await h.waitFor(
    async () => {
      const c = await unpaidCosts(lsp);
      if (c.closeFeeSat > before.closeFeeSat || c.count > before.count + 1) return c;
      await h.mine(1);
      return undefined;
    },
    {
      what: "the unpaid channel's force close resolved and in the figures",
      timeoutMs: 240_000,
      intervalMs: 1_000,
    },
  );
  // What came back: every output of the LSP's wallet transactions that spent the commitment's
  // outputs (here each sweep spends nothing else, so all it pays is this channel's).
  const sweeps = (await lspNode.lnd.listOnchainTransactions({ startHeight: 0 }, within())).filter((t) =>
    t.inputs.some((i) => i.txid === closingTxid),
  );
  assert.ok(sweeps.length > 0, "the LSP's output was swept to its wallet");
  let back = 0n;
  for (const sweep of sweeps) {
    const tx = await chainTransaction(h, sweep.txid);
    assert.ok(
      tx.vin.every((i) => i.txid === closingTxid),
      `sweep ${sweep.txid} spends only the commitment's outputs`,
    );
    for (const o of tx.vout) back += chainSat(o.value);
  }
  const cost = BigInt(closing.capacity) - back;
  assert.equal(
    BigInt(costs.closeFeeSat - before.closeFeeSat),
    cost,
    `the force close's cost: ${closing.capacity} sat less the ${back} sat its sweeps brought back`,
  );
  return cost;
}
