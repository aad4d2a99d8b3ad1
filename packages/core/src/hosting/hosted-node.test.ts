import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextHostedNodeState, shouldRun } from './hosted-node.ts';

/** Where a step goes and what it does, or its refusal. */
function step(...args: Parameters<typeof nextHostedNodeState>) {
  const s = nextHostedNodeState(...args);
  return s.ok ? { to: s.state, effects: s.effects } : 'refused';
}

test('a suspended node keeps running to guard its coins; its tenant can neither stop nor start it', () => {
  assert.deepEqual(step('running', { type: 'suspended' }), { to: 'suspended', effects: [] });
  // A node its tenant had stopped is started: offline, it could not claim an HTLC in time or
  // punish a revoked commitment.
  assert.deepEqual(step('stopped', { type: 'suspended' }), {
    to: 'suspended',
    effects: [{ type: 'start_process' }],
  });
  assert.equal(shouldRun('suspended'), true, 'the keeper keeps it up');
  assert.equal(step('suspended', { type: 'stop' }), 'refused');
  assert.equal(step('suspended', { type: 'start' }), 'refused');
  assert.deepEqual(step('suspended', { type: 'resumed' }), {
    to: 'running',
    effects: [{ type: 'start_process' }],
  });
  assert.equal(shouldRun('stopped'), false, "only the tenant's own stop takes it offline");
});
