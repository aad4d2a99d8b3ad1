import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signing.ts';

// The example of the Standard Webhooks / Svix documentation.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';

test('signs like the Standard Webhooks reference example', () => {
  assert.equal(signWebhook(SECRET, ID, TIMESTAMP, BODY), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('verifies the body as received, within the tolerance, with any of several signatures', () => {
  const headers = {
    'webhook-id': ID,
    'webhook-timestamp': String(TIMESTAMP),
    'webhook-signature': `v1,bm90IGl0 ${signWebhook(SECRET, ID, TIMESTAMP, BODY)}`,
  };
  const now = TIMESTAMP * 1000;
  assert.deepEqual(verifyWebhook(headers, BODY, SECRET, { now }), { test: 2432232314 });
  assert.throws(() => verifyWebhook(headers, `${BODY} `, SECRET, { now }), /no signature matches/);
  assert.throws(() => verifyWebhook(headers, BODY, newWebhookSecret(), { now }), /no signature matches/);
  assert.throws(() => verifyWebhook(headers, BODY, SECRET, { now: now + 301_000 }), /tolerance/);
  assert.throws(() => verifyWebhook({ 'webhook-id': ID }, BODY, SECRET, { now }), /missing/);
  assert.match(newWebhookSecret(), /^whsec_[A-Za-z0-9+/]{43}=$/);
});
