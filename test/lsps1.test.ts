/**
 * Story: a wallet node buys a channel over LSPS1, speaking JSON-RPC in peer messages: it asks
 * what the LSP offers, orders a channel, pays the hold invoice, and sees the order complete
 * with the channel funded. An order whose channel cannot be opened fails and refunds the
 * payer; so does one whose payment came too close to expiring while its client dawdled (its
 * hold invoice's CLTV is short here, 40 blocks); a server restart while an order is held
 * resumes it. HTTP speaks the same protocol.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, parseHex32, sat } from '@blgv/core';
import { LspsRpcError } from '@blgv/lsp-client';
import type { Lsps1Info, Lsps1Order } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertEventsEndIn } from './support/events.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';

let net: Network;
let lsp: TestLsp;
let bob: LspsPeerClient;

const ORDER = lsps1Order({ lsp_balance_sat: '500000' });
/** The hold invoices' CLTV: short, so that a test can bring an HTLC close to expiring. */
const HOLD_CLTV = 40;

before(async () => {
  net = await startNetwork({ bob: { extraArgs: ['--acceptortimeout=120s'] } });
  // bob pays his orders over a channel he opened to the LSP; alice can pay for him.
  await Promise.all([
    net.h.openChannel(net.bob, net.lsp, sat(3_000_000)),
    net.h.openChannel(net.alice, net.lsp, sat(3_000_000)),
  ]);
  lsp = await startTestLsp(net, { file: { lsps1: { holdInvoiceCltv: HOLD_CLTV } } });
  bob = new LspsPeerClient(net.bob, net.lsp.pubkey);
  await net.h.waitFor(() => bob.ready, { what: "bob's LSPS client" });
});
after(async () => {
  bob?.close();
  await lsp?.stop();
  await net?.h.stop();
});

/** Polls get_order over peer messages until `done` holds. */
function waitOrder(orderId: string, done: (o: Lsps1Order) => boolean, what: string): Promise<Lsps1Order> {
  return net.h.waitFor(
    async () => {
      const r = await bob.call<Lsps1Order>('lsps1.get_order', { order_id: orderId });
      return r.result && done(r.result) ? r.result : undefined;
    },
    { what, intervalMs: 250 },
  );
}

test('get_info -> create_order -> pay the hold invoice -> COMPLETED with the channel funded', async () => {
  const protocols = await bob.call<{ protocols: number[] }>('lsps0.list_protocols', {});
  assert.deepEqual(protocols.result, { protocols: [1, 2, 5] });
  const info = await bob.call<Lsps1Info>('lsps1.get_info', {});
  assert.equal(info.result?.min_initial_lsp_balance_sat, '20000');
  assert.equal(info.result?.min_required_channel_confirmations, 1);

  const created = await bob.call<Lsps1Order>('lsps1.create_order', ORDER);
  const order = created.result;
  assert.ok(order, JSON.stringify(created.error));
  assert.equal(order.order_state, 'CREATED');
  assert.equal(order.payment.bolt11.state, 'EXPECT_PAYMENT');
  assert.equal(
    order.payment.bolt11.fee_total_sat,
    '1830',
    '1000 base + 0.1 % of 500,000 + the network fee (165 vB at the 2 sat/vB estimate)',
  );
  assert.equal(order.payment.bolt11.order_total_sat, '1830');
  assert.equal(order.channel, null);
  const decoded = await net.bob.lnd.decodePaymentRequest(order.payment.bolt11.invoice, within());
  assert.equal(decoded.amount, 1_830_000n);

  const payment = net.bob.lnd.sendPayment(
    { paymentRequest: order.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 60 },
    within(90_000),
  );
  const done = await waitOrder(order.order_id, (o) => o.order_state !== 'CREATED', 'the order to finish');
  assert.equal(done.order_state, 'COMPLETED');
  assert.equal(done.payment.bolt11.state, 'PAID');
  assert.match(done.channel?.funding_outpoint ?? '', /^[0-9a-f]{64}:\d+$/);

  const paid = await payment;
  assert.equal(paid.status, 'succeeded', 'the hold invoice was settled');
  const [txid] = (done.channel?.funding_outpoint ?? '').split(':');
  const atBob = await net.h.waitFor(
    async () => (await net.bob.lnd.pendingChannels(within())).find((c) => c.channelPoint.txid === txid),
    { what: 'the funded channel at bob' },
  );
  assert.equal(atBob.capacity, 500_000n);
  assert.equal(atBob.private, true);
  await net.h.mine(1);
  // The event log tells the order's story, one event per transition.
  assert.deepEqual(await assertEventsEndIn(lsp.admin, 'lsps1_order', order.order_id, 'completed'), [
    'awaiting_payment',
    'payment_held',
    'opening',
    'publishing',
    'settling',
    'completed',
  ]);
  await assertCleanAudit(lsp);
});

