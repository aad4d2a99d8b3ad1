import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_FEE_SCHEDULE, type FeeSchedule } from '../fees/schedule.ts';
import { type Sat, sat } from '../money.ts';
import {
  availableLiquidity,
  purchaseBudget,
  quoteReservation,
  type ReservationSnapshot,
  reservationRemaining,
  reservationTransition,
  spendableOutbound,
  utilizationFee,
  withPurchaseFee,
} from './reservation.ts';

test("the spec's example: 0.1 BTC for an hour costs 100 sat + 500 ppm, 510 ppm if fully used", () => {
  const q = quoteReservation(DEFAULT_FEE_SCHEDULE, sat(10_000_000));
  assert.deepEqual(q, {
    reservationFee: 100n,
    utilizationFeePpm: 500n,
    maxUtilizationFee: 5000n,
    feeRatePpm: 510n,
  });
});

test('the fee rate rounds up: small reservations are dominated by the fixed fee', () => {
  // 100 + ceil(1000 * 500 / 1e6) = 101 sat on 1000 sat = 101,000 ppm
  assert.equal(quoteReservation(DEFAULT_FEE_SCHEDULE, sat(1000)).feeRatePpm, 101_000n);
  // 100 + ceil(3 * 500 / 1e6) = 101 sat on 3 sat = 33,666,666.67 ppm -> 33,666,667
  assert.equal(quoteReservation(DEFAULT_FEE_SCHEDULE, sat(3)).feeRatePpm, 33_666_667n);
  assert.throws(() => quoteReservation(DEFAULT_FEE_SCHEDULE, sat(0)), RangeError);
});

test('feeRatePpm is the smallest integer rate covering the whole fee', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }),
      fc.bigInt({ min: 0n, max: 1_000_000n }),
      fc.bigInt({ min: 0n, max: 1_000_000_000n }),
      (amount, ppm, fixed) => {
        const schedule: FeeSchedule = {
          ...DEFAULT_FEE_SCHEDULE,
          liquidity: { reservationFee: fixed as Sat, utilizationFeePpm: ppm },
        };
        const q = quoteReservation(schedule, amount as Sat);
        const total = q.reservationFee + q.maxUtilizationFee;
        assert.equal(
          q.maxUtilizationFee,
          utilizationFee({ amount: amount as Sat, utilizationFeePpm: ppm }, amount as Sat, sat(0)),
        );
        assert.ok(q.feeRatePpm * amount >= total * 1_000_000n, 'covers the fee');
        assert.ok((q.feeRatePpm - 1n) * amount < total * 1_000_000n, 'and is the smallest such rate');
      },
    ),
  );
});

test("a payment's utilization fee: the reservation's own rate, rounded up, never past the quoted maximum in all", () => {
  const reservation = { amount: sat(100_000), utilizationFeePpm: 500n }; // quoted: 50 sat
  assert.equal(utilizationFee(reservation, sat(40_000), sat(0)), 20n);
  assert.equal(utilizationFee(reservation, sat(1_000), sat(0)), 1n, 'half a sat, rounded up');
  assert.equal(utilizationFee(reservation, sat(40_000), sat(45)), 5n, 'only what is left of the 50');
  assert.equal(utilizationFee(reservation, sat(1_000), sat(50)), 0n);
  // The reservation used up in 1,000-sat payments costs what was quoted, not 100 x 1 sat.
  let charged = 0n;
  for (let i = 0; i < 100; i++) charged += utilizationFee(reservation, sat(1_000), sat(charged));
  assert.equal(charged, 50n);
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: 1n, max: 10_000n }), { minLength: 1, maxLength: 50 }),
      fc.bigInt({ min: 0n, max: 1_000_000n }),
      (payments, ppm) => {
        const r = { amount: sat(payments.reduce((a, b) => a + b, 0n)), utilizationFeePpm: ppm };
        let total = 0n;
        for (const p of payments) total += utilizationFee(r, sat(p), sat(total));
        assert.equal(
          total,
          (r.amount * ppm + 999_999n) / 1_000_000n,
          'fully used: exactly the quoted maximum',
        );
      },
    ),
  );
});

