import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hex32, Scid } from '../ids.ts';
import { msat } from '../money.ts';
import { type JitChannelEvent, type JitChannelState, nextJitState } from './jit-channel-machine.ts';

const events: JitChannelEvent[] = [
  { type: 'payment_arrived', paymentHash: 'aa'.repeat(32) as Hex32, paymentSize: msat(1), fee: msat(0) },
  { type: 'committed', fundingId: 'f', txid: 'bb'.repeat(32) as Hex32, outputIndex: 0 },
  { type: 'channel_ready', channelScid: 1n as Scid },
  { type: 'forwarded' },
];

const moves = (from: JitChannelState, e: JitChannelEvent) => nextJitState(from, e).ok;

test('the happy path runs awaiting_payment -> opening -> publishing -> forwarding -> completed', () => {
  let state: JitChannelState = 'awaiting_payment';
  const path: JitChannelState[] = [state];
  for (const e of events) {
    const step = nextJitState(state, e);
    assert.ok(step.ok, `${e.type} from ${state}`);
    state = step.state;
    path.push(state);
  }
  assert.deepEqual(path, ['awaiting_payment', 'opening', 'publishing', 'forwarding', 'completed']);
});

test('the commit records the funding and asks to publish it', () => {
  const step = nextJitState('opening', events[1] as JitChannelEvent);
  assert.ok(step.ok);
  assert.deepEqual(step.effects, [{ type: 'publish', fundingId: 'f' }]);
  assert.deepEqual(step.record, { fundingId: 'f', txid: 'bb'.repeat(32), outputIndex: 0 });
});

test('a second payment cannot open a second channel, and final states stay final', () => {
  assert.equal(moves('opening', events[0] as JitChannelEvent), false);
  assert.equal(moves('forwarding', events[0] as JitChannelEvent), false);
  for (const s of ['completed', 'expired'] as const)
    for (const e of [
      ...events,
      { type: 'open_failed', reason: 'x', refused: false } as const,
      { type: 'params_expired' } as const,
    ])
      assert.equal(moves(s, e), false);
});

test('a failed open goes back to waiting for payment, only before the commit point; expired params end it', () => {
  const failed = nextJitState('opening', { type: 'open_failed', reason: 'timed out', refused: false });
  assert.ok(failed.ok);
  assert.equal(failed.state, 'awaiting_payment', 'bLIP-52: return to the previous step');
  assert.deepEqual(failed.effects, [{ type: 'fail_htlcs', failure: 'temporary_channel_failure' }]);
  const late = { type: 'open_failed', reason: 'late', refused: false } as const;
  assert.equal(moves('publishing', late), false);
  assert.equal(moves('forwarding', late), false);
  assert.equal(nextJitState('awaiting_payment', { type: 'params_expired' }).ok, true);
  assert.equal(moves('opening', { type: 'params_expired' }), false);
});

test('the held parts fail with unknown_next_peer when the client refused or the params expired (bLIP-52)', () => {
  const refused = nextJitState('opening', { type: 'open_failed', reason: 'refused', refused: true });
  assert.ok(refused.ok);
  assert.deepEqual(refused.effects, [{ type: 'fail_htlcs', failure: 'unknown_next_peer' }]);
  const expired = nextJitState('awaiting_payment', { type: 'params_expired' });
  assert.ok(expired.ok);
  assert.deepEqual(expired.effects, [{ type: 'fail_htlcs', failure: 'unknown_next_peer' }]);
});

test('each step of the happy path names the work it calls for; the settlement none', () => {
  const effects = (from: JitChannelState, e: JitChannelEvent) => {
    const step = nextJitState(from, e);
    assert.ok(step.ok);
    return step.effects;
  };
  assert.deepEqual(effects('awaiting_payment', events[0] as JitChannelEvent), [{ type: 'open_channel' }]);
  assert.deepEqual(effects('publishing', events[2] as JitChannelEvent), [{ type: 'forward_htlcs' }]);
  assert.deepEqual(effects('forwarding', events[3] as JitChannelEvent), []);
});
