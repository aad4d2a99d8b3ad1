import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextPurchaseState } from './purchase-machine.ts';

test('a purchase goes ordered -> paying -> paid -> opening -> completed, recording each step', () => {
  assert.deepEqual(nextPurchaseState('ordered', { type: 'fee_accepted' }), {
    ok: true,
    state: 'paying',
    effects: [],
  });
  assert.deepEqual(nextPurchaseState('paying', { type: 'paid', txid: 'ab', onchainFee: 141n }), {
    ok: true,
    state: 'paid',
    effects: [],
    paymentTxid: 'ab',
    onchainFee: 141n,
  });
  assert.deepEqual(nextPurchaseState('paid', { type: 'order_completed', fundingOutpoint: 'cd:0' }), {
    ok: true,
    state: 'opening',
    effects: [],
    fundingOutpoint: 'cd:0',
  });
  assert.deepEqual(nextPurchaseState('opening', { type: 'usable', outbound: 5n }), {
    ok: true,
    state: 'completed',
    effects: [],
    outbound: 5n,
  });
});

test('a refusal happens before paying; failures after it say why; final states refuse events', () => {
  assert.deepEqual(nextPurchaseState('ordered', { type: 'refused', reason: 'fee 9 > 5' }), {
    ok: true,
    state: 'refused',
    effects: [],
    failure: 'fee 9 > 5',
  });
  assert.equal(nextPurchaseState('paid', { type: 'refused', reason: 'x' }).ok, false);
  const state = (s: ReturnType<typeof nextPurchaseState>) => (s.ok ? s.state : undefined);
  assert.equal(state(nextPurchaseState('paying', { type: 'not_sent', reason: 'x' })), 'failed');
  assert.equal(state(nextPurchaseState('paid', { type: 'order_failed', reason: 'x' })), 'failed');
  assert.equal(state(nextPurchaseState('opening', { type: 'gave_up', reason: 'x' })), 'failed');
  assert.equal(nextPurchaseState('completed', { type: 'usable', outbound: 1n }).ok, false);
});
