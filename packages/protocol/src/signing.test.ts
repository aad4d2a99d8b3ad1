import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { canonicalString, signature, signRequest } from './signing.ts';

const parts = {
  timestamp: '1764000000000',
  nonce: 'n0nce-0123456789ab',
  method: 'post',
  path: '/v1/channels?x=1',
  body: '{"a":1}',
};

test('the canonical string names every signed part, in order', () => {
  const bodyHash = createHash('sha256').update('{"a":1}').digest('hex');
  assert.equal(
    canonicalString(parts),
    `BLGV-HMAC-SHA256\n1764000000000\nn0nce-0123456789ab\nPOST\n/v1/channels?x=1\n${bodyHash}`,
  );
});

test('the signature is HMAC-SHA256 of the canonical string, as any language computes it', () => {
  const expected = createHmac('sha256', 'sk_secret').update(canonicalString(parts)).digest('hex');
  assert.equal(signature('sk_secret', parts), expected);
});

test('changing any part changes the signature', () => {
  const base = signature('s', parts);
  for (const change of [
    { timestamp: '1' },
    { nonce: 'other-nonce-000000' },
    { method: 'GET' },
    { path: '/v1/channels' },
    { body: '{"a":2}' },
  ]) {
    assert.notEqual(signature('s', { ...parts, ...change }), base, JSON.stringify(change));
  }
  assert.notEqual(signature('t', parts), base);
});

test('signRequest fills the four headers', () => {
  const h = signRequest({
    keyId: 'key_1',
    secret: 's',
    method: 'GET',
    path: '/v1/fees',
    now: 5,
    nonce: 'abcdefghijklmnop',
  });
  assert.deepEqual(Object.keys(h).sort(), [
    'x-blgv-key',
    'x-blgv-nonce',
    'x-blgv-signature',
    'x-blgv-timestamp',
  ]);
  assert.equal(h['x-blgv-timestamp'], '5');
  assert.equal(
    h['x-blgv-signature'],
    signature('s', { timestamp: '5', nonce: 'abcdefghijklmnop', method: 'GET', path: '/v1/fees', body: '' }),
  );
});
