/**
 * Story: a mobile wallet (carol, an `lnd-lsps2-client` node) registers an LSPS5 webhook over
 * peer messages, and its vendor registers one for it over signed HTTP. Each webhook hears
 * `lsps5.webhook_registered` first. A JIT payment while carol is online is just paid: no
 * notification. Then carol goes to sleep (her node stops) and another JIT payment arrives: both
 * webhooks get `lsps5.payment_incoming`, the LSP holds the payment, carol wakes up, connects, and
 * the payment completes through a new JIT channel. Every notification is checked as a delivery
 * service would: a JSON-RPC notification, the bLIP-55 timestamp format, and a signature over
 * the exact string that alice's LND (`VerifyMessage`) recovers to the LSP's node key. Every
 * bLIP-55 error code is produced by a request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Msat, msat, sat } from '@blgv/core';
import { lsps2OpeningFee } from '@blgv/lsp-client';
import {
  LSPS5_TIMESTAMP,
  type Lsps2BuyResult,
  type Lsps2Info,
  lsps5SignedMessage,
  type SetWebhookResult,
} from '@blgv/protocol';
import {
  JitWallet,
  jitInvoice,
  type Network,
  startNetwork,
  startTestLsp,
  type TestLsp,
  within,
} from '@blgv/testkit';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lspsTransports, type Transport } from './support/lsps-transports.ts';
import {
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support/webhook-receiver.ts';

let net: Network;
let server: TestLsp;
let carol: JitWallet;
let rpc: LspsPeerClient;
let http: Transport;
let peer: Transport;
let receiver: WebhookReceiver;
let base: string;
const streams = new AbortController();

const PHONE = '/carol/phone?token=t1';
const VENDOR = '/vendor/carol';

before(async () => {
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp } = net;
  receiver = await startWebhookReceiver();
  base = receiver.base;
  server = await startTestLsp(net, {
    file: {
      fees: { channelOpening: { baseFee: 100, capacityFeePpm: 5000 } },
      webhooks: { allowPrivateTargets: true, caCertPath: receiver.certPath },
      lsps5: { maxWebhooks: 2, intervalMs: 100, retryBaseMs: 200, wakeSeconds: 120 },
    },
  });
  const channel = await h.openChannel(alice, lsp, sat(1_000_000));
  await net.h.waitCanSend(alice, lsp, channel.scid, msat(200_000_000n));
  carol = await JitWallet.start(h, await h.newNode('carol', { lsps2Client: true }), lsp, streams.signal);
  rpc = await LspsPeerClient.connect(h, carol.node, lsp.pubkey);
  const { keyId, secret } = await server.newTenant('wallet-vendor');
  [peer, http] = await lspsTransports({
    node: carol.node,
    lsp: lsp.pubkey,
    url: server.url,
    key: { keyId, secret },
    signal: streams.signal,
  });
});

after(async () => {
  streams.abort();
  rpc?.close();
  await server?.stop();
  await receiver?.close();
  await net?.h.stop();
});

/** What reached `path`, as notification methods, in arrival order. */
function methodsAt(path: string): string[] {
  return receiver.received
    .filter((r) => r.path === path)
    .map((r) => (JSON.parse(r.body) as { method: string }).method);
}

/** Waits until `path` has received `method` (`count` times) and returns the last such POST. */
async function waitNotified(path: string, method: string, count = 1): Promise<ReceivedRequest> {
  return net.h.waitFor(
    () => {
      const hits = receiver.received.filter(
        (r) => r.path === path && (JSON.parse(r.body) as { method: string }).method === method,
      );
      return hits.length >= count ? hits.at(-1) : undefined;
    },
    { what: `${method} at ${path}` },
  );
}

/**
 * Checks a notification as a delivery service must (bLIP-55): a POST, a JSON-RPC 2.0
 * notification object (no id) of `method`, both headers in their formats, and a signature that
 * another node's LND recovers to the LSP's key over the exact timestamp header and body received.
 */
