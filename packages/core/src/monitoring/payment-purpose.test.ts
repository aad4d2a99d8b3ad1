import assert from 'node:assert/strict';
import { test } from 'node:test';
import { successRate } from './node-metrics.ts';
import {
  countedOutcomes,
  type KnownPaymentHashes,
  outcomesByPurpose,
  type PaymentToClassify,
  paymentPurpose,
} from './payment-purpose.ts';

const known: KnownPaymentHashes = {
  tenant: new Set(['t1']),
  own: new Map([
    ['p1', 'probe'],
    ['r1', 'rebalance'],
    ['w1', 'wrapped'],
  ]),
};
const failed = (paymentHash: string, extra: Partial<PaymentToClassify> = {}): PaymentToClassify => ({
  paymentHash,
  status: 'failed',
  failureReason: 'no_route',
  ...extra,
});

test("a tenant's payment is the tenant's however it ended, even failed as a probe fails", () => {
  assert.equal(paymentPurpose({ paymentHash: 't1', status: 'succeeded' }, known), 'tenant');
  assert.equal(paymentPurpose({ paymentHash: 't1', status: 'in_flight' }, known), 'tenant');
  assert.equal(paymentPurpose(failed('t1', { failureReason: 'incorrect_payment_details' }), known), 'tenant');
});

test('a hash the LSP recorded is what it recorded it for, whatever LND says', () => {
  assert.equal(paymentPurpose(failed('p1'), known), 'probe', 'a recorded probe that found no route');
  assert.equal(paymentPurpose({ paymentHash: 'p1', status: 'in_flight' }, known), 'probe');
  assert.equal(paymentPurpose({ paymentHash: 'r1', status: 'succeeded' }, known), 'rebalance');
  assert.equal(
    paymentPurpose(failed('r1', { failureReason: 'incorrect_payment_details' }), known),
    'rebalance',
  );
  // A wallet that failed the LSP's payment of its invoice (a wrapped invoice) is no probe.
  assert.equal(
    paymentPurpose(failed('w1', { failureReason: 'incorrect_payment_details' }), known),
    'wrapped',
  );
});

test('an unknown hash failed at its destination is a probe; the rest is other', () => {
  assert.equal(paymentPurpose(failed('x', { failureReason: 'incorrect_payment_details' }), known), 'probe');
  assert.equal(paymentPurpose(failed('x'), known), 'other', 'a real attempt that failed on the way');
  assert.equal(paymentPurpose(failed('x', { failureReason: 'timeout' }), known), 'other');
  assert.equal(paymentPurpose({ paymentHash: 'x', status: 'succeeded' }, known), 'other');
  assert.equal(paymentPurpose({ paymentHash: 'x', status: 'in_flight' }, known), 'other');
});

test('outcomes by purpose: probes and rebalancing are reported, never counted as payments; wallets paid for wrapped invoices are', () => {
  const by = outcomesByPurpose([
    { purpose: 'tenant', status: 'succeeded', count: 1 },
    { purpose: 'wrapped', status: 'succeeded', count: 2 },
    { purpose: 'wrapped', status: 'failed', count: 1 },
    { purpose: 'probe', status: 'failed', count: 3 },
    { purpose: 'rebalance', status: 'failed', count: 2 },
    { purpose: 'other', status: 'failed', count: 1 },
    { purpose: 'other', status: 'succeeded', count: 2 },
  ]);
  assert.deepEqual(by, {
    tenant: { succeeded: 1, failed: 0 },
    wrapped: { succeeded: 2, failed: 1 },
    rebalance: { succeeded: 0, failed: 2 },
    probe: { succeeded: 0, failed: 3 },
    other: { succeeded: 2, failed: 1 },
  });
  assert.deepEqual(countedOutcomes(by), { succeeded: 5, failed: 2 });
  assert.equal(successRate(countedOutcomes(by)), 5 / 7);
  // The demo's case: one real payment and the harness's failed check: 100 %, not 50 %.
  const demo = outcomesByPurpose([
    { purpose: 'tenant', status: 'succeeded', count: 1 },
    { purpose: 'probe', status: 'failed', count: 1 },
  ]);
  assert.equal(successRate(countedOutcomes(demo)), 1);
  assert.equal(successRate(countedOutcomes(outcomesByPurpose([]))), undefined);
});