const active = (amount: number, used = 0): ReservationSnapshot => ({
  state: 'active',
  amount: sat(amount),
  used: sat(used),
});

test('use takes from what is left and exhausts the reservation at zero', () => {
  const r1 = reservationTransition(active(1000), { type: 'use', amount: sat(400) });
  assert.deepEqual(r1, { ok: true, state: 'active', effects: [], used: 400n });
  const r2 = reservationTransition(active(1000, 400), { type: 'use', amount: sat(600) });
  assert.deepEqual(r2, { ok: true, state: 'exhausted', effects: [], used: 1000n });
  assert.deepEqual(reservationTransition(active(1000, 400), { type: 'use', amount: sat(601) }), {
    ok: false,
    reason: 'exceeded',
  });
  assert.equal(reservationRemaining(active(1000, 400)), 600n);
});

test('a failed payment restores an exhausted reservation to active', () => {
  const exhausted: ReservationSnapshot = { state: 'exhausted', amount: sat(1000), used: sat(1000) };
  assert.deepEqual(reservationTransition(exhausted, { type: 'restore', amount: sat(300) }), {
    ok: true,
    state: 'active',
    effects: [],
    used: 700n,
  });
  const released: ReservationSnapshot = { state: 'released', amount: sat(1000), used: sat(1000) };
  const step = reservationTransition(released, { type: 'restore', amount: sat(1000) });
  assert.deepEqual(step, { ok: true, state: 'released', effects: [], used: 0n });
  assert.equal(reservationRemaining(released), 0n, 'an ended reservation holds nothing');
});

test('release and expire end live reservations only', () => {
  for (const type of ['release', 'expire'] as const) {
    const to = type === 'release' ? 'released' : 'expired';
    assert.deepEqual(reservationTransition(active(10), { type }), {
      ok: true,
      state: to,
      effects: [],
      used: 0n,
    });
    for (const state of ['released', 'expired'] as const) {
      assert.deepEqual(reservationTransition({ ...active(10), state }, { type }), {
        ok: false,
        reason: 'inactive',
      });
    }
  }
  assert.deepEqual(
    reservationTransition({ ...active(10), state: 'expired' }, { type: 'use', amount: sat(1) }),
    {
      ok: false,
      reason: 'inactive',
    },
  );
});

test('available liquidity never goes below zero', () => {
  assert.equal(
    availableLiquidity({ spendable: sat(1000), reservedRemaining: sat(300), pendingPayments: sat(200) }),
    500n,
  );
  assert.equal(
    availableLiquidity({ spendable: sat(100), reservedRemaining: sat(300), pendingPayments: sat(0) }),
    0n,
  );
});

test('spendable outbound counts active channels above their reserve', () => {
  const ch = (active: boolean, localBalance: number, localReserve: number) => ({
    active,
    localBalance: sat(localBalance),
    localReserve: sat(localReserve),
  });
  assert.equal(spendableOutbound([ch(true, 1000, 100), ch(false, 5000, 0), ch(true, 50, 100)]), 900n);
  assert.equal(spendableOutbound([]), 0n);
});

test('a purchase may cost what maxFeeRate leaves after the reservation fees; the quote then carries it', () => {
  const amount = sat(10_000_000);
  const quote = quoteReservation(DEFAULT_FEE_SCHEDULE, amount);
  // 1000 ppm of 0.1 BTC is 10,000 sat; the reservation itself costs 100 + 5,000.
  assert.equal(purchaseBudget(quote, amount, 1000n), 4900n);
  assert.equal(purchaseBudget(quote, amount, 400n), 0n, 'nothing left: no purchase is affordable');
  const bought = withPurchaseFee(quote, amount, sat(3000));
  assert.equal(bought.reservationFee, 3100n);
  assert.equal(bought.feeRatePpm, 810n, '(100 + 3,000 + 5,000) sat of 0.1 BTC');
  assert.ok(bought.feeRatePpm <= 1000n);
});
