/**
 * What a story checks when an open must have cost the LSP nothing on chain: btcd's mempool and
 * the height as they were, no wallet input leased, the LSP's on-chain balance whole.
 */
import assert from 'node:assert/strict';
import type { Sat } from '@blgv/core';
import { type Network, within } from '@blgv/testkit';

/** btcd's mempool (txids). */
export const mempool = (net: Network) => net.h.btcd.rpc<string[]>('getrawmempool', []);

/** The chain's height as the LSP's node sees it. */
export const height = async (net: Network) => (await net.lsp.lnd.getInfo(within())).blockHeight;

/** Waits until the LSP's wallet holds no lease and as much as `before` again (nothing spent). */
export async function assertNothingSpent(
  net: Network,
  before: Sat,
  mempoolBefore: readonly string[],
  heightBefore: number,
): Promise<void> {
  const lsp = net.lsp.lnd;
  await net.h.waitFor(async () => ((await lsp.listLeases(within())).length === 0 ? true : undefined), {
    what: "the LSP's wallet inputs to be released",
  });
  assert.equal((await lsp.walletBalance(within())).confirmed, before, "the LSP's on-chain balance is whole");
  assert.deepEqual(await mempool(net), mempoolBefore, 'no funding transaction reached the mempool');
  assert.equal(await height(net), heightBefore, 'and no block was mined meanwhile');
}
