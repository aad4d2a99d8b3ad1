/**
 * Conformance: the requirements of bLIP-50 (LSPS0), bLIP-51 (LSPS1) and bLIP-52 (LSPS2) that
 * bind the LSP's answers, one test per requirement, named after its id in
 * `docs/lsps-conformance.md`. Each drives both transports with the same payload: peer messages
 * (type 37913) from a client LND, and signed `POST /lsps` over HTTP. Behaviour that needs a
 * payment (opening, settling, forwarding) is shown by the stories the list names.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import { type Answer, lspsTransports, type Transport } from './support/lsps-transports.ts';
import { lsps1Order } from './support/lsps1-order.ts';

let net: Network;
let lsp: TestLsp;
let both: [Transport, Transport];
let httpKey: { keyId: string; secret: string };
const streams = new AbortController();

/** A valid order (within every advertised option). */
const ORDER = lsps1Order();

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp: node, bob } = net;
  // What the LSP can receive: alice's side of this channel (bLIP-52's liquidity check).
  await h.openChannel(alice, node, sat(500_000));
  await h.connect(bob, node);
  lsp = await startTestLsp(net, {
    // The whole LSPS surface on the embedded database `npm start` uses.
    postgres: false,
    // A payment size small enough for the opening fee to eat it (the 202 case).
    // Many requests in a row from one peer: a generous rate (the in-flight bound still holds),
    // and room for every unpaid order and open buy the suite leaves (caps have their own story).
    file: {
      lsps0: { peerRatePerSecond: 1000, peerBurst: 1000 },
      lsps1: { maxUnpaidOrdersPerClient: 1000 },
      lsps2: { minPaymentSizeMsat: 1_000_000, maxOpenBuysPerClient: 1000 },
    },
  });
  const tenant = await lsp.newTenant('conformance');
  httpKey = { keyId: tenant.keyId, secret: tenant.secret };
  both = await lspsTransports({
    node: bob,
    lsp: node.pubkey,
    url: lsp.url,
    key: httpKey,
    signal: streams.signal,
  });
});
after(async () => {
  streams.abort();
  await lsp?.stop();
  await net?.h.stop();
});

/** Asserts a JSON-RPC error with `code`; returns it. Error `data`, when present, is an object. */
function error(a: Answer, code: number, where: string) {
  assert.equal(a.jsonrpc, '2.0', `${where}: a JSON-RPC 2.0 response`);
  assert.ok(a.error, `${where}: an error, got ${JSON.stringify(a)}`);
  assert.equal(a.error.code, code, `${where}: ${JSON.stringify(a.error)}`);
  assert.equal(typeof a.error.message, 'string');
  if (a.error.data !== undefined)
    assert.ok(
      typeof a.error.data === 'object' && a.error.data !== null && !Array.isArray(a.error.data),
      `${where}: data is an object`,
    );
  assert.ok(!('result' in a), `${where}: not both result and error`);
  return a.error;
}

/** Asserts a result object; returns it. */
function result(a: Answer, where: string): Record<string, unknown> {
  assert.ok(a.result, `${where}: a result, got ${JSON.stringify(a)}`);
  assert.ok(typeof a.result === 'object' && !Array.isArray(a.result), `${where}: the result is an object`);
  return a.result;
}

/** Asserts an invalid-params error whose data lists `unrecognized`; returns the data. */
function invalidParams(a: Answer, where: string) {
  const e = error(a, -32602, where);
  assert.ok(e.data, `${where}: -32602 carries data`);
  assert.ok(Array.isArray(e.data.unrecognized), `${where}: data.unrecognized is an array`);
  return e.data as { unrecognized: string[]; property?: string; message?: string };
}

const req = (method: string, params: unknown, id: unknown = 'id-1') =>
  JSON.stringify({ jsonrpc: '2.0', method, params, id });

// ---------------------------------------------------------------- bLIP-50 (LSPS0)

test('50-04 a payload that is not a single JSON object is a parse error (-32700, id null)', async () => {
  for (const t of both) {
    for (const payload of [
      '{nope',
      ' [ ] ',
      '[{"jsonrpc":"2.0","method":"lsps0.list_protocols","id":"1"}]',
      '42',
      '"x"',
      'null',
      'true',
    ]) {
      const a = await t.send(payload);
      error(a, -32700, `${t.name} ${payload}`);
      assert.equal(a.id, null);
    }
  }
});

