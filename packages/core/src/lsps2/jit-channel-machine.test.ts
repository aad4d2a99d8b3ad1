import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hex32, Scid } from '../ids.ts';
import { msat } from '../money.ts';
import {
  type JitChannelEvent,
  type JitChannelState,
  type JitContext,
  nextJitState,
} from './jit-channel-machine.ts';

const TRUSTS_CLIENT: JitContext = { clientTrustsLsp: false };
const TRUSTS_LSP: JitContext = { clientTrustsLsp: true };
const funding = { fundingId: 'f', txid: 'bb'.repeat(32) as Hex32, outputIndex: 0 };

const arrived: JitChannelEvent = {
  type: 'payment_arrived',
  paymentHash: 'aa'.repeat(32) as Hex32,
  paymentSize: msat(1),
  fee: msat(0),
};
const ready: JitChannelEvent = { type: 'channel_ready', channelScid: 1n as Scid };
const events: JitChannelEvent[] = [arrived, { type: 'committed', ...funding }, ready, { type: 'forwarded' }];
const trusted: JitChannelEvent[] = [
  arrived,
  { type: 'withheld', ...funding },
  ready,
  { type: 'forwarded' },
  { type: 'released' },
];
const every: JitChannelEvent[] = [
  ...events,
  ...trusted,
  { type: 'open_failed', reason: 'x', refused: false },
  { type: 'activation_failed', reason: 'x' },
  { type: 'forward_failed', reason: 'x' },
  { type: 'params_expired' },
];

const moves = (from: JitChannelState, e: JitChannelEvent, c: JitContext = TRUSTS_CLIENT) =>
  nextJitState(from, e, c).ok;

function effects(from: JitChannelState, e: JitChannelEvent, c: JitContext = TRUSTS_CLIENT) {
  const step = nextJitState(from, e, c);
  assert.ok(step.ok, `${e.type} from ${from}`);
  return step.effects;
}

function walk(path: readonly JitChannelEvent[], context: JitContext): JitChannelState[] {
  let state: JitChannelState = 'awaiting_payment';
  const states: JitChannelState[] = [state];
  for (const e of path) {
    const step = nextJitState(state, e, context);
    assert.ok(step.ok, `${e.type} from ${state}`);
    state = step.state;
    states.push(state);
  }
  return states;
}

test('the happy path runs awaiting_payment -> opening -> publishing -> forwarding -> completed', () => {
  assert.deepEqual(walk(events, TRUSTS_CLIENT), [
    'awaiting_payment',
    'opening',
    'publishing',
    'forwarding',
    'completed',
  ]);
});

test('client_trusts_lsp: withheld, usable, the preimage awaited, the funding released, then completed', () => {
  assert.deepEqual(walk(trusted, TRUSTS_LSP), [
    'awaiting_payment',
    'opening',
    'withheld',
    'awaiting_preimage',
    'releasing',
    'completed',
  ]);
});

test('the payment asks for the funding withheld exactly when the client trusts the LSP', () => {
  assert.deepEqual(effects('awaiting_payment', arrived, TRUSTS_LSP), [
    { type: 'open_channel', withhold: true },
  ]);
  assert.deepEqual(effects('awaiting_payment', arrived, TRUSTS_CLIENT), [
    { type: 'open_channel', withhold: false },
  ]);
});

test('the commit records the funding and asks to publish it, or, withheld, to make the channel usable as it is', () => {
  const step = nextJitState('opening', { type: 'committed', ...funding }, TRUSTS_CLIENT);
  assert.ok(step.ok);
  assert.deepEqual(step.effects, [{ type: 'publish', fundingId: 'f' }]);
  assert.deepEqual(step.record, funding);
  const withheld = nextJitState('opening', { type: 'withheld', ...funding }, TRUSTS_LSP);
  assert.ok(withheld.ok);
  assert.deepEqual(withheld.effects, [{ type: 'activate', fundingId: 'f' }]);
  assert.deepEqual(withheld.record, funding);
});

test('the commit goes the trust model’s way: never published for a client that trusts the LSP, never withheld otherwise', () => {
  const published = nextJitState('opening', { type: 'committed', ...funding }, TRUSTS_LSP);
  assert.equal(published.ok, false);
  assert.match(published.ok ? '' : published.reason, /withheld/);
  assert.equal(moves('opening', { type: 'withheld', ...funding }, TRUSTS_CLIENT), false);
});