async function assertSignedNotification(r: ReceivedRequest, method: string): Promise<void> {
  assert.equal(r.method, 'POST');
  assert.equal(r.body, `{"jsonrpc":"2.0","method":"${method}","params":{}}`, 'compact, no id');
  const timestamp = r.headers['x-lsps5-timestamp'] ?? '';
  const signature = r.headers['x-lsps5-signature'] ?? '';
  assert.match(timestamp, LSPS5_TIMESTAMP, 'YYYY-MM-DDThh:mm:ss.uuuZ');
  assert.match(signature, /^[ybndrfg8ejkmcpqxot1uwisza345h769]{104}$/, 'zbase32, 65 bytes');
  const { alice, lsp } = net;
  const signed = new TextEncoder().encode(lsps5SignedMessage(timestamp, r.body));
  const verified = await alice.lnd.verifyMessage(signed, signature, within());
  assert.equal(verified.pubkey, lsp.pubkey, "the signature recovers to the LSP's node key");
  assert.equal(verified.valid, true, "alice knows the LSP's node: LND calls the signature valid");
  // The same signature over anything else (here, the body re-serialized with a space) is not the LSP's.
  const altered = new TextEncoder().encode(lsps5SignedMessage(timestamp, r.body.replace(':', ': ')));
  assert.notEqual((await alice.lnd.verifyMessage(altered, signature, within())).pubkey, lsp.pubkey);
}

test('a wallet registers a webhook over peer messages once it has bought from the LSP: webhook_registered, signed; the same again is no_change', async () => {
  const protocols = await rpc.call<{ protocols: number[] }>('lsps0.list_protocols', {});
  assert.deepEqual(protocols.result?.protocols, [1, 2, 5]);

  // No channel with the LSP and no order yet: refused (lsps5.requireRelationship), after validation.
  const early = { app_name: 'carol-phone', webhook: base + PHONE };
  const bad = await rpc.call('lsps5.set_webhook', { ...early, webhook: 'not a url' });
  assert.equal(bad.error?.code, 501, 'a bad request gets its own error first');
  const stranger = await rpc.call('lsps5.set_webhook', early);
  assert.equal(stranger.error?.code, 1, JSON.stringify(stranger));
  assert.match(String(stranger.error?.data?.message), /channel with this LSP or an LSPS1 order or LSPS2 buy/);
  assert.deepEqual((await rpc.call('lsps5.list_webhooks', {})).result, { app_names: [], max_webhooks: 2 });
  // An LSPS2 buy (no payment yet) is business with the LSP.
  const info = await rpc.call<Lsps2Info>('lsps2.get_info', {});
  const params = info.result?.opening_fee_params_menu[0];
  assert.ok(params, JSON.stringify(info));
  assert.ok((await rpc.call('lsps2.buy', { opening_fee_params: params })).result);

  const set = await rpc.call<SetWebhookResult>('lsps5.set_webhook', {
    app_name: 'carol-phone',
    webhook: base + PHONE,
  });
  assert.deepEqual(set.result, { num_webhooks: 1, max_webhooks: 2, no_change: false }, JSON.stringify(set));
  await assertSignedNotification(
    await waitNotified(PHONE, 'lsps5.webhook_registered'),
    'lsps5.webhook_registered',
  );

  const again = await rpc.call<SetWebhookResult>('lsps5.set_webhook', {
    app_name: 'carol-phone',
    webhook: base + PHONE,
  });
  assert.deepEqual(again.result, { num_webhooks: 1, max_webhooks: 2, no_change: true });
  const list = await rpc.call('lsps5.list_webhooks', {});
  assert.deepEqual(list.result, { app_names: ['carol-phone'], max_webhooks: 2 });
});

