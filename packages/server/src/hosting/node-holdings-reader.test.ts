import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isLspError, sat } from '@blgv/core';
import { type HoldingsPort, lastLookBeforeRemoval, readHoldings } from './node-holdings-reader.ts';

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

test('the last look before removal: a node that received coins since is kept; an empty one, or one not running, goes', async () => {
  const signal = AbortSignal.timeout(1_000);
  const runs = async () => true;
  const stoppedByDriver = async () => false;
  await assert.rejects(lastLookBeforeRemoval(nodeAt([100, 100, 100]), runs, signal), (err) => {
    assert.ok(isLspError(err, ErrorCode.Conflict));
    assert.match(err.message, /while it was being removed; it is kept/);
    return true;
  });
  const empty: HoldingsPort = {
    ...nodeAt([100, 100, 100]),
    walletBalance: async () => ({ confirmed: sat(0), unconfirmed: sat(0), locked: sat(0) }) as never,
  };
  await lastLookBeforeRemoval(empty, runs, signal);
  const silent: HoldingsPort = {
    ...empty,
    getInfo: async () => {
      throw new Error('connect ECONNREFUSED');
    },
  };
  // Not answering: gone only when its driver says it is not running.
  await lastLookBeforeRemoval(silent, stoppedByDriver, signal);
  await assert.rejects(lastLookBeforeRemoval(silent, runs, signal), (err) => {
    assert.ok(isLspError(err, ErrorCode.LightningUnavailable));
    assert.match(err.message, /runs but did not answer .*ECONNREFUSED.*it is kept/);
    return true;
  });
  // Running but not readable whole (the chain moved while it was read): kept, looked at again.
  await assert.rejects(lastLookBeforeRemoval(nodeAt([100, 100, 101]), runs, signal), (err) =>
    isLspError(err, ErrorCode.LightningUnavailable),
  );
});
