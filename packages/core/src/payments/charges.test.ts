import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEE_SCHEDULE } from '../fees/schedule.ts';
import { msat, sat } from '../money.ts';
import { paymentFeeLimit, quotedFeeLimit, quotePayment, reservationTake } from './charges.ts';

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

test("the tenant's fee limit only lowers the node's fee limit below the schedule's routing fee", () => {
  const amount = msat(100_000_000); // 100,000 sat: routing fee 11,000 msat
  const q = quotePayment(DEFAULT_FEE_SCHEDULE, amount);
  assert.equal(paymentFeeLimit(q, amount, {}), 11_000n, 'no limit: the routing fee');
  assert.equal(paymentFeeLimit(q, amount, { maxFeeSat: sat(1n) }), 1_000n);
  assert.equal(paymentFeeLimit(q, amount, { maxFeeSat: sat(0n) }), 0n);
  assert.equal(paymentFeeLimit(q, amount, { maxFeeSat: sat(50n) }), 11_000n, 'never raised');
  assert.equal(paymentFeeLimit(q, amount, { maxFeePpm: 25n }), 2_500n);
  assert.equal(paymentFeeLimit(q, amount, { maxFeeSat: sat(2n), maxFeePpm: 25n }), 2_000n, 'the lower');
  assert.equal(paymentFeeLimit(q, msat(1_999), { maxFeePpm: 500_000n }), 999n, 'ppm rounds down');
});

test("the config's default limit applies only when the tenant gives none", () => {
  const amount = msat(100_000_000);
  const q = quotePayment(DEFAULT_FEE_SCHEDULE, amount);
  const defaults = { maxFeePpm: 50n };
  assert.equal(paymentFeeLimit(q, amount, {}, defaults), 5_000n);
  assert.equal(paymentFeeLimit(q, amount, { maxFeeSat: sat(8n) }, defaults), 8_000n, "the tenant's wins");
  assert.equal(paymentFeeLimit(q, amount, {}, { maxFeeSat: sat(100n) }), 11_000n);
});

test('a quoted fee plus a margin lowers the default limit, never raises a lower one', () => {
  // 2,001 msat quoted, +100 %: 4,002 msat, + 5 sat = 9,002 msat, rounded up: 10 sat.
  assert.deepEqual(quotedFeeLimit({}, msat(2_001n), { percent: 100, sat: 5 }), { maxFeeSat: 10n });
  assert.deepEqual(
    quotedFeeLimit({ maxFeeSat: sat(3), maxFeePpm: 50n }, msat(2_001n), { percent: 100, sat: 5 }),
    {
      maxFeeSat: 3n,
      maxFeePpm: 50n,
    },
  );
  assert.deepEqual(
    quotedFeeLimit({}, msat(0n), { percent: 50, sat: 0 }),
    { maxFeeSat: 0n },
    'a free route: no fee',
  );
  // Through paymentFeeLimit: the schedule's fee (11 sat) lowered to the quote's 10 sat.
  const quote = { feeLimit: msat(11_000n) };
  assert.equal(
    paymentFeeLimit(
      quote,
      msat(100_000_000n),
      {},
      quotedFeeLimit({}, msat(2_001n), { percent: 100, sat: 5 }),
    ),
    10_000n,
  );
});
