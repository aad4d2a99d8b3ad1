import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEE_SCHEDULE } from '@blgv/core';
import { loadConfig } from '../config/config.ts';
import { configuredSettings, policySettings, settingsProblem } from './fee-settings.ts';

const config = loadConfig({ BLGV_SECRETS_KEY: '00'.repeat(32) }, () => '{}');

test("by default the policy is off and centred on the schedule's routing fees", () => {
  const s = configuredSettings(config.routing.fees, DEFAULT_FEE_SCHEDULE);
  assert.equal(s.enabled, false);
  assert.equal(s.dryRun, false);
  assert.equal(s.baseFeeMsat, 1000);
  assert.equal(s.midpointPpm, 100);
  assert.equal(s.minPpm, 25);
  assert.equal(s.maxPpm, 400);
  assert.equal(s.windowSeconds, 3600);
  assert.equal(s.minStepPpm, 10);
  assert.equal(s.inboundMaxDiscountPpm, 0);
  assert.equal(settingsProblem(s), undefined);
  const p = policySettings(s);
  assert.equal(p.targetSharePpm, 500_000n);
  assert.equal(p.flowWeightPpm, 100_000n);
  assert.equal(p.windowMs, 3_600_000);
});

test('a floor above the midpoint, or a ceiling below it, names the field', () => {
  const s = configuredSettings(config.routing.fees, DEFAULT_FEE_SCHEDULE);
  assert.equal(settingsProblem({ ...s, minPpm: 150 })?.field, 'minPpm');
  assert.equal(settingsProblem({ ...s, maxPpm: 50 })?.field, 'maxPpm');
});
