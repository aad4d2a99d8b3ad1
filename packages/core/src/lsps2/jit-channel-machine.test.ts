import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hex32, Scid } from '../ids.ts';
import { msat } from '../money.ts';
import { type JitChannelEvent, type JitChannelState, nextJitState } from './jit-channel-machine.ts';

const events: JitChannelEvent[] = [
  { type: 'payment_arrived', paymentHash: 'aa'.repeat(32) as Hex32, paymentSize: msat(1), fee: msat(0) },
  { type: 'channel_ready', txid: 'bb'.repeat(32) as Hex32, outputIndex: 0, channelScid: 1n as Scid },
  { type: 'forwarded' },
];

test('the happy path runs awaiting_payment -> opening -> forwarding -> completed', () => {
  let state: JitChannelState = 'awaiting_payment';
  for (const e of events) state = nextJitState(state, e)?.state ?? assert.fail(`${e.type} from ${state}`);
  assert.equal(state, 'completed');
});

test('a second payment cannot open a second channel, and final states stay final', () => {
  assert.equal(nextJitState('opening', events[0] as JitChannelEvent), undefined);
  assert.equal(nextJitState('forwarding', events[0] as JitChannelEvent), undefined);
  for (const s of ['completed', 'failed', 'expired'] as const)
    for (const e of [
      ...events,
      { type: 'open_failed', reason: 'x' } as const,
      { type: 'params_expired' } as const,
    ])
      assert.equal(nextJitState(s, e), undefined);
});

test('a failed open and expired params end the channel', () => {
  assert.equal(nextJitState('opening', { type: 'open_failed', reason: 'refused' })?.state, 'failed');
  assert.equal(nextJitState('awaiting_payment', { type: 'params_expired' })?.state, 'expired');
  assert.equal(nextJitState('opening', { type: 'params_expired' }), undefined);
});
