import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { LspError } from '@blgv/core';
import { selfSignedCert } from '@blgv/hosting';
import { type LeaseFence, withLeaseFence } from '@blgv/store';
import { checkWebhookUrl, isNonPublicAddress, postWebhook } from './outbound.ts';

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

test('a POST whose lease is lost while it connects is never written: it rejects with lease_lost', async (t) => {
  const { cert, key } = await selfSignedCert('127.0.0.1', ['127.0.0.1']);
  const received: string[] = [];
  const server = createServer({ cert, key }, (req, res) => {
    received.push(req.headers['webhook-id'] as string);
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const url = new URL(`https://127.0.0.1:${port}/hook`);
  const policy = { allowPrivateTargets: true, timeoutMs: 5_000, maxResponseBytes: 1_000, ca: cert };
  /** A fence held for its first `heldFor` questions, lost after. */
  const fence = (heldFor: number): LeaseFence => {
    let asked = 0;
    return { lease: 'webhooks', token: 1n, held: () => ++asked <= heldFor, refused: () => {} };
  };
  const post = (id: string, heldFor: number) =>
    withLeaseFence(fence(heldFor), () => postWebhook(url, '{}', { 'webhook-id': id }, policy));

  let connections = 0;
  server.on('connection', () => {
    connections++;
  });

  // Held throughout: sent and answered.
  assert.equal((await post('first', 2)).ok, true);
  // Held when asked before the request, lost by the time it would be written: nothing written,
  // on the connection kept alive from the first POST and on a new one (its TLS handshake done).
  await assert.rejects(post('lost-on-kept', 1), (err: LspError) => err.code === 'lease_lost');
  assert.equal(connections, 1, 'the kept-alive connection was used');
  await assert.rejects(post('lost-on-new', 1), (err: LspError) => err.code === 'lease_lost');
  assert.equal(connections, 2, 'a new connection was made (the kept-alive one went with the refusal)');
  await assert.rejects(post('lost-before', 0), (err: LspError) => err.code === 'lease_lost');
  assert.equal((await post('third', 2)).ok, true);
  assert.deepEqual(received, ['first', 'third']);
});
