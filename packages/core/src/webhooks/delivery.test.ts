import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextWebhookDeliveryState, webhookRetryDelayMs, webhookWants } from './delivery.ts';

const policy = { baseDelayMs: 1_000, maxDelayMs: 60_000, windowMs: 86_400_000 };
const t0 = new Date('2026-11-29T00:00:00Z');

test('a 2xx delivers; a failure waits a jittered, doubling delay capped at the maximum', () => {
  const ok = nextWebhookDeliveryState(
    'pending',
    { type: 'attempted', ok: true, at: t0, attemptsBefore: 0, firstAttemptAt: t0 },
    policy,
  );
  assert.deepEqual(ok.ok && ok.state, 'delivered');
  assert.equal(
    webhookRetryDelayMs(1, policy, () => 0),
    500,
  );
  assert.equal(
    webhookRetryDelayMs(1, policy, () => 0.999_999),
    1_000,
  );
  assert.equal(
    webhookRetryDelayMs(3, policy, () => 0),
    2_000,
  );
  assert.equal(
    webhookRetryDelayMs(30, policy, () => 0.999_999),
    60_000,
  );
  const again = nextWebhookDeliveryState(
    'pending',
    { type: 'attempted', ok: false, at: t0, attemptsBefore: 0, firstAttemptAt: t0 },
    policy,
    () => 0,
  );
  assert.ok(again.ok && again.state === 'pending');
  assert.equal(again.ok && again.nextAttemptAt?.getTime(), t0.getTime() + 500);
});

test('a failure past the retry window gives up; only a finished delivery can be redelivered', () => {
  const late = new Date(t0.getTime() + policy.windowMs);
  const gaveUp = nextWebhookDeliveryState(
    'pending',
    { type: 'attempted', ok: false, at: late, attemptsBefore: 40, firstAttemptAt: t0 },
    policy,
  );
  assert.ok(gaveUp.ok && gaveUp.state === 'failed' && gaveUp.gaveUp);
  const redo = nextWebhookDeliveryState('failed', { type: 'redeliver', at: late }, policy);
  assert.ok(redo.ok && redo.state === 'pending' && redo.nextAttemptAt === late);
  assert.equal(nextWebhookDeliveryState('pending', { type: 'redeliver', at: late }, policy).ok, false);
  assert.equal(
    nextWebhookDeliveryState(
      'delivered',
      { type: 'attempted', ok: true, at: late, attemptsBefore: 1, firstAttemptAt: t0 },
      policy,
    ).ok,
    false,
  );
});

test('patterns: everything, a whole subject kind, or one type', () => {
  assert.ok(webhookWants(['*'], 'payment.succeeded'));
  assert.ok(webhookWants(['payment.*'], 'payment.failed'));
  assert.ok(webhookWants(['channel_request.open'], 'channel_request.open'));
  assert.ok(!webhookWants(['channel_request.open', 'payment.*'], 'channel_request.failed'));
});
