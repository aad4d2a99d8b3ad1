import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isLspError, sat } from '@blgv/core';
import { type HoldingsPort, readHoldings } from './node-holdings-reader.ts';

/** A node whose getInfo answers the heights given, one per call (synced throughout). */
function nodeAt(heights: number[], synced = true): HoldingsPort {
  return {
    getInfo: async () => ({ syncedToChain: synced, blockHeight: heights.shift() ?? 0 }) as never,
    pendingChannels: async () => [],
    listChannels: async () => [],
    closingChannels: async () => [],
    walletBalance: async () => ({ confirmed: sat(1_000), unconfirmed: sat(0), locked: sat(0) }) as never,
  };
}

test('holdings read at one height throughout are answered', async () => {
  const h = await readHoldings(nodeAt([100, 100]), AbortSignal.timeout(1_000));
  assert.equal(h.confirmed, 1_000n);
  assert.equal(h.height, 100);
});

test('a block arriving while the lists are read (a close the wallet has not taken yet) refuses the read', async () => {
  await assert.rejects(readHoldings(nodeAt([100, 101]), AbortSignal.timeout(1_000)), (err) =>
    isLspError(err, ErrorCode.LightningUnavailable),
  );
  await assert.rejects(readHoldings(nodeAt([100, 100], false), AbortSignal.timeout(1_000)), (err) =>
    isLspError(err, ErrorCode.LightningUnavailable),
  );
});
