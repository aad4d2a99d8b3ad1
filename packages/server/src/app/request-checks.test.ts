/**
 * What a new user and a client written from the bLIPs alone meet first, over HTTP: a quote takes
 * the purchase's body, a DELETE needs no body, a refusal names the property it does not know,
 * and a request is checked in itself before who asks, their limits, or any work (an LSPS
 * request at its caller's cap still gets the bLIP's own error when it is wrong).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type InProcessApp, startInProcessApp, type TestKey } from './in-process-app.ts';

/** A valid node key (secp256k1's generator). */
const CLIENT = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
/** Each cap of this file: one. */
const CAP = 1;

let lsp: InProcessApp;
let acme: TestKey & { readonly tenantId: string };

before(async () => {
  lsp = await startInProcessApp({
    lsps1: { maxUnpaidOrdersPerClient: CAP },
    // The tenant buys: its own cap is what it reaches.
    lsps2: { maxOpenBuysPerTenant: CAP },
  });
  acme = await lsp.newTenant('acme');
});
after(() => lsp?.close());

type RpcAnswer = {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
};

/** One LSPS call over HTTP, as acme. */
async function lsps(method: string, params: Record<string, unknown>): Promise<RpcAnswer> {
  const r = await lsp.send(acme, 'POST', '/lsps', {
    jsonrpc: '2.0',
    id: 'a1b2c3d4e5f6a7b8c9d0',
    method,
    params,
  });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as RpcAnswer;
}

test('a quote takes the very body of the purchase, and prices it as the fields that matter say', async () => {
  const purchase = {
    clientPubkey: CLIENT,
    channelSize: 100_000,
    pushAmount: 10_000,
    feeRate: 5,
    isPrivate: true,
    clientHost: '127.0.0.1:9735',
  };
  const full = await lsp.send(acme, 'POST', '/v1/channels/quote', purchase);
  assert.equal(full.statusCode, 200, full.body);
  const priced = await lsp.send(acme, 'POST', '/v1/channels/quote', {
    channelSize: 100_000,
    pushAmount: 10_000,
    feeRate: 5,
  });
  assert.deepEqual(full.json(), priced.json(), 'the other fields do not change the price');
  assert.equal(full.json().networkFee.feeRate, 5);

  const unknown = await lsp.send(acme, 'POST', '/v1/channels/quote', { ...purchase, colour: 'red' });
  assert.equal(unknown.statusCode, 400);
  assert.deepEqual(unknown.json(), {
    error: { code: 'invalid_input', message: "body has unknown property 'colour'" },
  });
  const badKey = await lsp.send(acme, 'POST', '/v1/channels/quote', { ...purchase, clientPubkey: 'xyz' });
  assert.equal(badKey.statusCode, 400);
  assert.match(badKey.json().error.message, /clientPubkey/);
});

test('every unknown property a route refuses is named, on any route', async () => {
  const cases: [string, string, unknown, string][] = [
    ['POST', '/v1/account/topups', { amount: 10_000, memo: 'x' }, "body has unknown property 'memo'"],
    [
      'POST',
      '/v1/liquidity/reservations',
      { amount: 1, duration: 1, maxFeeRate: 1, tip: 1 },
      "body has unknown property 'tip'",
    ],
    ['POST', '/v1/nodes/quote', { alias: 'a', size: 'xl' }, "body has unknown property 'size'"],
    ['DELETE', '/v1/nodes/n1', { closeChannels: true, force: true }, "body has unknown property 'force'"],
  ];
  for (const [method, path, body, message] of cases) {
    const r = await lsp.send(acme, method, path, body);
    assert.equal(r.statusCode, 400, `${method} ${path}: ${r.body}`);
    assert.equal(r.json().error.code, 'invalid_input');
    assert.equal(r.json().error.message, message, `${method} ${path}`);
  }
});

test('a DELETE needs no body: none, an empty JSON body or {} all reach the route', async () => {
  const bodies: [string, unknown, Record<string, string>][] = [
    ['no body, no content type', undefined, {}],
    ['an empty JSON body', '', { 'content-type': 'application/json' }],
    ['{}', {}, {}],
  ];
  for (const [what, body, headers] of bodies) {
    for (const path of ['/v1/nodes/n0000000000000000', '/v1/webhooks/wh_0000000000000000']) {
      const r = await lsp.send(acme, 'DELETE', path, body, headers);
      assert.equal(r.statusCode, 404, `${what} ${path}: ${r.body}`);
      assert.equal(r.json().error.code, 'not_found', `${what} ${path}`);
    }
  }
  const key = await lsp.send(lsp.admin, 'POST', '/v1/admin/keys', {
    tenantId: acme.tenantId,
    scope: 'tenant',
  });
  const revoked = await lsp.send(lsp.admin, 'DELETE', `/v1/admin/keys/${key.json().keyId}`);
  assert.equal(revoked.statusCode, 204, revoked.body);
});