test("the wallet's vendor registers one for carol over HTTP; each registrant sees only its own", async () => {
  // A tenant may only hear of nodes it serves: none yet, so it is refused (LSPS0 client_rejected).
  const stranger = await http.call('lsps5.set_webhook', { app_name: 'carol-phone', webhook: base + VENDOR });
  assert.equal(stranger.error?.code, 1, JSON.stringify(stranger));
  assert.match(String(stranger.error?.data?.message), /nodes it serves/);
  // The vendor buys carol's JIT channel parameters over HTTP: now it serves her.
  const info = (await http.call('lsps2.get_info', {})).result as Lsps2Info | undefined;
  const params = info?.opening_fee_params_menu[0];
  assert.ok(params, JSON.stringify(info));
  const bought = await http.call('lsps2.buy', { opening_fee_params: params });
  assert.ok(bought.result, JSON.stringify(bought.error));

  const set = await http.call('lsps5.set_webhook', { app_name: 'carol-phone', webhook: base + VENDOR });
  assert.deepEqual(set.result, { num_webhooks: 1, max_webhooks: 2, no_change: false }, JSON.stringify(set));
  await assertSignedNotification(
    await waitNotified(VENDOR, 'lsps5.webhook_registered'),
    'lsps5.webhook_registered',
  );
  assert.deepEqual((await http.call('lsps5.list_webhooks', {})).result, {
    app_names: ['carol-phone'],
    max_webhooks: 2,
  });
  // Over HTTP the tenant must say which client node it means.
  const unnamed = await http.send(
    JSON.stringify({ jsonrpc: '2.0', method: 'lsps5.list_webhooks', params: {}, id: 'n1' }),
  );
  assert.equal(unnamed.error?.code, -32602);
  assert.equal(unnamed.error?.data?.property, 'client_node_pubkey');
});

test('every bLIP-55 error: 500 too_long, 501 url_parse_error, 502 unsupported_protocol, 503 too_many_webhooks, 1010', async () => {
  for (const t of [peer, http]) {
    const set = (app_name: string, webhook: string) => t.call('lsps5.set_webhook', { app_name, webhook });
    const longName = await set('x'.repeat(65), `${base}/x`);
    assert.equal(longName.error?.code, 500, `${t.name}: a 65-byte app_name`);
    assert.equal(longName.error?.data?.property, 'app_name');
    const longUrl = await set('x', `${base}/${'a'.repeat(1025 - base.length)}`);
    assert.equal(longUrl.error?.code, 500, `${t.name}: a 1025-character webhook`);
    assert.equal((await set('x', 'not a url')).error?.code, 501, t.name);
    assert.equal((await set('x', `http://127.0.0.1:${new URL(base).port}/push`)).error?.code, 502, t.name);

    // One webhook is there already (carol-phone); a second fits, a third does not.
    const second = await set('carol-tablet', `${base}/tablet/${t.name.replace(' ', '-')}`);
    assert.deepEqual(second.result, { num_webhooks: 2, max_webhooks: 2, no_change: false }, t.name);
    const third = await set('carol-watch', `${base}/watch`);
    assert.equal(third.error?.code, 503, t.name);
    assert.deepEqual(third.error?.data, { max_webhooks: 2 }, `${t.name}: data.max_webhooks`);
    // Replacing an existing app_name's webhook is not an insert: it never hits the limit.
    const replaced = await set('carol-tablet', `${base}/tablet/${t.name.replace(' ', '-')}/v2`);
    assert.deepEqual(replaced.result, { num_webhooks: 2, max_webhooks: 2, no_change: false }, t.name);

    assert.deepEqual((await t.call('lsps5.remove_webhook', { app_name: 'carol-tablet' })).result, {}, t.name);
    const gone = await t.call('lsps5.remove_webhook', { app_name: 'carol-tablet' });
    assert.equal(gone.error?.code, 1010, `${t.name}: app_name_not_found`);
    assert.deepEqual((await t.call('lsps5.list_webhooks', {})).result?.app_names, ['carol-phone'], t.name);
  }
});

/** A JIT scid bought over peer messages and carol's invoice of `amount` through it. */
async function buyJit(amount: Msat) {
  const info = await rpc.call<Lsps2Info>('lsps2.get_info', {});
  const params = info.result?.opening_fee_params_menu[0];
  assert.ok(params, JSON.stringify(info));
  const fee = msat(lsps2OpeningFee(params, amount) ?? -1n);
  const bought = await rpc.call<Lsps2BuyResult>('lsps2.buy', {
    opening_fee_params: params,
    payment_size_msat: amount.toString(),
  });
  assert.ok(bought.result, JSON.stringify(bought.error));
  return { bought: bought.result, invoice: await carol.invoice(bought.result, amount, fee) };
}

