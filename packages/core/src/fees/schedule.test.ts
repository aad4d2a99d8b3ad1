import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msat, sat } from '../money.ts';
import { DEFAULT_FEE_SCHEDULE, ppmOfCeil, quoteChannelOpening, routingFee } from './schedule.ts';

test('ppm fees round up to the next unit and are exact on multiples', () => {
  assert.equal(ppmOfCeil(1_000_000n, 1000n), 1000n);
  assert.equal(ppmOfCeil(1n, 1000n), 1n, 'a fraction of a sat is a whole sat');
  assert.equal(ppmOfCeil(999n, 1000n), 1n);
  assert.equal(ppmOfCeil(1_001n, 1000n), 2n);
  assert.equal(ppmOfCeil(0n, 1000n), 0n);
  assert.equal(ppmOfCeil(123n, 0n), 0n);
  assert.throws(() => ppmOfCeil(-1n, 1n), RangeError);
});

test("the spec's channel fee: 1000 sat + 0.1 % of capacity", () => {
  assert.deepEqual(quoteChannelOpening(DEFAULT_FEE_SCHEDULE, sat(1_000_000)), {
    baseFee: 1000n,
    capacityFee: 1000n,
    total: 2000n,
  });
  assert.deepEqual(quoteChannelOpening(DEFAULT_FEE_SCHEDULE, sat(20_001)), {
    baseFee: 1000n,
    capacityFee: 21n,
    total: 1021n,
  });
});

test('bounds: the largest amounts stay exact', () => {
  const max = sat(2_100_000_000_000_000n);
  assert.equal(quoteChannelOpening(DEFAULT_FEE_SCHEDULE, max).capacityFee, 2_100_000_000_000n);
});

test('routing fee: 1000 msat + 100 ppm', () => {
  assert.equal(routingFee(DEFAULT_FEE_SCHEDULE, msat(10_000_000)), 2000n);
  assert.equal(routingFee(DEFAULT_FEE_SCHEDULE, msat(1)), 1001n);
});
