import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  lsps1OnchainPaymentState,
  lsps1OrderState,
  lsps1PaymentState,
  nextOrderState,
  type OrderEvent,
  type OrderState,
  type OrderStep,
  type PaymentMethod,
} from './order-machine.ts';

const committed: OrderEvent = { type: 'committed', fundingId: 'f1', txid: 'ab', outputIndex: 1 };

/** Applies an event that must move the order. */
function step(
  state: OrderState,
  event: OrderEvent,
  paidBy?: PaymentMethod,
): Extract<OrderStep, { ok: true }> {
  const s = nextOrderState(state, event, paidBy);
  assert.ok(s.ok, `${event.type} from ${state}: ${s.ok ? '' : s.reason}`);
  return s;
}

test('the happy path: paid, held, negotiated, committed, published, settled', () => {
  let t = step('awaiting_payment', { type: 'payment_held' });
  assert.deepEqual(t, { ok: true, state: 'payment_held', effects: [{ type: 'open_channel' }] });
  t = step(t.state, { type: 'open_started' });
  assert.equal(t.state, 'opening');
  t = step(t.state, committed);
  assert.deepEqual(t, {
    ok: true,
    state: 'publishing',
    effects: [{ type: 'publish', fundingId: 'f1' }],
    funding: { fundingId: 'f1', txid: 'ab', outputIndex: 1 },
  });
  assert.equal(lsps1PaymentState(t.state), 'HOLD', 'the invoice is still held while publishing');
  t = step(t.state, { type: 'published' });
  assert.deepEqual(t.effects, [{ type: 'settle_invoice' }]);
  t = step(t.state, { type: 'settled' });
  assert.equal(t.state, 'completed');
  assert.equal(lsps1OrderState(t.state), 'COMPLETED');
  assert.equal(lsps1PaymentState(t.state), 'PAID');
});

test('a failed open cancels the hold invoice and the order fails refunded', () => {
  for (const from of ['payment_held', 'opening'] as const) {
    const t = step(from, { type: 'open_failed', reason: 'peer refused' });
    assert.deepEqual(t, {
      ok: true,
      state: 'refunding',
      effects: [{ type: 'cancel_invoice' }],
      failure: 'peer refused',
    });
    const end = step(t.state, { type: 'canceled' });
    assert.equal(end.state, 'failed');
    assert.equal(lsps1OrderState(end.state), 'FAILED');
    assert.equal(lsps1PaymentState(end.state), 'REFUNDED');
  }
});

test('past the commit point an order is never refunded', () => {
  for (const from of ['publishing', 'settling', 'completed'] as const) {
    assert.equal(nextOrderState(from, { type: 'open_failed', reason: 'late' }).ok, false, from);
  }
});

test('an unpaid order expires', () => {
  const t = step('awaiting_payment', { type: 'invoice_expired' });
  assert.equal(t.state, 'expired');
  assert.equal(lsps1OrderState(t.state), 'FAILED');
});

test('the hold invoice is settled only after the funding transaction is published', () => {
  for (const state of ['awaiting_payment', 'payment_held', 'opening', 'publishing', 'refunding'] as const) {
    assert.equal(nextOrderState(state, { type: 'settled' }).ok, false, state);
  }
  assert.equal(nextOrderState('payment_held', committed).ok, false);
  assert.equal(nextOrderState('opening', { type: 'published' }).ok, false);
});

test('paid on-chain: the unused invoice is cancelled, nothing to settle, a failure refunds on-chain', () => {
  let t = step('awaiting_payment', { type: 'onchain_paid' });
  assert.deepEqual(t.effects, [{ type: 'cancel_invoice' }, { type: 'open_channel' }]);
  assert.equal(lsps1OnchainPaymentState(t.state, 'onchain'), 'PAID');
  assert.equal(lsps1PaymentState(t.state, 'onchain'), 'REFUNDED', 'the invoice is closed');
  t = step('publishing', { type: 'published' }, 'onchain');
  assert.deepEqual(t.effects, [{ type: 'release_receipts' }], 'no invoice to settle: the receipts are kept');
  assert.equal(step(t.state, { type: 'settled' }, 'onchain').state, 'completed');
  const failed = step('payment_held', { type: 'open_failed', reason: 'offline' }, 'onchain');
  assert.deepEqual(failed.effects, [{ type: 'refund_onchain' }]);
  assert.equal(
    lsps1OnchainPaymentState(step(failed.state, { type: 'canceled' }).state, 'onchain'),
    'REFUNDED',
  );
});

test('an underpaid on-chain order is refunded on chain (which cancels its unused invoice)', () => {
  const t = step('awaiting_payment', { type: 'underpaid_expired' });
  assert.deepEqual(t, {
    ok: true,
    state: 'refunding',
    effects: [{ type: 'refund_onchain' }],
    failure: 'the order was not paid in full in time',
  });
  assert.equal(step(t.state, { type: 'canceled' }, 'onchain').state, 'failed');
});
