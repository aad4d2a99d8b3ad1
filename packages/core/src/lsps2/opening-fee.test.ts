import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msat } from '../money.ts';
import { openingFee } from './opening-fee.ts';

test('the opening fee is the larger of the minimum and the rounded-up proportional fee', () => {
  const rate = { minFeeMsat: msat(1_000_000), proportional: 1000n };
  assert.equal(openingFee(rate, msat(200_000_000)), 1_000_000n, 'the minimum wins on small payments');
  assert.equal(openingFee(rate, msat(2_000_000_000)), 2_000_000n);
  assert.equal(openingFee(rate, msat(2_000_000_001)), 2_000_001n, 'rounded up');
});

test('a fee that would overflow 64 bits is undefined', () => {
  assert.equal(openingFee({ minFeeMsat: msat(0), proportional: 1_000_000n }, msat(2n ** 63n)), undefined);
  assert.equal(openingFee({ minFeeMsat: msat(0), proportional: 2n }, msat(2n ** 63n)), undefined);
  assert.equal(openingFee({ minFeeMsat: msat(0), proportional: 1n }, msat(2n ** 63n)), 9_223_372_036_855n);
});