test('50-04 leading and trailing whitespace around the object is accepted', async () => {
  for (const t of both) {
    const a = await t.send(` \t\r\n${req('lsps0.list_protocols', {})}\n `);
    assert.deepEqual(result(a, t.name), { protocols: [1, 2, 5] });
  }
});

test('50-05 a payload holding more than one JSON object is a parse error', async () => {
  for (const t of both) {
    for (const payload of [' { } { ', `${req('lsps0.list_protocols', {})} {}`]) {
      const a = await t.send(payload);
      error(a, -32700, `${t.name} ${payload}`);
      assert.equal(a.id, null);
    }
  }
});

test('50-06 a payload containing a 0 byte is a parse error', async () => {
  for (const t of both) {
    const text = new TextEncoder().encode(req('lsps0.list_protocols', {}));
    const withZero = new Uint8Array([...text, 0]);
    const a = await t.send(withZero);
    error(a, -32700, t.name);
    assert.equal(a.id, null);
  }
});

test('50-07 an object that is not a JSON-RPC 2.0 request (a response, a wrong jsonrpc, no method) is a parse error', async () => {
  for (const t of both) {
    for (const payload of [
      '{"jsonrpc":"2.0","id":"r1","result":{}}',
      '{"jsonrpc":"1.0","method":"lsps0.list_protocols","id":"r2"}',
      '{"method":"lsps0.list_protocols","id":"r3"}',
      '{"jsonrpc":"2.0","method":5,"id":"r4"}',
      '{"jsonrpc":"2.0","id":"r5"}',
    ]) {
      const a = await t.send(payload);
      error(a, -32700, `${t.name} ${payload}`);
      assert.equal(a.id, null, 'id null even when one could be read');
    }
  }
});

