import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidPurchaseTransition, nextPurchaseState } from './purchase-machine.ts';

test('a purchase goes ordered -> paying -> paid -> opening -> completed, recording each step', () => {
  assert.deepEqual(nextPurchaseState('ordered', { type: 'fee_accepted' }), { state: 'paying' });
  assert.deepEqual(nextPurchaseState('paying', { type: 'paid', txid: 'ab', onchainFee: 141n }), {
    state: 'paid',
    paymentTxid: 'ab',
    onchainFee: 141n,
  });
  assert.deepEqual(nextPurchaseState('paid', { type: 'order_completed', fundingOutpoint: 'cd:0' }), {
    state: 'opening',
    fundingOutpoint: 'cd:0',
  });
  assert.deepEqual(nextPurchaseState('opening', { type: 'usable', outbound: 5n }), {
    state: 'completed',
    outbound: 5n,
  });
});

test('a refusal happens before paying; failures after it say why', () => {
  assert.deepEqual(nextPurchaseState('ordered', { type: 'refused', reason: 'fee 9 > 5' }), {
    state: 'refused',
    failure: 'fee 9 > 5',
  });
  assert.throws(() => nextPurchaseState('paid', { type: 'refused', reason: 'x' }), InvalidPurchaseTransition);
  assert.equal(nextPurchaseState('paying', { type: 'not_sent', reason: 'x' }).state, 'failed');
  assert.equal(nextPurchaseState('paid', { type: 'order_failed', reason: 'x' }).state, 'failed');
  assert.equal(nextPurchaseState('opening', { type: 'gave_up', reason: 'x' }).state, 'failed');
  assert.throws(
    () => nextPurchaseState('completed', { type: 'usable', outbound: 1n }),
    InvalidPurchaseTransition,
  );
});