test("a node deletion's sweep address is checked before whose node it is", async () => {
  const r = await lsp.send(acme, 'DELETE', '/v1/nodes/n0000000000000000', {
    closeChannels: true,
    sweepAddress: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
  });
  assert.equal(r.statusCode, 400, r.body);
  assert.equal(r.json().error.details?.field, 'sweepAddress');
});

const ORDER = {
  lsp_balance_sat: '100000',
  client_balance_sat: '0',
  required_channel_confirmations: 1,
  funding_confirms_within_blocks: 6,
  channel_expiry_blocks: 1000,
  announce_channel: false,
  client_node_pubkey: CLIENT,
};

test('lsps1.create_order at the unpaid-order cap: a wrong order gets its bLIP error, a right one client_rejected', async () => {
  const first = await lsps('lsps1.create_order', ORDER);
  assert.ok(first.result, JSON.stringify(first.error));
  const wrong: [string, Record<string, unknown>, number, string?][] = [
    ['no balance at all', { lsp_balance_sat: '0' }, 100, 'min_initial_lsp_balance_sat'],
    ['a channel too large', { lsp_balance_sat: '1000000000' }, 100, 'max_initial_lsp_balance_sat'],
    ['an unknown token', { token: 'free-channel' }, 102],
    [
      'a refund address that is none',
      { refund_onchain_address: 'not an address' },
      -32602,
      'refund_onchain_address',
    ],
    [
      'a refund address of another network',
      { refund_onchain_address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' },
      -32602,
      'refund_onchain_address',
    ],
    ['no client node over HTTP', { client_node_pubkey: undefined }, -32602, 'client_node_pubkey'],
    ['an unknown param', { colour: 'red' }, -32602, 'colour'],
  ];
  for (const [what, change, code, property] of wrong) {
    const r = await lsps('lsps1.create_order', { ...ORDER, ...change });
    assert.equal(r.error?.code, code, `${what}: ${JSON.stringify(r)}`);
    if (property) assert.equal(r.error?.data?.property, property, what);
  }
  const refused = await lsps('lsps1.create_order', ORDER);
  assert.equal(refused.error?.code, 1, JSON.stringify(refused));
  assert.match(String(refused.error?.data?.message), /1 unpaid orders/);
});

test('lsps2.buy at the open-buy cap: a wrong buy gets its bLIP error, a right one client_rejected', async () => {
  const info = await lsps('lsps2.get_info', {});
  const [params] = (info.result?.opening_fee_params_menu ?? []) as Record<string, unknown>[];
  assert.ok(params, JSON.stringify(info));
  const first = await lsps('lsps2.buy', { opening_fee_params: params, client_node_pubkey: CLIENT });
  assert.ok(first.result, JSON.stringify(first.error));
  const wrong: [string, Record<string, unknown>, number][] = [
    ['an altered promise', { opening_fee_params: { ...params, min_fee_msat: '1' } }, 201],
    ['a payment below the minimum', { payment_size_msat: '1' }, 202],
    ['a payment above the maximum', { payment_size_msat: '18446744073709551615' }, 203],
    ['no client node over HTTP', { client_node_pubkey: undefined }, -32602],
  ];
  for (const [what, change, code] of wrong) {
    const r = await lsps('lsps2.buy', { opening_fee_params: params, client_node_pubkey: CLIENT, ...change });
    assert.equal(r.error?.code, code, `${what}: ${JSON.stringify(r)}`);
  }
  const refused = await lsps('lsps2.buy', { opening_fee_params: params, client_node_pubkey: CLIENT });
  assert.equal(refused.error?.code, 1, JSON.stringify(refused));
  assert.match(String(refused.error?.data?.message), /JIT channel buys/);
});

test('lsps5.set_webhook: a wrong webhook gets its bLIP error before the check of whom the tenant serves', async () => {
  const stranger = '03'.padEnd(66, '1');
  const wrong: [string, string, number][] = [
    ['not https', 'http://example.com/hook', 502],
    ['not a URL', 'not a url', 501],
  ];
  for (const [what, webhook, code] of wrong) {
    const r = await lsps('lsps5.set_webhook', { client_node_pubkey: stranger, app_name: 'app', webhook });
    assert.equal(r.error?.code, code, `${what}: ${JSON.stringify(r)}`);
  }
});