test('50-07 invalid UTF-8 is a parse error', async () => {
  for (const t of both) {
    const a = await t.send(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    error(a, -32700, t.name);
  }
});

test('50-12 a notification (no id) is not answered', async () => {
  for (const t of both) {
    assert.equal(
      await t.notify('{"jsonrpc":"2.0","method":"lsps0.list_protocols","params":{}}'),
      true,
      t.name,
    );
    // The next request's answer comes, and nothing came for the notification.
    result(await t.call('lsps0.list_protocols', {}), t.name);
    assert.deepEqual(t.unclaimed, [], `${t.name}: no answer to the notification`);
  }
});

test('50-13 by-position params (an array) are invalid params with data.unrecognized', async () => {
  for (const t of both) {
    for (const params of [[], [1], null, 'x']) {
      const a = await t.send(req('lsps0.list_protocols', params));
      const data = invalidParams(a, `${t.name} ${JSON.stringify(params)}`);
      assert.equal(a.id, 'id-1', 'the id is echoed');
      assert.equal(data.property, 'params');
    }
  }
});

test('50-17 a numeric id is a valid JSON-RPC id and is echoed as sent', async () => {
  for (const t of both) {
    const a = await t.send(req('lsps0.list_protocols', {}, 73));
    result(a, t.name);
    assert.equal(a.id, 73);
  }
});

test('50-23 results are objects (list_protocols, get_info of each protocol)', async () => {
  for (const t of both) {
    for (const method of ['lsps0.list_protocols', 'lsps1.get_info', 'lsps2.get_info'])
      result(await t.call(method, {}), `${t.name} ${method}`);
  }
});

test('50-29 every invalid-params error carries data.unrecognized (type errors too)', async () => {
  for (const t of both) {
    const a = await t.call('lsps1.create_order', { ...ORDER, announce_channel: 'yes' });
    const data = invalidParams(a, t.name);
    assert.deepEqual(data.unrecognized, []);
    assert.equal(data.property, 'announce_channel', 'bLIP-51: property names the request field');
    assert.equal(typeof data.message, 'string');
  }
});

test('50-37 list_protocols lists the LSPS the LSP serves, as numbers, never 0', async () => {
  for (const t of both) {
    const r = result(await t.call('lsps0.list_protocols', {}), t.name);
    assert.deepEqual(r, { protocols: [1, 2, 5] });
  }
});

test('50-38 unrecognized params of a known method are invalid params listing every one', async () => {
  for (const t of both) {
    const data = invalidParams(await t.call('lsps1.get_info', { future_feature: 1, other: true }), t.name);
    assert.deepEqual(data.unrecognized.sort(), ['future_feature', 'other']);
    const empty = invalidParams(await t.call('lsps0.list_protocols', { x: 1 }), t.name);
    assert.deepEqual(empty.unrecognized, ['x']);
  }
  // Over peer messages the client node is the sender: the HTTP-only param is unrecognized.
  const [peer] = both;
  const data = invalidParams(
    await peer.call('lsps1.create_order', { ...ORDER, client_node_pubkey: net.bob.pubkey }),
    peer.name,
  );
  assert.deepEqual(data.unrecognized, ['client_node_pubkey']);
});

test('50-39 an unknown method is method-not-found with the request id', async () => {
  for (const t of both) {
    for (const method of ['lsps9.nothing', 'lsps7.create_order', 'lsps0.unknown']) {
      const a = await t.call(method, {});
      error(a, -32601, `${t.name} ${method}`);
      assert.equal(typeof a.id, 'string');
    }
  }
});

test('50-44 amounts are decimal strings: a JSON number is invalid params, results carry strings', async () => {
  for (const t of both) {
    const data = invalidParams(
      await t.call('lsps1.create_order', { ...ORDER, lsp_balance_sat: 100000 }),
      t.name,
    );
    assert.equal(data.property, 'lsp_balance_sat');
    const info = result(await t.call('lsps1.get_info', {}), t.name);
    for (const [k, v] of Object.entries(info)) {
      if (!k.endsWith('_sat')) continue;
      assert.equal(typeof v, 'string', k);
      assert.match(String(v), /^\d+$/, k);
    }
  }
});

test('50-51 a refund address must be a SegWit address of the network: base58 is invalid params', async () => {
  for (const t of both) {
    for (const address of [
      'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      'not an address',
    ]) {
      const data = invalidParams(
        await t.call('lsps1.create_order', { ...ORDER, refund_onchain_address: address }),
        `${t.name} ${address}`,
      );
      assert.equal(data.property, 'refund_onchain_address');
    }
  }
});

test('50-54 datetimes are ISO 8601 UTC with milliseconds', async () => {
  const datetime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
  for (const t of both) {
    const order = result(await t.call('lsps1.create_order', ORDER), t.name) as {
      created_at: string;
      payment: { bolt11: { expires_at: string } };
    };
    assert.match(order.created_at, datetime);
    assert.match(order.payment.bolt11.expires_at, datetime);
    const menu = result(await t.call('lsps2.get_info', {}), t.name) as {
      opening_fee_params_menu: { valid_until: string }[];
    };
    for (const p of menu.opening_fee_params_menu) assert.match(p.valid_until, datetime);
  }
});

// ---------------------------------------------------------------- bLIP-51 (LSPS1)

test('51-03 get_info answers the same options each time', async () => {
  for (const t of both) {
    const a = result(await t.call('lsps1.get_info', {}), t.name);
    const b = result(await t.call('lsps1.get_info', {}), t.name);
    assert.deepEqual(a, b);
  }
});

test('51-05 get_info has the ten options, flat, with their types; 51-11 each min <= max', async () => {
  for (const t of both) {
    const info = result(await t.call('lsps1.get_info', {}), t.name);
    for (const k of [
      'min_required_channel_confirmations',
      'min_funding_confirms_within_blocks',
      'max_channel_expiry_blocks',
    ])
      assert.ok(Number.isInteger(info[k]), k);
    assert.equal(typeof info.supports_zero_channel_reserve, 'boolean');
    for (const [min, max] of [
      ['min_initial_client_balance_sat', 'max_initial_client_balance_sat'],
      ['min_initial_lsp_balance_sat', 'max_initial_lsp_balance_sat'],
      ['min_channel_balance_sat', 'max_channel_balance_sat'],
    ] as const) {
      assert.equal(typeof info[min], 'string');
      assert.ok(BigInt(String(info[min])) <= BigInt(String(info[max])), `${min} <= ${max}`);
    }
    assert.ok(Number(info.min_funding_confirms_within_blocks) >= 1);
    assert.ok(Number(info.max_channel_expiry_blocks) >= 1);
  }
});

test('51-12..16, 51-29, 51-30 an order outside an option is refused with 100 naming that get_info option', async () => {
  for (const t of both) {
    const info = result(await t.call('lsps1.get_info', {}), t.name) as Record<string, string | number>;
    const above = (k: string) => String(BigInt(String(info[k])) + 1n);
    const cases: [Record<string, unknown>, string][] = [
      [{ lsp_balance_sat: '1' }, 'min_initial_lsp_balance_sat'],
      [{ lsp_balance_sat: above('max_initial_lsp_balance_sat') }, 'max_initial_lsp_balance_sat'],
      [{ client_balance_sat: above('max_initial_client_balance_sat') }, 'max_initial_client_balance_sat'],
      [
        { lsp_balance_sat: String(info.max_initial_lsp_balance_sat), client_balance_sat: '1' },
        'max_channel_balance_sat',
      ],
      [{ required_channel_confirmations: 0 }, 'min_required_channel_confirmations'],
      [{ funding_confirms_within_blocks: 0 }, 'min_funding_confirms_within_blocks'],
      [{ channel_expiry_blocks: Number(info.max_channel_expiry_blocks) + 1 }, 'max_channel_expiry_blocks'],
    ];
    for (const [change, property] of cases) {
      const e = error(
        await t.call('lsps1.create_order', { ...ORDER, ...change }),
        100,
        `${t.name} ${JSON.stringify(change)}`,
      );
      assert.equal(e.data?.property, property);
      assert.ok(property in info, 'the property is a get_info option');
    }
    // Inside every option, with no hidden limit: a high confirmation count is fine.
    result(
      await t.call('lsps1.create_order', {
        ...ORDER,
        required_channel_confirmations: 6,
        funding_confirms_within_blocks: 144,
      }),
      t.name,
    );
  }
});

test('51-16 channel_expiry_blocks of 0 is an invalid field', async () => {
  for (const t of both) {
    assert.equal(
      invalidParams(await t.call('lsps1.create_order', { ...ORDER, channel_expiry_blocks: 0 }), t.name)
        .property,
      'channel_expiry_blocks',
    );
  }
});

test('51-21..27 a new order: unique id of at most 64 characters, mirrored fields, token "", CREATED, channel null, totals that add up', async () => {
  const ids = new Set<string>();
  for (const t of both) {
    const order = result(
      await t.call('lsps1.create_order', { ...ORDER, client_balance_sat: '5000' }),
      t.name,
    ) as Record<string, unknown> & {
      order_id: string;
      payment: Record<string, Record<string, string>>;
    };
    assert.ok(order.order_id.length <= 64 && !ids.has(order.order_id));
    ids.add(order.order_id);
    for (const k of Object.keys(ORDER))
      if (k !== 'client_balance_sat') assert.deepEqual(order[k], ORDER[k as keyof typeof ORDER], k);
    assert.equal(order.client_balance_sat, '5000');
    assert.equal(order.token, '', '51-23: an empty string when no token was given');
    assert.equal(order.order_state, 'CREATED');
    assert.equal(order.channel, null, '51-26: null until the funding transaction is published');
    const bolt11 = order.payment.bolt11 as Record<string, string>;
    assert.equal(BigInt(bolt11.order_total_sat ?? ''), BigInt(bolt11.fee_total_sat ?? '') + 5000n, '51-39');
    assert.equal(bolt11.state, 'EXPECT_PAYMENT');
  }
});

test('51-33 a token the LSP does not know is 102 with data {}', async () => {
  for (const t of both) {
    const e = error(await t.call('lsps1.create_order', { ...ORDER, token: 'promo-2026' }), 102, t.name);
    assert.deepEqual(e.data, {});
  }
});

test('51-36 an unknown order is 101 with data {}', async () => {
  for (const t of both) {
    const e = error(
      await t.call('lsps1.get_order', { order_id: '00000000-0000-4000-8000-000000000000' }),
      101,
      t.name,
    );
    assert.deepEqual(e.data, {});
  }
});

test('51-35 get_order answers the order create_order made', async () => {
  for (const t of both) {
    const created = result(await t.call('lsps1.create_order', ORDER), t.name) as { order_id: string };
    const got = result(await t.call('lsps1.get_order', { order_id: created.order_id }), t.name);
    assert.deepEqual(got, created);
  }
});

test('51-41 the bolt11 option is a hold invoice for exactly order_total_sat, at most 2048 characters', async () => {
  for (const t of both) {
    const order = result(await t.call('lsps1.create_order', ORDER), t.name) as {
      payment: { bolt11: { invoice: string; order_total_sat: string } };
    };
    const { invoice, order_total_sat } = order.payment.bolt11;
    assert.ok(invoice.length <= 2048);
    const decoded = await net.alice.lnd.decodePaymentRequest(invoice, within());
    assert.equal(decoded.amount, BigInt(order_total_sat) * 1000n);
  }
});

test('51-46 payment options the LSP does not offer are omitted, not null (no refund address: no onchain)', async () => {
  for (const t of both) {
    const order = result(await t.call('lsps1.create_order', ORDER), t.name) as {
      payment: Record<string, unknown>;
    };
    assert.ok(!('onchain' in order.payment), 'onchain omitted');
    assert.ok(!('bolt12' in order.payment), 'bolt12 omitted');
    assert.ok('bolt11' in order.payment);
  }
});

test('51-49..51 with a refund address: the onchain option, its totals, confirmations and the mirrored address', async () => {
  const refund = await net.bob.lnd.newAddress(within());
  for (const t of both) {
    const order = result(
      await t.call('lsps1.create_order', {
        ...ORDER,
        client_balance_sat: '1000',
        refund_onchain_address: refund,
      }),
      t.name,
    ) as {
      payment: { onchain: Record<string, unknown> };
    };
    const onchain = order.payment.onchain;
    assert.equal(onchain.state, 'EXPECT_PAYMENT');
    assert.ok(
      Number.isInteger(onchain.min_onchain_payment_confirmations) &&
        Number(onchain.min_onchain_payment_confirmations) > 0,
    );
    assert.ok(!('min_fee_for_0conf' in onchain) || onchain.min_fee_for_0conf === null, '51-50');
    assert.equal(
      BigInt(String(onchain.order_total_sat)),
      BigInt(String(onchain.fee_total_sat)) + 1000n,
      '51-39',
    );
    assert.equal(onchain.refund_onchain_address, refund);
    assert.match(String(onchain.address), /^bcrt1/, 'a SegWit address of the network');
  }
});

// ---------------------------------------------------------------- bLIP-52 (LSPS2)

test('52-05, 52-06 get_info takes an optional token; an unknown token is 200; other params are unrecognized', async () => {
  for (const t of both) {
    error(await t.call('lsps2.get_info', { token: 'vip' }), 200, t.name);
    assert.deepEqual(invalidParams(await t.call('lsps2.get_info', { tok: 'x' }), t.name).unrecognized, [
      'tok',
    ]);
    assert.equal(invalidParams(await t.call('lsps2.get_info', { token: 5 }), t.name).property, 'token');
  }
});

test('52-08, 52-18 each menu entry has exactly the eight fields, typed as the bLIP says', async () => {
  for (const t of both) {
    const menu = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as Record<
      string,
      unknown
    >[];
    assert.ok(menu.length >= 1);
    for (const p of menu) {
      assert.deepEqual(Object.keys(p).sort(), [
        'max_client_to_self_delay',
        'max_payment_size_msat',
        'min_fee_msat',
        'min_lifetime',
        'min_payment_size_msat',
        'promise',
        'proportional',
        'valid_until',
      ]);
      for (const k of ['min_fee_msat', 'min_payment_size_msat', 'max_payment_size_msat']) {
        assert.equal(typeof p[k], 'string', k);
        assert.match(String(p[k]), /^\d+$/, k);
      }
      for (const k of ['proportional', 'min_lifetime', 'max_client_to_self_delay'])
        assert.ok(Number.isInteger(p[k]), k);
    }
  }
});

test('52-10 valid_until is at least 10 minutes away', async () => {
  for (const t of both) {
    const [p] = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as {
      valid_until: string;
    }[];
    assert.ok(Date.parse(p?.valid_until ?? '') >= Date.now() + 10 * 60_000 - 2_000);
  }
});

test('52-16, 52-17 the promise is at most 512 bytes of printable ASCII needing no escape', async () => {
  for (const t of both) {
    const [p] = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as {
      promise: string;
    }[];
    assert.ok(p && p.promise.length <= 512);
    assert.match(p.promise, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  }
});

test('52-26 buy with any field of the entry altered is 201 (the promise no longer matches)', async () => {
  for (const t of both) {
    const [p] = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as Record<
      string,
      unknown
    >[];
    for (const change of [
      { min_fee_msat: '1' },
      { proportional: 0 },
      { max_payment_size_msat: '999999999999' },
      { promise: 'f'.repeat(64) },
    ]) {
      error(
        await t.call('lsps2.buy', { opening_fee_params: { ...p, ...change } }),
        201,
        `${t.name} ${JSON.stringify(change)}`,
      );
    }
  }
});

test('52-29, 52-31 a payment size outside the entry is refused (202 below, 203 above), and 202 when the fee is not below it', async () => {
  for (const t of both) {
    const [p] = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as Record<
      string,
      string
    >[];
    assert.ok(p);
    const below = String(BigInt(p.min_payment_size_msat ?? '0') - 1n);
    const above = String(BigInt(p.max_payment_size_msat ?? '0') + 1n);
    error(await t.call('lsps2.buy', { opening_fee_params: p, payment_size_msat: below }), 202, t.name);
    error(await t.call('lsps2.buy', { opening_fee_params: p, payment_size_msat: above }), 203, t.name);
    // The minimum size here (1,000,000 msat) is below the minimum fee: the fee would eat it.
    assert.ok(BigInt(p.min_fee_msat ?? '0') >= BigInt(p.min_payment_size_msat ?? '0'));
    error(
      await t.call('lsps2.buy', { opening_fee_params: p, payment_size_msat: p.min_payment_size_msat }),
      202,
      t.name,
    );
  }
});

test('52-32 a payment size beyond what the LSP can receive is refused with 203', async () => {
  for (const t of both) {
    const [p] = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as Record<
      string,
      string
    >[];
    // Within the entry's maximum (1,000,000,000 msat) but above the 500,000 sat the LSP can receive.
    error(await t.call('lsps2.buy', { opening_fee_params: p, payment_size_msat: '900000000' }), 203, t.name);
    result(await t.call('lsps2.buy', { opening_fee_params: p, payment_size_msat: '100000000' }), t.name);
  }
});

test('52-35, 52-36, 50-48 buy answers a JIT scid in BxTxO form, the CLTV delta, and client_trusts_lsp as configured', async () => {
  for (const t of both) {
    const [p] = result(await t.call('lsps2.get_info', {}), t.name).opening_fee_params_menu as Record<
      string,
      unknown
    >[];
    const bought = result(await t.call('lsps2.buy', { opening_fee_params: p }), t.name);
    assert.match(String(bought.jit_channel_scid), /^\d+x\d+x\d+$/);
    assert.ok(Number.isInteger(bought.lsp_cltv_expiry_delta));
    // 52-02: the LSP signals "client trusts LSP" (lsps2.clientTrustsLsp, on by default).
    assert.equal(bought.client_trusts_lsp, true, t.name);
  }
});

// ---------------------------------------------------------------- HTTP transport

test('HTTP answers exactly as peer messages do: a non-JSON body of any content type is a JSON-RPC parse error', async () => {
  for (const contentType of ['text/plain', 'application/json', 'application/octet-stream']) {
    const body = 'this is not JSON';
    const headers = signRequest({
      keyId: httpKey.keyId,
      secret: httpKey.secret,
      method: 'POST',
      path: '/lsps',
      body,
    });
    const res = await fetch(`${lsp.url}/lsps`, {
      method: 'POST',
      headers: { ...headers, 'content-type': contentType },
      body,
    });
    assert.equal(res.status, 200, contentType);
    const a = (await res.json()) as Answer;
    error(a, -32700, contentType);
    assert.equal(a.id, null);
  }
});

test('50-59 a refused client gets code 1 with data.message (peer messages: a peer over its bounds)', async () => {
  // Over HTTP who may call is the API key's business (401/403 before any JSON-RPC); over peer
  // messages a peer with too many requests in flight is refused with code 1. (Last in the file:
  // refusals carry id null, so some of the flood's requests are never answered by id.)
  const [peer] = both;
  const seen: Answer[] = [];
  for (let i = 0; i < 40; i++)
    void peer.call('lsps2.get_info', {}).then(
      (a) => seen.push(a),
      () => {},
    );
  const refused = await net.h.waitFor(() => [...seen, ...peer.unclaimed].find((a) => a.error?.code === 1), {
    what: 'a refusal of the flood',
  });
  assert.equal(refused.error?.message, 'Client rejected');
  assert.equal(typeof refused.error?.data?.message, 'string');
});