test('settled over a withheld funding: the funding is released, and the channel completed once it is out', () => {
  assert.deepEqual(effects('awaiting_preimage', { type: 'forwarded' }, TRUSTS_LSP), [
    { type: 'release_funding' },
  ]);
  assert.deepEqual(
    effects('forwarding', { type: 'forwarded' }),
    [],
    'a published funding has nothing to release',
  );
  assert.deepEqual(effects('releasing', { type: 'released' }, TRUSTS_LSP), []);
});

test('never settled: the withheld funding is withdrawn and the JIT channel ends withdrawn', () => {
  const failed = nextJitState(
    'awaiting_preimage',
    { type: 'forward_failed', reason: 'failed back' },
    TRUSTS_LSP,
  );
  assert.ok(failed.ok);
  assert.equal(failed.state, 'withdrawn');
  assert.deepEqual(failed.effects, [{ type: 'withdraw_funding' }]);
  assert.deepEqual(failed.record, { reason: 'failed back' });
  const inactive = nextJitState(
    'withheld',
    { type: 'activation_failed', reason: 'never active' },
    TRUSTS_LSP,
  );
  assert.ok(inactive.ok);
  assert.equal(inactive.state, 'withdrawn');
  assert.deepEqual(inactive.effects, [
    { type: 'fail_htlcs', failure: 'temporary_channel_failure' },
    { type: 'withdraw_funding' },
  ]);
  // A published funding is never withdrawn: a failed forward over it leaves it forwarding.
  assert.equal(moves('forwarding', { type: 'forward_failed', reason: 'x' }), false);
  assert.equal(moves('publishing', { type: 'activation_failed', reason: 'x' }), false);
  assert.equal(moves('releasing', { type: 'forward_failed', reason: 'x' }, TRUSTS_LSP), false);
});

test('a second payment cannot open a second channel, and final states stay final', () => {
  for (const s of ['opening', 'forwarding', 'withheld', 'awaiting_preimage', 'releasing'] as const)
    assert.equal(moves(s, arrived), false);
  for (const s of ['completed', 'withdrawn', 'expired'] as const)
    for (const e of every)
      for (const c of [TRUSTS_CLIENT, TRUSTS_LSP]) assert.equal(moves(s, e, c), false, `${e.type} from ${s}`);
});

test('a failed open goes back to waiting for payment, only before the commit point; expired params end it', () => {
  const failed = nextJitState(
    'opening',
    { type: 'open_failed', reason: 'timed out', refused: false },
    TRUSTS_LSP,
  );
  assert.ok(failed.ok);
  assert.equal(failed.state, 'awaiting_payment', 'bLIP-52: return to the previous step');
  assert.deepEqual(failed.effects, [{ type: 'fail_htlcs', failure: 'temporary_channel_failure' }]);
  const late = { type: 'open_failed', reason: 'late', refused: false } as const;
  for (const s of ['publishing', 'forwarding', 'withheld', 'awaiting_preimage'] as const)
    assert.equal(moves(s, late, TRUSTS_LSP), false);
  assert.equal(nextJitState('awaiting_payment', { type: 'params_expired' }, TRUSTS_LSP).ok, true);
  assert.equal(moves('opening', { type: 'params_expired' }), false);
});

test('the held parts fail with unknown_next_peer when the client refused or the params expired (bLIP-52)', () => {
  const refused = nextJitState(
    'opening',
    { type: 'open_failed', reason: 'refused', refused: true },
    TRUSTS_CLIENT,
  );
  assert.ok(refused.ok);
  assert.deepEqual(refused.effects, [{ type: 'fail_htlcs', failure: 'unknown_next_peer' }]);
  const expired = nextJitState('awaiting_payment', { type: 'params_expired' }, TRUSTS_CLIENT);
  assert.ok(expired.ok);
  assert.deepEqual(expired.effects, [{ type: 'fail_htlcs', failure: 'unknown_next_peer' }]);
});

test('each step of the happy paths names the work it calls for', () => {
  assert.deepEqual(effects('publishing', ready), [{ type: 'forward_htlcs' }]);
  assert.deepEqual(effects('withheld', ready, TRUSTS_LSP), [{ type: 'forward_htlcs' }]);
  assert.deepEqual(effects('forwarding', { type: 'forwarded' }), []);
});
