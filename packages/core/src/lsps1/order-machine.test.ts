import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InvalidOrderTransition,
  lsps1OnchainPaymentState,
  lsps1OrderState,
  lsps1PaymentState,
  nextOrderState,
} from './order-machine.ts';

test('the happy path: paid, held, opened, published, settled', () => {
  let t = nextOrderState('awaiting_payment', { type: 'payment_held' });
  assert.deepEqual(t, { state: 'payment_held', effects: [{ type: 'open_channel' }] });
  t = nextOrderState(t.state, { type: 'open_started' });
  assert.equal(t.state, 'opening');
  t = nextOrderState(t.state, { type: 'funding_published', txid: 'ab', outputIndex: 1 });
  assert.deepEqual(t, {
    state: 'settling',
    effects: [{ type: 'settle_invoice' }],
    funding: { txid: 'ab', outputIndex: 1 },
  });
  t = nextOrderState(t.state, { type: 'settled' });
  assert.equal(t.state, 'completed');
  assert.equal(lsps1OrderState(t.state), 'COMPLETED');
  assert.equal(lsps1PaymentState(t.state), 'PAID');
});

test('a failed open cancels the hold invoice and the order fails refunded', () => {
  for (const from of ['payment_held', 'opening'] as const) {
    const t = nextOrderState(from, { type: 'open_failed', reason: 'peer refused' });
    assert.deepEqual(t, {
      state: 'refunding',
      effects: [{ type: 'cancel_invoice' }],
      failure: 'peer refused',
    });
    const end = nextOrderState(t.state, { type: 'canceled' });
    assert.equal(end.state, 'failed');
    assert.equal(lsps1OrderState(end.state), 'FAILED');
    assert.equal(lsps1PaymentState(end.state), 'REFUNDED');
  }
});

test('an unpaid order expires', () => {
  const t = nextOrderState('awaiting_payment', { type: 'invoice_expired' });
  assert.equal(t.state, 'expired');
  assert.equal(lsps1OrderState(t.state), 'FAILED');
});

test('the hold invoice is settled only after the funding transaction is published', () => {
  for (const state of ['awaiting_payment', 'payment_held', 'refunding'] as const) {
    assert.throws(() => nextOrderState(state, { type: 'settled' }), InvalidOrderTransition);
  }
  assert.throws(
    () => nextOrderState('payment_held', { type: 'funding_published', txid: 'a', outputIndex: 0 }),
    InvalidOrderTransition,
  );
  assert.throws(
    () => nextOrderState('completed', { type: 'open_failed', reason: 'x' }),
    InvalidOrderTransition,
  );
});

test('paid on-chain: the unused invoice is cancelled, nothing to settle, a failure refunds on-chain', () => {
  let t = nextOrderState('awaiting_payment', { type: 'onchain_paid' });
  assert.deepEqual(t, {
    state: 'payment_held',
    effects: [{ type: 'cancel_invoice' }, { type: 'open_channel' }],
  });
  assert.equal(lsps1OnchainPaymentState(t.state, 'onchain'), 'PAID');
  assert.equal(lsps1PaymentState(t.state, 'onchain'), 'REFUNDED', 'the invoice is closed');
  t = nextOrderState('opening', { type: 'funding_published', txid: 'ab', outputIndex: 0 }, 'onchain');
  assert.deepEqual(t.effects, [], 'no invoice to settle');
  assert.equal(nextOrderState(t.state, { type: 'settled' }, 'onchain').state, 'completed');
  const failed = nextOrderState('payment_held', { type: 'open_failed', reason: 'offline' }, 'onchain');
  assert.deepEqual(failed.effects, [{ type: 'refund_onchain' }]);
  assert.equal(
    lsps1OnchainPaymentState(nextOrderState(failed.state, { type: 'canceled' }).state, 'onchain'),
    'REFUNDED',
  );
});

test('an underpaid order expires into a refund; the on-chain option of a bolt11 order is closed', () => {
  const t = nextOrderState('awaiting_payment', { type: 'underpaid_expired' });
  assert.equal(t.state, 'refunding');
  assert.deepEqual(t.effects, [{ type: 'cancel_invoice' }, { type: 'refund_onchain' }]);
  assert.equal(lsps1OnchainPaymentState('awaiting_payment'), 'EXPECT_PAYMENT');
  assert.equal(lsps1OnchainPaymentState('completed', 'bolt11'), 'REFUNDED');
  assert.equal(lsps1PaymentState('completed', 'bolt11'), 'PAID');
});