test('bad requests get the LSPS error codes', async () => {
  const tooBig = await bob.call('lsps1.create_order', { ...ORDER, lsp_balance_sat: '999999999999' });
  assert.equal(tooBig.error?.code, 100);
  assert.equal(tooBig.error?.data?.property, 'max_initial_lsp_balance_sat', 'the get_info option it exceeds');
  const zeroConf = await bob.call('lsps1.create_order', { ...ORDER, required_channel_confirmations: 0 });
  assert.equal(zeroConf.error?.code, 100);
  assert.equal(zeroConf.error?.data?.property, 'min_required_channel_confirmations');
  const token = await bob.call('lsps1.create_order', { ...ORDER, token: 'nope' });
  assert.equal(token.error?.code, 102);
  const notFound = await bob.call('lsps1.get_order', { order_id: '00000000-0000-4000-8000-000000000000' });
  assert.equal(notFound.error?.code, 101);
  const badParams = await bob.call('lsps1.create_order', { ...ORDER, lsp_balance_sat: 500000 });
  assert.equal(badParams.error?.code, -32602);
  const unknown = await bob.call('lsps9.nope', {});
  assert.equal(unknown.error?.code, -32601);
  const positional = await bob.send('{"jsonrpc":"2.0","method":"lsps1.get_info","params":[],"id":"pos1"}');
  assert.equal(positional.error?.code, -32602);
  await assertCleanAudit(lsp);
});

test('an order whose channel cannot be opened ends FAILED and the payer gets the money back', async () => {
  const stop = new AbortController();
  let refusing = false;
  await net.bob.lnd.acceptChannels(() => ({ accept: false, error: 'no more channels' }), {
    signal: stop.signal,
    onConnected: () => (refusing = true),
  });
  await net.h.waitFor(() => refusing, { what: "bob's refusing acceptor" });
  try {
    const order = (await bob.call<Lsps1Order>('lsps1.create_order', ORDER)).result;
    assert.ok(order);
    const payment = await net.bob.lnd.sendPayment(
      { paymentRequest: order.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 60 },
      within(90_000),
    );
    assert.equal(payment.status, 'failed', "bob's payment came back");
    const failed = await waitOrder(order.order_id, (o) => o.order_state === 'FAILED', 'the order to fail');
    assert.equal(failed.payment.bolt11.state, 'REFUNDED');
    assert.equal(failed.channel, null);
    const { paymentHash } = await net.bob.lnd.decodePaymentRequest(order.payment.bolt11.invoice, within());
    const invoice = await net.lsp.lnd.lookupInvoice(paymentHash, within());
    assert.equal(invoice.state, 'canceled');
  } finally {
    stop.abort();
  }
  await assertCleanAudit(lsp);
});

test('an order whose payment came too close to expiring is not committed to: the payer is refunded', async () => {
  // bob thinks the channel over while blocks come.
  const decide = Promise.withResolvers<void>();
  const stop = new AbortController();
  let thinking = false;
  let asked = false;
  await net.bob.lnd.acceptChannels(
    async () => {
      asked = true;
      await decide.promise;
      return { accept: true };
    },
    { signal: stop.signal, onConnected: () => (thinking = true) },
  );
  await net.h.waitFor(() => thinking, { what: "bob's acceptor" });
  try {
    const order = (await bob.call<Lsps1Order>('lsps1.create_order', ORDER)).result;
    assert.ok(order);
    const decoded = await net.bob.lnd.decodePaymentRequest(order.payment.bolt11.invoice, within());
    assert.equal(decoded.cltvExpiry, HOLD_CLTV, 'the configured CLTV');
    const payment = net.bob.lnd.sendPayment(
      { paymentRequest: order.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 120 },
      within(180_000),
    );
    await net.h.waitFor(() => asked, { what: 'the LSP to propose the channel' });
    const held = await net.lsp.lnd.lookupInvoice(decoded.paymentHash, within());
    assert.equal(held.state, 'accepted');
    const [htlc] = held.htlcs;
    assert.ok(htlc);
    const { blockHeight } = await net.lsp.lnd.getInfo(within());
    assert.ok(htlc.expiryHeight >= blockHeight + HOLD_CLTV, 'the HTLC expires at least the CLTV away');

    // 22 blocks left: LND (holdexpirydelta 18) still holds the HTLC, but committing needs more
    // than 18 + 6, so the LSP must not fund the channel.
    await net.h.mine(htlc.expiryHeight - blockHeight - 22);
    assert.equal((await net.lsp.lnd.lookupInvoice(decoded.paymentHash, within())).state, 'accepted');
    decide.resolve();
    assert.equal((await payment).status, 'failed', "bob's payment comes back");
    const failed = await waitOrder(order.order_id, (o) => o.order_state === 'FAILED', 'the order to fail');
    assert.equal(failed.payment.bolt11.state, 'REFUNDED');
    assert.equal(failed.channel, null);
    assert.deepEqual(await assertEventsEndIn(lsp.admin, 'lsps1_order', order.order_id, 'failed'), [
      'awaiting_payment',
      'payment_held',
      'opening',
      'refunding',
      'failed',
    ]);
    assert.equal((await net.lsp.lnd.lookupInvoice(decoded.paymentHash, within())).state, 'canceled');
  } finally {
    decide.resolve();
    stop.abort();
  }
  await assertCleanAudit(lsp);
});

