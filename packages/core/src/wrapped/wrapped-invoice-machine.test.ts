import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHex32, scid } from '../ids.ts';
import {
  nextWrappedState,
  type WrappedInvoiceState,
  wrappedInvoiceMachine,
} from './wrapped-invoice-machine.ts';

const preimage = parseHex32('11'.repeat(32));

test('a wrapped invoice is paid, opened for, paid on, and settled', () => {
  const held = nextWrappedState('awaiting_payment', { type: 'payment_held' });
  assert.deepEqual(held, { ok: true, state: 'opening', effects: [{ type: 'open_channel' }], record: {} });
  const committed = nextWrappedState('opening', {
    type: 'committed',
    fundingId: 'f',
    txid: 'ab',
    outputIndex: 1,
  });
  assert.equal(committed.ok && committed.state, 'paying');
  assert.deepEqual(committed.ok && committed.effects, [{ type: 'pay_wallet' }]);
  const paid = nextWrappedState('paying', { type: 'wallet_paid', preimage });
  assert.deepEqual(paid, {
    ok: true,
    state: 'settling',
    effects: [{ type: 'settle' }],
    record: { preimage },
  });
  assert.deepEqual(nextWrappedState('settling', { type: 'settled' }), {
    ok: true,
    state: 'completed',
    effects: [],
    record: {},
  });
});

test('a channel the wallet has is paid over without an open', () => {
  const chosen = nextWrappedState('opening', { type: 'channel_chosen', channelScid: scid(5n) });
  assert.equal(chosen.ok && chosen.state, 'paying');
});

test('every failure cancels the hold invoice; one after the commit point also withdraws the funding', () => {
  const openFailed = nextWrappedState('opening', { type: 'open_failed', reason: 'offline' });
  assert.deepEqual(openFailed.ok && openFailed.effects, [{ type: 'cancel_hold' }]);
  const payFailed = nextWrappedState('paying', { type: 'pay_failed', reason: 'refused' });
  assert.equal(payFailed.ok && payFailed.state, 'failed');
  assert.deepEqual(payFailed.ok && payFailed.effects, [
    { type: 'cancel_hold' },
    { type: 'withdraw_funding' },
  ]);
  const expired = nextWrappedState('awaiting_payment', { type: 'expired' });
  assert.deepEqual(expired.ok && expired.effects, [{ type: 'cancel_hold' }]);
});

test('once the wallet is paid nothing can fail the invoice, and final states take nothing', () => {
  assert.equal(nextWrappedState('settling', { type: 'pay_failed', reason: 'late' }).ok, false);
  assert.equal(nextWrappedState('paying', { type: 'expired' }).ok, false);
  assert.equal(nextWrappedState('opening', { type: 'expired' }).ok, false);
  for (const state of wrappedInvoiceMachine.final as WrappedInvoiceState[]) {
    for (const type of ['payment_held', 'settled', 'expired'] as const)
      assert.equal(nextWrappedState(state, { type }).ok, false, `${state} ${type}`);
  }
});
