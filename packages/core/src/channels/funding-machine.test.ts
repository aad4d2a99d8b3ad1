import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextFundingState } from './funding-machine.ts';

test('a funding is committed then published, or cancelled before the commit point only', () => {
  assert.deepEqual(nextFundingState('negotiating', { type: 'committed' }), {
    ok: true,
    state: 'publishing',
    effects: [{ type: 'sign_and_publish' }],
  });
  assert.deepEqual(nextFundingState('publishing', { type: 'published' }), {
    ok: true,
    state: 'published',
    effects: [],
  });
  assert.deepEqual(nextFundingState('negotiating', { type: 'cancelled', reason: 'peer refused' }), {
    ok: true,
    state: 'cancelled',
    effects: [{ type: 'unwind' }],
    failure: 'peer refused',
  });
  for (const state of ['publishing', 'published', 'cancelled'] as const) {
    assert.equal(nextFundingState(state, { type: 'cancelled', reason: 'late' }).ok, false, state);
  }
  assert.equal(nextFundingState('cancelled', { type: 'committed' }).ok, false);
  assert.equal(nextFundingState('negotiating', { type: 'published' }).ok, false);
});

test('a withheld funding is released to be published, or withdrawn, and nothing else', () => {
  assert.deepEqual(nextFundingState('negotiating', { type: 'withheld' }), {
    ok: true,
    state: 'withheld',
    effects: [],
  });
  assert.deepEqual(nextFundingState('withheld', { type: 'released' }), {
    ok: true,
    state: 'publishing',
    effects: [{ type: 'sign_and_publish' }],
  });
  assert.deepEqual(nextFundingState('withheld', { type: 'withdrawn', reason: 'never settled' }), {
    ok: true,
    state: 'withdrawn',
    effects: [{ type: 'unwind' }],
    failure: 'never settled',
  });
  // Signed by the LSP (publishing, published) it may be out: never withdrawn.
  for (const state of ['negotiating', 'publishing', 'published', 'cancelled', 'withdrawn'] as const) {
    assert.equal(nextFundingState(state, { type: 'withdrawn', reason: 'late' }).ok, false, state);
  }
  for (const state of ['negotiating', 'publishing', 'published', 'cancelled', 'withdrawn'] as const) {
    assert.equal(nextFundingState(state, { type: 'released' }).ok, false, state);
  }
  assert.equal(nextFundingState('withheld', { type: 'cancelled', reason: 'late' }).ok, false);
});
