import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEE_SCHEDULE } from '../fees/schedule.ts';
import { sat } from '../money.ts';
import { CHANNEL_FUNDING_VBYTES, channelNetworkFee, jitMinFee, priceChannel } from './channel-price.ts';

test("the spec's mobile wallet channel: opening fee + push + network fee, itemised", () => {
  const price = priceChannel(DEFAULT_FEE_SCHEDULE, {
    capacity: sat(1_000_000),
    push: sat(100_000),
    feeRate: 10n,
  });
  assert.deepEqual(price.openingFee, { baseFee: 1000n, capacityFee: 1000n, total: 2000n });
  assert.equal(price.push, 100_000n);
  assert.deepEqual(price.networkFee, { feeRate: 10n, vbytes: CHANNEL_FUNDING_VBYTES, total: 1650n });
  assert.equal(price.total, 2000n + 100_000n + 1650n);
});

test('the network fee grows with the fee rate and refuses a rate below 1 sat/vB', () => {
  assert.equal(channelNetworkFee(1n).total, 165n);
  assert.equal(channelNetworkFee(500n).total, 82_500n);
  assert.throws(() => channelNetworkFee(0n), RangeError);
});

test('a JIT menu never asks less than the base fee plus the on-chain cost', () => {
  assert.equal(jitMinFee(DEFAULT_FEE_SCHEDULE, 25n), (1000n + 25n * 165n) * 1000n);
});
