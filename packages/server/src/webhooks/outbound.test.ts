import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWebhookUrl, isNonPublicAddress } from './outbound.ts';

const strict = { allowPrivateTargets: false, timeoutMs: 1_000, maxResponseBytes: 1_000 };

test('loopback, private, link-local, CGNAT, documentation, site-local, unique-local and mapped addresses are not public', () => {
  for (const a of [
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd12::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '192.0.2.10',
    '198.51.100.7',
    '203.0.113.200',
    '::ffff:203.0.113.1',
    'fec0::1',
    '2001:db8::1',
  ])
    assert.ok(isNonPublicAddress(a), a);
  for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
    assert.ok(!isNonPublicAddress(a), a);
});

test('only https URLs without credentials, to public addresses unless allowed', async () => {
  await assert.rejects(checkWebhookUrl('http://8.8.8.8/x', strict), /only https/);
  await assert.rejects(checkWebhookUrl('https://u:p@8.8.8.8/x', strict), /credentials/);
  await assert.rejects(checkWebhookUrl('not a url', strict), /not a URL/);
  await assert.rejects(
    checkWebhookUrl('https://127.0.0.1/x', strict),
    /127\.0\.0\.1 is a non-public address/,
  );
  await assert.rejects(checkWebhookUrl('https://[::1]/x', strict), /non-public/);
  assert.equal((await checkWebhookUrl('https://8.8.8.8/x', strict)).host, '8.8.8.8');
  assert.equal(
    (await checkWebhookUrl('https://127.0.0.1:9/x', { ...strict, allowPrivateTargets: true })).port,
    '9',
  );
});
