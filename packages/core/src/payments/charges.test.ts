import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEE_SCHEDULE } from '../fees/schedule.ts';
import { msat, sat } from '../money.ts';
import { quotePayment, reservationTake } from './charges.ts';

test('a 0.1 BTC payment: 1001 sat routing fee, the fee limit exact in msat', () => {
  const q = quotePayment(DEFAULT_FEE_SCHEDULE, msat(10_000_000_000));
  assert.deepEqual(q, {
    amount: 10_000_000n,
    routingFee: 1001n,
    feeLimit: 1_001_000n,
    liquidity: 10_001_001n,
  });
});

test('sub-satoshi amounts and fees round up separately', () => {
  const q = quotePayment(DEFAULT_FEE_SCHEDULE, msat(1_500));
  // fee: 1000 msat base + ceil(1500 * 100 / 1e6) = 1001 msat
  assert.deepEqual(q, { amount: 2n, routingFee: 2n, feeLimit: 1001n, liquidity: 3n });
});

test('a payment takes its liquidity from a reservation, or the rest when only the amount fits', () => {
  const q = quotePayment(DEFAULT_FEE_SCHEDULE, msat(500_000_000));
  assert.equal(q.liquidity, 500_051n);
  assert.equal(reservationTake(q, sat(1_000_000)), 500_051n);
  assert.equal(reservationTake(q, sat(500_010)), 500_010n, 'amount covered, fee partly');
  assert.equal(reservationTake(q, sat(500_000)), 500_000n);
  assert.equal(reservationTake(q, sat(499_999)), undefined);
});
