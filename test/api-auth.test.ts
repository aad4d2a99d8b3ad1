/**
 * Story: an attacker or a buggy client hits the signed API. Replays, stale or tampered
 * requests, unknown and revoked keys, another tenant's channel, and thousands of malformed
 * bodies are each refused with a clear 4xx, and nothing changes in any ledger.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import fc from 'fast-check';

let net: Network;
let lsp: TestLsp;
let acme: Awaited<ReturnType<TestLsp['newTenant']>>;
let channelOfAcme: string;
/** The Idempotency-Key acme bought its first channel under. */
const FIRST_CHANNEL_KEY = 'acme-first-channel';

before(async () => {
  net = await startNetwork();
  await net.h.openChannel(net.alice, net.lsp, sat(1_000_000));
  // As in production: webhooks may only point at public addresses.
  // On the embedded database `npm start` uses (most stories run on the test Postgres).
  // The malformed-body test sends 2,000 requests as fast as it can: on a quick machine that is
  // past the per-tenant request limit, which would answer 429 before validation is reached (and
  // refuse the next test's calls). The limit has its own test (http/rate-limit.test.ts).
  lsp = await startTestLsp(net, {
    postgres: false,
    file: { webhooks: { allowPrivateTargets: false }, auth: { rateLimit: { max: 0 } } },
  });
  acme = await lsp.newTenant('acme');
  const topup = await acme.client.topUp(5_000);
  await net.alice.lnd.sendPayment(
    { paymentRequest: topup.paymentRequest, feeLimit: msat(10_000), timeoutSeconds: 30 },
    within(60_000),
  );
  await net.h.waitFor(async () => (await acme.client.getBalance()).balance === 5_000, { what: 'the top-up' });
  channelOfAcme = (
    await acme.client.requestChannel(
      { clientPubkey: net.bob.pubkey, channelSize: 50_000, clientHost: net.bob.host },
      { idempotencyKey: FIRST_CHANNEL_KEY },
    )
  ).channelId;
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** Sends a raw HTTP request with the given headers and body. */
async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${lsp.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  return { status: res.status, code: json.error?.code, message: json.error?.message ?? '' };
}

const signed = (
  method: string,
  path: string,
  body = '',
  extra: { keyId?: string; secret?: string; now?: number; nonce?: string } = {},
) =>
  signRequest({
    keyId: extra.keyId ?? acme.keyId,
    secret: extra.secret ?? acme.secret,
    method,
    path,
    body,
    ...(extra.now !== undefined ? { now: extra.now } : {}),
    ...(extra.nonce ? { nonce: extra.nonce } : {}),
  });

test('each forged or replayed request is refused with its code and the ledger stays as it was', async () => {
  const ledgerBefore = await acme.client.getLedger();
  const path = `/v1/channels/${channelOfAcme}`;
  const order = JSON.stringify({ clientPubkey: net.bob.pubkey, channelSize: 60_000 });

  const ok = signed('GET', path);
  assert.equal((await send('GET', path, ok)).status, 200, 'a correct request passes');
  const replay = await send('GET', path, ok);
  assert.deepEqual([replay.status, replay.code], [401, 'nonce_reused'], 'replayed nonce');

  const stale = await send('GET', path, signed('GET', path, '', { now: Date.now() - 6 * 60_000 }));
  assert.deepEqual([stale.status, stale.code], [401, 'stale_timestamp'], 'stale timestamp');
  const future = await send('GET', path, signed('GET', path, '', { now: Date.now() + 6 * 60_000 }));
  assert.deepEqual([future.status, future.code], [401, 'stale_timestamp'], 'timestamp from the future');

  const tamperedBody = await send(
    'POST',
    '/v1/channels',
    signed('POST', '/v1/channels', order),
    order.replace('60000', '600000'),
  );
  assert.deepEqual([tamperedBody.status, tamperedBody.code], [401, 'unauthorized'], 'tampered body');

  const tamperedPath = await send('GET', '/v1/account', signed('GET', '/v1/account/ledger'));
  assert.deepEqual([tamperedPath.status, tamperedPath.code], [401, 'unauthorized'], 'tampered path');

  const unknown = await send('GET', path, signed('GET', path, '', { keyId: 'key_nobody' }));
  assert.deepEqual([unknown.status, unknown.code], [401, 'unauthorized'], 'unknown key');

  const wrongSecret = await send('GET', path, signed('GET', path, '', { secret: 'sk_guess' }));
  assert.deepEqual([wrongSecret.status, wrongSecret.code], [401, 'unauthorized'], 'wrong secret');
  assert.equal(wrongSecret.message, unknown.message, 'no hint of which part failed');

  const unsigned = await send('GET', path, {});
  assert.deepEqual([unsigned.status, unsigned.code], [401, 'unauthorized'], 'unsigned');

  const other = await lsp.newTenant('other');
  const foreign = await send(
    'GET',
    path,
    signed('GET', path, '', { keyId: other.keyId, secret: other.secret }),
  );
  assert.deepEqual([foreign.status, foreign.code], [404, 'not_found'], "another tenant's channel");

  const notAdmin = await send(
    'POST',
    '/v1/admin/tenants',
    signed('POST', '/v1/admin/tenants', '{"name":"x"}'),
    '{"name":"x"}',
  );
  assert.deepEqual([notAdmin.status, notAdmin.code], [403, 'forbidden'], 'tenant key on an admin route');

  const doomed = await lsp.admin.admin.createKey((await acme.client.getBalance()).tenantId, 'tenant');
  assert.equal(
    (
      await send(
        'GET',
        '/v1/account',
        signed('GET', '/v1/account', '', { keyId: doomed.keyId, secret: doomed.secret }),
      )
    ).status,
    200,
  );
  await lsp.admin.admin.revokeKey(doomed.keyId);
  const revoked = await send(
    'GET',
    '/v1/account',
    signed('GET', '/v1/account', '', { keyId: doomed.keyId, secret: doomed.secret }),
  );
  assert.deepEqual([revoked.status, revoked.code], [401, 'unauthorized'], 'revoked key');

  assert.deepEqual(await acme.client.getLedger(), ledgerBefore, 'nothing changed in the ledger');
});

test('bad inputs each get a 4xx that names the problem', async () => {
  const bob = net.bob.pubkey;
  const cases: [string, string, RegExp][] = [
    ['malformed pubkey', JSON.stringify({ clientPubkey: 'xyz', channelSize: 100_000 }), /clientPubkey/],
    ['negative amount', JSON.stringify({ clientPubkey: bob, channelSize: -5 }), /channelSize/],
    ['zero amount', JSON.stringify({ clientPubkey: bob, channelSize: 0 }), /channelSize/],
    ['fractional amount', JSON.stringify({ clientPubkey: bob, channelSize: 100000.5 }), /channelSize/],
    ['huge amount', JSON.stringify({ clientPubkey: bob, channelSize: 1e30 }), /channelSize/],
    [
      'amount above the limit',
      JSON.stringify({ clientPubkey: bob, channelSize: 100_000_000 }),
      /channelSize/,
    ],
    ['amount below the limit', JSON.stringify({ clientPubkey: bob, channelSize: 1_000 }), /channelSize/],
    [
      'push at the size',
      JSON.stringify({ clientPubkey: bob, channelSize: 100_000, pushAmount: 100_000 }),
      /pushAmount/,
    ],
    [
      'unknown field',
      JSON.stringify({ clientPubkey: bob, channelSize: 100_000, colour: 'red' }),
      / body has unknown property 'colour'$/,
    ],
    ['wrong type', JSON.stringify({ clientPubkey: bob, channelSize: '100000' }), /channelSize/],
    [
      'fee rate too high',
      JSON.stringify({ clientPubkey: bob, channelSize: 100_000, feeRate: 5_000 }),
      /feeRate/,
    ],
    ['not JSON', '{"clientPubkey":', /JSON|Unexpected|body/i],
    ['not an object', '[1,2]', /object|body/i],
    [
      'oversized body',
      JSON.stringify({ clientPubkey: bob, channelSize: 100_000, pad: 'x'.repeat(100_000) }),
      /large|limit|size/i,
    ],
  ];
  const before = await acme.client.getLedger();
  for (const [what, body, names] of cases) {
    const r = await send('POST', '/v1/channels', signed('POST', '/v1/channels', body), body);
    assert.ok(r.status >= 400 && r.status < 500, `${what}: got ${r.status}`);
    assert.match(`${r.code} ${r.message}`, names, `${what}: ${r.message}`);
  }
  assert.deepEqual(await acme.client.getLedger(), before);
});

test('a wrong body under a used Idempotency-Key is refused for what is wrong with it, not for the key', async () => {
  const path = '/v1/channels';
  const body = JSON.stringify({ clientPubkey: net.bob.pubkey, channelSize: 1_000, clientHost: net.bob.host });
  const r = await send(
    'POST',
    path,
    { ...signed('POST', path, body), 'idempotency-key': FIRST_CHANNEL_KEY },
    body,
  );
  assert.deepEqual([r.status, r.code], [400, 'invalid_input'], r.message);
  assert.match(r.message, /channelSize/);
  const replay = await acme.client.requestChannel(
    { clientPubkey: net.bob.pubkey, channelSize: 50_000, clientHost: net.bob.host },
    { idempotencyKey: FIRST_CHANNEL_KEY },
  );
  assert.equal(replay.channelId, channelOfAcme, 'the key still answers its channel');
});

test('thousands of generated bodies never produce a 5xx', async () => {
  const pubkey = fc.oneof(
    fc.constant(net.bob.pubkey),
    fc.stringMatching(/^0[23][0-9a-f]{64}$/),
    fc.string(),
    fc.integer(),
  );
  const amount = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.bigInt().map(String),
    fc.constant(null),
    fc.string(),
    fc.constant(2 ** 63),
  );
  const field = {
    clientPubkey: pubkey,
    channelSize: amount,
    pushAmount: amount,
    feeRate: amount,
    isPrivate: fc.oneof(fc.boolean(), fc.string(), fc.integer()),
    clientHost: fc.oneof(
      fc.constant('127.0.0.1:1'),
      fc.constant('not a host'),
      fc.string({ maxLength: 300 }),
    ),
  };
  const body = fc.oneof(
    fc.record(field, { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 })),
    fc.jsonValue({ maxDepth: 3 }),
  );
  let count = 0;
  await fc.assert(
    fc.asyncProperty(
      body,
      fc.constantFrom('/v1/channels', '/v1/channels/quote', '/v1/account/topups'),
      async (b, path) => {
        const text = JSON.stringify(b) ?? 'null';
        const r = await send('POST', path, signed('POST', path, text), text);
        count++;
        return r.status < 500 && r.status !== 429;
      },
    ),
    { numRuns: 2000 },
  );
  assert.equal(count, 2000);
});

test('a webhook URL that points at a private, loopback or link-local address is refused with its reason', async () => {
  const targets = [
    'https://127.0.0.1:8443/hook',
    'https://localhost/hook',
    'https://10.1.2.3/hook',
    'https://192.168.1.20/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hook',
    'https://[fd00::1]/hook',
  ];
  for (const url of targets) {
    const err = await acme.client.webhooks.create({ url, events: ['*'] }).then(
      () => assert.fail(`${url} was accepted`),
      (e: { status?: number; code?: string; message?: string; details?: Record<string, unknown> }) => e,
    );
    assert.equal(err.status, 422, url);
    assert.equal(err.code, 'webhook_url_refused', url);
    assert.equal(err.details?.field, 'url');
    assert.match(err.message ?? '', /non-public address/, url);
  }
  assert.deepEqual((await acme.client.webhooks.list()).webhooks, [], 'nothing was registered');
});