test('a server restart while an order is held resumes it to COMPLETED', async () => {
  const order = (await bob.call<Lsps1Order>('lsps1.create_order', ORDER)).result;
  assert.ok(order);
  const hash = parseHex32(
    (await net.bob.lnd.decodePaymentRequest(order.payment.bolt11.invoice, within())).paymentHash,
  );

  // bob (the client) goes offline and alice pays for his order: the LSP holds the payment but
  // cannot open the channel yet, so the order waits at HOLD.
  bob.close();
  await net.bob.stop();
  const payment = net.alice.lnd.sendPayment(
    { paymentRequest: order.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 120 },
    within(180_000),
  );
  await net.h.waitFor(async () => (await net.lsp.lnd.lookupInvoice(hash, within())).state === 'accepted', {
    what: 'the payment to be held',
  });
  await lsp.restart();
  const held = await net.lsp.lnd.lookupInvoice(hash, within());
  assert.equal(held.state, 'accepted', 'still held across the restart');

  await net.bob.start();
  bob = new LspsPeerClient(net.bob, net.lsp.pubkey);
  await net.h.waitFor(() => bob.ready, { what: "bob's LSPS client after restart" });
  await net.h.connect(net.bob, net.lsp);
  const done = await waitOrder(
    order.order_id,
    (o) => o.order_state !== 'CREATED',
    'the resumed order to finish',
  );
  assert.equal(done.order_state, 'COMPLETED');
  assert.equal((await net.lsp.lnd.lookupInvoice(hash, within())).state, 'settled');
  assert.equal(
    (await payment).status,
    'succeeded',
    "alice's payment went through once the channel was funded",
  );
  await assertCleanAudit(lsp);
});

test('LSPS1 over HTTP: the same methods, signed, for a tenant naming its client node', async () => {
  const { client } = await lsp.newTenant('wallet-http');
  assert.deepEqual(await client.lsps0.listProtocols(), { protocols: [1, 2, 5] });
  assert.equal((await client.lsps1.getInfo()).max_initial_lsp_balance_sat, '16777215');
  await assert.rejects(
    client.lsps1.createOrder(ORDER),
    (e) => e instanceof LspsRpcError && e.code === -32602,
  );
  // A host the LSP could never reach is refused before anything is made (no order, no invoice).
  await assert.rejects(
    client.lsps1.createOrder({
      ...ORDER,
      client_node_pubkey: net.alice.pubkey,
      client_node_host: 'not a host',
    }),
    (e) =>
      e instanceof LspsRpcError &&
      e.code === -32602 &&
      (e.data as { property?: string } | undefined)?.property === 'client_node_host',
  );
  const order = await client.lsps1.createOrder({
    ...ORDER,
    client_node_pubkey: net.alice.pubkey,
    client_node_host: net.alice.host,
  });
  assert.equal(order.order_state, 'CREATED');
  assert.equal((await client.lsps1.getOrder(order.order_id)).order_id, order.order_id);
  await assert.rejects(
    client.lsps1.getOrder('00000000-0000-4000-8000-000000000000'),
    (e) => e instanceof LspsRpcError && e.code === 101,
  );
  // bob's orders are not the tenant's.
  const other = await lsp.newTenant('other-http');
  await assert.rejects(
    other.client.lsps1.getOrder(order.order_id),
    (e) => e instanceof LspsRpcError && e.code === 101,
  );
  await assertCleanAudit(lsp);
});

test('a flooding or oversized peer is bounded and told so', async () => {
  const before = bob.unmatched.length;
  const answers = await Promise.all(
    Array.from({ length: 40 }, () =>
      bob.call('lsps0.list_protocols', {}, 3_000).catch((): { result?: unknown } => ({})),
    ),
  );
  const ok = answers.filter((a) => a.result !== undefined).length;
  assert.ok(ok >= 1, 'some requests are served');
  assert.ok(ok < 40, `the rest are refused (${ok} served)`);
  // Refusals are sent before a request is read, so they carry id null.
  await net.h.waitFor(() => bob.unmatched.length - before >= 40 - ok, {
    what: 'a refusal for every unserved request',
  });
  assert.ok(
    bob.unmatched
      .slice(before)
      .every((a) => a.error?.code === 1 && /too many requests/.test(String(a.error.data?.message))),
  );

  const big = JSON.stringify({
    jsonrpc: '2.0',
    method: 'lsps0.list_protocols',
    params: { pad: 'x'.repeat(65_100) },
    id: 'big1',
  });
  const refusedBefore = bob.unmatched.length;
  await assert.rejects(bob.send(big, 3_000), /no LSPS answer/, 'an oversized request is not served');
  assert.match(String(bob.unmatched[refusedBefore]?.error?.data?.message), /larger than 65000 bytes/);
  // The bucket refills: the peer is served again.
  await net.h.waitFor(async () => (await bob.call('lsps0.list_protocols', {})).result !== undefined, {
    what: 'the peer to be served again',
    intervalMs: 500,
  });
  await assertCleanAudit(lsp);
});
