/**
 * Story: a tenant tops up its account over Lightning, buys channels to client nodes, and
 * follows them from pending to open; the ledger shows exactly the quoted price, item by item
 * (opening fee, push, network fee). Batching, idempotent retries and refunds on failure
 * included. Everything goes through the SDK, and every test ends with a clean audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseHex32, parsePubkey, sat } from '@blgv/core';
import type { LSPClient, LspApiError } from '@blgv/lsp-client';
import {
  type Network,
  payTopup,
  startNetwork,
  startTestLsp,
  type TestLsp,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { statesOf } from './support/events.ts';

let net: Network;
let lsp: TestLsp;
let tenant: LSPClient;

before(async () => {
  net = await startNetwork();
  // alice pays the top-up invoices: she needs a channel to the LSP.
  await net.h.openChannel(net.alice, net.lsp, sat(3_000_000));
  lsp = await startTestLsp(net, { postgres: true });
  tenant = (await lsp.newTenant('wallet-co')).client;
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

test("the spec's mobile-wallet channel: 60,000 sat do not buy it (402 for the shortfall); paid in full it is charged fee + push + network fee, exactly", async () => {
  const { h, bob } = net;
  await topUp(net.h, net.alice, tenant, 60_000);

  const fees = await tenant.getFees();
  assert.deepEqual(fees.channelOpening, { baseFee: 1000, capacityFeePpm: 1000 });
  // The schedule explains what else a channel costs: the push, and the network fee now.
  assert.match(fees.channelPush, /sat for sat/);
  assert.deepEqual(fees.network, { channelVbytes: 165, feeRate: 2, channelFee: 330 });
  const order = { channelSize: 1_000_000, pushAmount: 100_000, feeRate: 5 };
  const quote = await tenant.quoteChannel(order);
  assert.deepEqual(quote.fee, { baseFee: 1000, capacityFee: 1000, total: 2000 });
  assert.deepEqual(quote.networkFee, { feeRate: 5, vbytes: 165, total: 825 });
  assert.equal(quote.pushAmount, 100_000);
  assert.equal(quote.total, 2000 + 100_000 + 825, 'the quote itemises everything the LSP gives away');
  assert.ok(quote.estimatedConfirmation.blocks >= 1);

  const request = { ...order, clientPubkey: bob.pubkey, clientHost: bob.host };
  const refusal = await tenant.requestChannel(request).then(
    () => assert.fail('a 60,000 sat balance must not buy a 102,825 sat channel'),
    (e: Error & { status?: number; code?: string; details?: Record<string, unknown> }) => e,
  );
  assert.equal(refusal.status, 402);
  assert.equal(refusal.code, 'payment_required');
  const topup = refusal.details?.topup as { paymentRequest: string; amount: number };
  assert.equal(refusal.details?.required, quote.total);
  assert.equal(topup.amount, quote.total - 60_000, 'the top-up invoice is for the shortfall');
  assert.deepEqual(
    (await tenant.getLedger()).entries.map((e) => e.kind),
    ['topup'],
    'nothing was charged',
  );
  await payTopup(h, net.alice, tenant, topup.paymentRequest, topup.amount);

  const channel = await tenant.requestChannel(request);
  assert.equal(channel.status, 'pending');
  assert.match(channel.fundingTxid ?? '', /^[0-9a-f]{64}$/);
  assert.equal(channel.capacity, 1_000_000);
  assert.equal(channel.fee, 2000);
  assert.equal(channel.networkFee, 825);
  assert.equal(channel.charged, quote.total, 'the charge equals the quote');
  assert.equal((await tenant.getChannelStatus(channel.channelId)).status, 'pending');

  await h.mine(1);
  const open = await h.waitFor(
    async () => {
      const s = await tenant.getChannelStatus(channel.channelId);
      return s.status === 'open' ? s : undefined;
    },
    { what: 'the channel to be reported open' },
  );
  assert.equal(open.fundingTxid, channel.fundingTxid);

  const atBob = (await bob.lnd.listChannels(within())).find(
    (c) => c.channelPoint.txid === channel.fundingTxid,
  );
  assert.ok(atBob, "bob's LND shows the channel");
  assert.equal(atBob.capacity, 1_000_000n);
  assert.equal(atBob.localBalance, 100_000n, 'bob holds the pushed amount');

  const ledger = await tenant.getLedger();
  assert.deepEqual(
    ledger.entries.map((e) => [e.kind, e.amount]),
    [
      ['channel_network_fee', -825],
      ['channel_push', -100_000],
      ['channel_fee', -2000],
      ['topup', topup.amount],
      ['topup', 60_000],
    ],
  );
  assert.equal((await tenant.getBalance()).balance, 0);
  await assertCleanAudit(lsp);

  // The LSP closes the channel: the status follows to closed.
  await net.lsp.lnd.closeChannel(
    { channelPoint: { txid: parseHex32(channel.fundingTxid ?? ''), outputIndex: channel.outputIndex ?? 0 } },
    within(),
  );
  await h.mine(1);
  await h.waitFor(async () => (await tenant.getChannelStatus(channel.channelId)).status === 'closed', {
    what: 'the channel to be reported closed',
  });
  // The event log tells the same story, one event per transition, in order.
  assert.deepEqual(await statesOf(tenant, 'channel_request', channel.channelId), [
    'queued',
    'opening',
    'publishing',
    'pending',
    'open',
    'closed',
  ]);
  assert.deepEqual(
    await statesOf(tenant, 'ledger_entry'),
    ['topup', 'topup', 'channel_fee', 'channel_push', 'channel_network_fee'],
    'one event per ledger entry, in the order they were written',
  );
  await assertCleanAudit(lsp);
});

test('ten requests sent together share funding transactions, each with its own push and fee', async () => {
  const { h, bob, alice } = net;
  const { client } = await lsp.newTenant('exchange-co');
  await topUp(net.h, net.alice, client, 40_000);
  const orders = Array.from({ length: 10 }, (_, i) => ({
    clientPubkey: i % 2 === 0 ? bob.pubkey : alice.pubkey,
    channelSize: 100_000 + i * 1000,
    pushAmount: i * 500,
    feeRate: 3,
  }));
  const results = await Promise.all(orders.map((o) => client.requestChannel(o)));
  const txids = new Set(results.map((r) => r.fundingTxid));
  assert.ok(txids.size < 10, `10 channels in ${txids.size} funding transactions`);
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 'pending');
    assert.equal(r.capacity, orders[i]?.channelSize);
    assert.equal(r.pushAmount, orders[i]?.pushAmount);
    assert.equal(r.fee, 1000 + Math.ceil((orders[i]?.channelSize ?? 0) / 1000));
    assert.equal(r.networkFee, 3 * 165);
    assert.equal(r.charged, r.fee + r.pushAmount + r.networkFee);
  }
  await h.mine(1);
  for (const r of results) {
    const peer = r.clientPubkey === bob.pubkey ? bob : alice;
    const c = await h.waitFor(
      async () =>
        (await peer.lnd.listChannels(within())).find(
          (x) => x.channelPoint.txid === r.fundingTxid && x.channelPoint.outputIndex === r.outputIndex,
        ),
      { what: `channel ${r.channelId} at ${peer.name}` },
    );
    assert.equal(c.capacity, BigInt(r.capacity));
    assert.equal(c.localBalance, BigInt(r.pushAmount), 'the client got exactly its push');
  }
  const charged = results.reduce((s, r) => s + r.charged, 0);
  assert.equal((await client.getBalance()).balance, 40_000 - charged);
  await assertCleanAudit(lsp);
});

test('a retried request with the same idempotency key opens one channel', async () => {
  const { bob } = net;
  const { client } = await lsp.newTenant('retry-co');
  const order = { clientPubkey: bob.pubkey, channelSize: 50_000, pushAmount: 0 };
  // No fee rate: the LSP's estimate is quoted, and charged.
  const quote = await client.quoteChannel({ channelSize: 50_000 });
  await topUp(net.h, net.alice, client, quote.total);
  const [a, b] = await Promise.all([
    client.requestChannel(order, { idempotencyKey: 'order-42' }),
    client.requestChannel(order, { idempotencyKey: 'order-42' }),
  ]);
  const c = await client.requestChannel(order, { idempotencyKey: 'order-42' });
  assert.equal(a.channelId, b.channelId);
  assert.equal(a.channelId, c.channelId);
  // The same key with another body is refused: it is not the request it names.
  const reused = await client
    .requestChannel({ ...order, channelSize: 60_000 }, { idempotencyKey: 'order-42' })
    .then(
      () => assert.fail('a key reused with another body must be refused'),
      (e: LspApiError) => e,
    );
  assert.equal(reused.status, 422);
  assert.equal(reused.code, 'idempotency_key_reused');
  assert.equal(reused.details?.channelId, a.channelId);
  const fees = (await client.getLedger()).entries.filter((e) => e.kind === 'channel_fee');
  assert.equal(fees.length, 1, 'charged once');
  assert.equal(a.charged, quote.total);
  assert.equal((await client.getBalance()).balance, 0);
  await assertCleanAudit(lsp);
});

test('without balance: 402 with a top-up invoice, nothing charged; a failed open is refunded', async () => {
  const { bob } = net;
  await net.h.mine(1); // confirm the change of the previous funding so the LSP has coins to spend
  const { client } = await lsp.newTenant('broke-co');
  await assert.rejects(
    client.requestChannel({ clientPubkey: bob.pubkey, channelSize: 100_000, clientHost: bob.host }),
    (e: Error & { status?: number; code?: string; details?: Record<string, unknown> }) => {
      assert.equal(e.status, 402);
      assert.equal(e.code, 'payment_required');
      assert.match(String((e.details?.topup as { paymentRequest?: string })?.paymentRequest), /^lnbcrt/);
      return true;
    },
  );
  assert.deepEqual((await client.getLedger()).entries, []);

  // A client node that is not connected and gives no address: refused before any charge.
  await topUp(net.h, net.alice, client, 5_000);
  const order = { clientPubkey: bob.pubkey, channelSize: 100_000, feeRate: 2 };
  const stranger = parsePubkey(`02${'11'.repeat(32)}`);
  await assert.rejects(
    client.requestChannel({ ...order, clientPubkey: stranger }),
    (e: Error & { status?: number; code?: string }) => e.status === 422 && e.code === 'peer_unreachable',
  );
  // An address where nothing listens: refused with a code saying why, not LND's words.
  const offline = parsePubkey('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
  const dial = await client
    .requestChannel({ ...order, clientPubkey: offline, clientHost: '127.0.0.1:1' })
    .then(
      () => assert.fail('nothing listens on port 1'),
      (e: LspApiError) => e,
    );
  assert.equal(dial.status, 422);
  assert.equal(dial.code, 'peer_unreachable');
  assert.deepEqual(dial.details, { field: 'clientHost', reason: 'connection_refused' });
  assert.doesNotMatch(dial.message, /dial tcp|rpc error/, 'no LND text');
  assert.equal((await client.getBalance()).balance, 5_000);

  // bob refuses channels while this acceptor runs: LND fails the open, the fee comes back.
  const stop = new AbortController();
  let acceptorUp = false;
  await bob.lnd.acceptChannels(() => ({ accept: false, error: 'not today' }), {
    signal: stop.signal,
    onConnected: () => (acceptorUp = true),
  });
  await net.h.waitFor(() => acceptorUp, { what: "bob's refusing acceptor" });
  try {
    await assert.rejects(
      client.requestChannel(order),
      (e: Error & { status?: number; code?: string }) => e.status === 422 && e.code === 'lightning_rejected',
    );
  } finally {
    stop.abort();
  }
  assert.equal((await client.getBalance()).balance, 5_000);
  assert.deepEqual((await client.getLedger()).entries.map((e) => [e.kind, e.amount]).slice(0, 3), [
    ['channel_refund', 1100 + 330],
    ['channel_network_fee', -330],
    ['channel_fee', -1100],
  ]);
  await assertCleanAudit(lsp);
});

test('one refused channel in a batch costs the others nothing', async () => {
  const { h, alice, bob } = net;
  await h.mine(1);
  const { client } = await lsp.newTenant('mixed-co');
  await topUp(net.h, net.alice, client, 10_000);
  const stop = new AbortController();
  let refusing = false;
  await bob.lnd.acceptChannels(() => ({ accept: false, error: 'bob is full' }), {
    signal: stop.signal,
    onConnected: () => (refusing = true),
  });
  await h.waitFor(() => refusing, { what: "bob's refusing acceptor" });
  try {
    const orders = [alice, bob, alice].map((peer, i) => ({
      clientPubkey: peer.pubkey,
      channelSize: 200_000 + i * 1000,
      feeRate: 4,
    }));
    const results = await Promise.allSettled(orders.map((o) => client.requestChannel(o)));
    assert.equal(
      results[0]?.status,
      'fulfilled',
      results[0]?.status === 'rejected' ? String(results[0].reason) : '',
    );
    assert.equal(results[2]?.status, 'fulfilled');
    assert.equal(results[1]?.status, 'rejected', "bob's channel fails");
    for (const r of [results[0], results[2]])
      assert.equal(r?.status === 'fulfilled' && r.value.status, 'pending');
  } finally {
    stop.abort();
  }
  const charges = [200_000, 202_000].reduce((s, c) => s + 1000 + c / 1000 + 4 * 165, 0);
  assert.equal(
    (await client.getBalance()).balance,
    10_000 - charges,
    "only alice's two channels were paid for",
  );
  await assertCleanAudit(lsp);
});
