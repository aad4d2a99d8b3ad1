import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msat, msatToSatCeil, msatToSatFloor, sat, satToMsat } from './money.ts';

test('sat and msat accept integers in every form and refuse fractions', () => {
  assert.equal(sat(5), 5n);
  assert.equal(sat('12'), 12n);
  assert.equal(msat(7n), 7n);
  assert.throws(() => sat(1.5), /safe integer/);
  assert.throws(() => msat('1.5'), /decimal integer/);
  assert.throws(() => sat(2 ** 60), /safe integer/);
});

test('conversions are exact or round in the named direction', () => {
  assert.equal(satToMsat(sat(3)), 3000n);
  assert.equal(msatToSatFloor(msat(2999)), 2n);
  assert.equal(msatToSatCeil(msat(2001)), 3n);
  assert.equal(msatToSatCeil(msat(2000)), 2n);
});
