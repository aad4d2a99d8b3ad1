/**
 * What a channel its client never paid for cost the LSP, as the operator sees it: one unpaid
 * channel in the figures, at its share of its funding transaction's fee (the fee over the
 * transaction's channels, rounded up), read from the chain.
 */
import assert from 'node:assert/strict';
import type { Harness } from '@blgv/regtest';
import { type TestLsp, transactionFee } from '@blgv/testkit';

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
    costs,
    { count: 1, fundingShareSat: Number(share) },
    "the LSP's expense: its share of the funding",
  );
  return share;
}
