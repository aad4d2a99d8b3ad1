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
