import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { FeePromises } from './fee-promise.ts';

const fields = {
  min_fee_msat: '1000000',
  proportional: 1000,
  valid_until: '2026-11-25T12:00:00.000Z',
  min_lifetime: 4320,
  max_client_to_self_delay: 2016,
  min_payment_size_msat: '10000000',
  max_payment_size_msat: '1000000000',
};

test('a promise checks out for the fields it was made for, and for nothing else', () => {
  const key = randomBytes(32);
  const params = new FeePromises(key).sign(fields);
  assert.ok(new FeePromises(key).verify(params), 'another instance with the same key accepts it');
  assert.equal(new FeePromises(randomBytes(32)).verify(params), false, 'another key refuses it');
  for (const [field, value] of Object.entries({
    min_fee_msat: '1',
    proportional: 1,
    valid_until: '2099-01-01T00:00:00.000Z',
  }))
    assert.equal(new FeePromises(key).verify({ ...params, [field]: value }), false, `altered ${field}`);
  assert.equal(new FeePromises(key).verify({ ...params, promise: 'zz' }), false);
  assert.equal(new FeePromises(key).verify({ ...params, promise: params.promise.toUpperCase() }), false);
});
