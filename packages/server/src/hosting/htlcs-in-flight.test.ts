import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLspError } from '@blgv/core';
import { type HtlcsPort, htlcsInFlight, refuseStopWithHtlcs } from './htlcs-in-flight.ts';

/** A node whose open and force-closed channels hold these many HTLCs each. */
const node = (open: number[], closing: number[]): HtlcsPort => ({
  listChannels: async () => open.map((pendingHtlcs) => ({ pendingHtlcs })) as never,
  closingChannels: async () => closing.map((pendingHtlcs) => ({ pendingHtlcs })) as never,
});

test("a node's HTLCs in flight are counted over its open and its force-closed channels", async () => {
  const signal = AbortSignal.timeout(1_000);
  assert.equal(await htlcsInFlight(node([], []), signal), 0);
  assert.equal(await htlcsInFlight(node([0, 2], [0]), signal), 2);
  assert.equal(await htlcsInFlight(node([0], [1, 3]), signal), 4);
});

test('a stop is refused while any is in flight, naming how many; none lets it through', () => {
  refuseStopWithHtlcs('n1', 0);
  assert.throws(
    () => refuseStopWithHtlcs('n1', 2),
    (err) =>
      isLspError(err) &&
      err.code === 'conflict' &&
      /node n1 has 2 HTLCs in flight/.test(err.message) &&
      err.details?.htlcsInFlight === 2,
  );
});