/** Stops carol's node and waits until the LSP has seen her go; returns when. */
async function fallAsleep(): Promise<number> {
  const { h, lsp } = net;
  await carol.node.stop();
  await h.waitFor(
    async () => !(await lsp.lnd.listPeers(within())).some((p) => p.pubkey === carol.node.pubkey),
    {
      what: 'the LSP to see carol gone',
    },
  );
  return Date.now();
}

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x));

test('carol asleep, a JIT payment arrives: payment_incoming to both webhooks; she wakes up and the held payment completes', async () => {
  const { h, alice, lsp } = net;
  const { invoice } = await buyJit(msat(60_000_000n));
  const connections = carol.connections;
  const asleepAt = await fallAsleep();
  const paying = alice.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 180 },
    within(240_000),
  );

  // Both of carol's webhooks are told, with a signed notification made after she slept.
  for (const path of [PHONE, VENDOR]) {
    const r = await waitNotified(path, 'lsps5.payment_incoming');
    await assertSignedNotification(r, 'lsps5.payment_incoming');
    assert.ok(Date.parse(r.headers['x-lsps5-timestamp'] ?? '') >= asleepAt, 'sent while she slept');
  }

  // She wakes up (her node starts, her LSPS2 hooks reconnect) and connects: the held payment completes.
  await carol.node.start();
  await h.waitFor(() => carol.connections >= connections + 2, { what: "carol's LSPS2 hooks back" });
  await carol.node.lnd.connectPeer(lsp.pubkey, lsp.host, within());
  const paid = await paying;
  assert.equal(paid.status, 'succeeded', show(paid));
  assert.equal((await carol.node.lnd.lookupInvoice(invoice.paymentHash, within())).state, 'settled');
  assert.deepEqual(methodsAt(PHONE), ['lsps5.webhook_registered', 'lsps5.payment_incoming']);
  assert.deepEqual(methodsAt(VENDOR), ['lsps5.webhook_registered', 'lsps5.payment_incoming']);
});

test('carol online, a JIT payment notifies nobody; asleep again, a payment to her channel does (the cooldown reset when she went offline)', async () => {
  const { alice } = net;
  // The last JIT channel's funding (published once carol settled: the LSP's default,
  // client_trusts_lsp) confirms: the LSP's wallet funds from confirmed coins.
  const [last] = await carol.node.lnd.listChannels(within());
  assert.ok(last);
  await net.h.waitFor(
    async () =>
      (await net.h.btcd.rpc<string[]>('getrawmempool', [])).includes(last.channelPoint.txid)
        ? true
        : undefined,
    { what: "the last JIT channel's funding in the mempool" },
  );
  await net.h.mine(1);
  const { bought, invoice } = await buyJit(msat(50_000_000n));
  const paid = await alice.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 60 },
    within(90_000),
  );
  assert.equal(paid.status, 'succeeded', show(paid));

  // The JIT scid now leads to her channel: an invoice through it pays over that channel.
  const later = await jitInvoice(carol.node, net.lsp.pubkey, bought, msat(20_000_000n));
  const asleepAt = await fallAsleep();
  const paying = alice.lnd.sendPayment(
    { paymentRequest: later.paymentRequest, feeLimit: msat(0), timeoutSeconds: 30 },
    within(90_000),
  );
  const r = await waitNotified(PHONE, 'lsps5.payment_incoming', 2);
  await assertSignedNotification(r, 'lsps5.payment_incoming');
  assert.ok(Date.parse(r.headers['x-lsps5-timestamp'] ?? '') >= asleepAt, 'sent while she slept');
  await waitNotified(VENDOR, 'lsps5.payment_incoming', 2);
  assert.equal((await paying).status, 'failed', 'nobody took it: carol sleeps and the LSP does not hold it');
  // Nothing for the payment made while she was online: one payment_incoming per sleep.
  const expected = ['lsps5.webhook_registered', 'lsps5.payment_incoming', 'lsps5.payment_incoming'];
  assert.deepEqual(methodsAt(PHONE), expected);
  assert.deepEqual(methodsAt(VENDOR), expected);
});
