import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostedNodeRecord } from '@blgv/store';
import { handedOver, seedMayBeShown } from './node-creation.ts';

const now = Date.parse('2026-12-07T12:00:00Z');
const made = {
  sealedSecrets: 'sealed',
  seedAcknowledgedAt: null,
  state: 'running',
  seedAvailableUntil: new Date(now + 60_000),
} as const satisfies Pick<
  HostedNodeRecord,
  'sealedSecrets' | 'seedAcknowledgedAt' | 'state' | 'seedAvailableUntil'
>;

test("a node's seed is shown once the node is its tenant's, until acknowledged or its time passes", () => {
  assert.equal(seedMayBeShown(made, now), true, 'running, within its time');
  assert.equal(seedMayBeShown({ ...made, state: 'stopped' }, now), true, 'stopped: still the tenant’s');
  assert.equal(seedMayBeShown({ ...made, seedAvailableUntil: null }, now), true, 'no time set');
  assert.equal(seedMayBeShown({ ...made, seedAcknowledgedAt: new Date(now) }, now), false, 'acknowledged');
  assert.equal(seedMayBeShown({ ...made, seedAvailableUntil: new Date(now - 1) }, now), false, 'time passed');
  assert.equal(seedMayBeShown({ ...made, sealedSecrets: null }, now), false, 'no wallet yet');
});

test('the seed of a node still being created (it may yet fail and be removed), or failed, is never shown', () => {
  assert.equal(seedMayBeShown({ ...made, state: 'creating' }, now), false);
  assert.equal(seedMayBeShown({ ...made, state: 'failed' }, now), false);
});

test('nor are its macaroons: a node is its tenant’s once created, whatever it does after', () => {
  assert.equal(handedOver({ state: 'creating' }), false, 'may yet fail and be removed unlooked at');
  assert.equal(handedOver({ state: 'failed' }), false);
  for (const state of ['running', 'stopped', 'suspended', 'deleting', 'deleted'] as const)
    assert.equal(handedOver({ state }), true, state);
});
