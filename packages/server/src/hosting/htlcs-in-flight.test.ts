import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLspError } from '@blgv/core';
import { type HtlcsPort, htlcsInFlight, refuseStopWithHtlcs } from './htlcs-in-flight.ts';

/**
 * A node whose open and closing channels hold these many HTLCs each; `unknown` closing channels
 * more, force closes waiting for their confirmations (their HTLCs not listed).
 */
const node = (open: number[], closing: number[], unknown = 0): HtlcsPort => ({
  listChannels: async () => open.map((pendingHtlcs) => ({ pendingHtlcs })) as never,
  closingChannels: async () =>
    [
      ...closing.map((pendingHtlcs) => ({ pendingHtlcs, htlcsUnknown: false })),
      ...Array.from({ length: unknown }, () => ({ pendingHtlcs: 0, htlcsUnknown: true })),
    ] as never,
});

test("a node's HTLCs in flight are counted over its open and its force-closed channels", async () => {
  const signal = AbortSignal.timeout(1_000);
  assert.deepEqual(await htlcsInFlight(node([], []), signal), { htlcs: 0, unconfirmedForceCloses: 0 });
  assert.deepEqual(await htlcsInFlight(node([0, 2], [0]), signal), { htlcs: 2, unconfirmedForceCloses: 0 });
  assert.deepEqual(await htlcsInFlight(node([0], [1, 3], 1), signal), {
    htlcs: 4,
    unconfirmedForceCloses: 1,
  });
});

test('a stop is refused while any is in flight, naming how many; none lets it through', () => {
  refuseStopWithHtlcs('n1', { htlcs: 0, unconfirmedForceCloses: 0 });
  assert.throws(
    () => refuseStopWithHtlcs('n1', { htlcs: 2, unconfirmedForceCloses: 0 }),
    (err) =>
      isLspError(err) &&
      err.code === 'conflict' &&
      /node n1 has 2 HTLCs in flight/.test(err.message) &&
      err.details?.htlcsInFlight === 2,
  );
});

test('a stop is refused while a force close waits for its confirmations: LND lists its HTLCs only then', async () => {
  const inFlight = await htlcsInFlight(node([], [], 1), AbortSignal.timeout(1_000));
  assert.throws(
    () => refuseStopWithHtlcs('n1', inFlight),
    (err) =>
      isLspError(err) &&
      err.code === 'conflict' &&
      /a force close waiting for confirmations/.test(err.message) &&
      err.details?.unconfirmedForceCloses === 1,
  );
});
