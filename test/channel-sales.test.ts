/**
 * Story: a tenant tops up its account over Lightning, buys channels to client nodes, and
 * follows them from pending to open; the ledger shows exactly the quoted fees. Batching,
 * idempotent retries and refunds on failure included. Everything goes through the SDK.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { parseHex32, parsePubkey, sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import { ChannelRequestsRepository, LedgerRepository } from '@blgv/store';
import { startTestLsp, type TestLsp } from './support/lsp-server.ts';
import { type Network, startNetwork, within } from './support/network.ts';
import { topUp } from './support/topup.ts';

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

test('a tenant tops up, buys a 1,000,000 sat channel with 100,000 pushed, and follows it to open', async () => {
  const { h, bob } = net;
  await topUp(net.h, net.alice, tenant, 10_000);

  const fees = await tenant.getFees();
  assert.deepEqual(fees.channelOpening, { baseFee: 1000, capacityFeePpm: 1000 });
  const quote = await tenant.quoteChannel({ channelSize: 1_000_000, pushAmount: 100_000, feeRate: 5 });
  assert.deepEqual(quote.fee, { baseFee: 1000, capacityFee: 1000, total: 2000 });
  assert.ok(quote.estimatedConfirmation.blocks >= 1);

  const channel = await tenant.requestChannel({
    clientPubkey: bob.pubkey,
    channelSize: 1_000_000,
    pushAmount: 100_000,
    feeRate: 5,
    clientHost: bob.host,
  });
  assert.equal(channel.status, 'pending');
  assert.match(channel.fundingTxid ?? '', /^[0-9a-f]{64}$/);
  assert.equal(channel.capacity, 1_000_000);
  assert.equal(channel.fee, 2000);
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
      ['channel_fee', -2000],
      ['topup', 10_000],
    ],
  );
  assert.equal((await tenant.getBalance()).balance, 8000);

  // The LSP closes the channel: the status follows to closed.
  await net.lsp.lnd.closeChannel(
    { channelPoint: { txid: parseHex32(channel.fundingTxid ?? ''), outputIndex: channel.outputIndex ?? 0 } },
    within(),
  );
  await h.mine(1);
  await h.waitFor(async () => (await tenant.getChannelStatus(channel.channelId)).status === 'closed', {
    what: 'the channel to be reported closed',
  });
});

test('ten requests sent together share funding transactions, each with its own push and fee', async () => {
  const { h, bob, alice } = net;
  const { client } = await lsp.newTenant('exchange-co');
  await topUp(net.h, net.alice, client, 20_000);
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
  const totalFees = results.reduce((s, r) => s + r.fee, 0);
  assert.equal((await client.getBalance()).balance, 20_000 - totalFees);
});

test('a retried request with the same idempotency key opens one channel', async () => {
  const { bob } = net;
  const { client } = await lsp.newTenant('retry-co');
  await topUp(net.h, net.alice, client, 5_000);
  const order = { clientPubkey: bob.pubkey, channelSize: 50_000, pushAmount: 0 };
  const [a, b] = await Promise.all([
    client.requestChannel(order, { idempotencyKey: 'order-42' }),
    client.requestChannel(order, { idempotencyKey: 'order-42' }),
  ]);
  const c = await client.requestChannel(order, { idempotencyKey: 'order-42' });
  assert.equal(a.channelId, b.channelId);
  assert.equal(a.channelId, c.channelId);
  const fees = (await client.getLedger()).entries.filter((e) => e.kind === 'channel_fee');
  assert.equal(fees.length, 1, 'charged once');
  assert.equal((await client.getBalance()).balance, 5_000 - 1050);
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
  const stranger = parsePubkey(`02${'11'.repeat(32)}`);
  await assert.rejects(
    client.requestChannel({ clientPubkey: stranger, channelSize: 100_000 }),
    (e: Error & { status?: number; code?: string }) => e.status === 422 && e.code === 'peer_unreachable',
  );
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
      client.requestChannel({ clientPubkey: bob.pubkey, channelSize: 100_000 }),
      (e: Error & { status?: number; code?: string }) => e.status === 422 && e.code === 'lightning_rejected',
    );
  } finally {
    stop.abort();
  }
  assert.equal((await client.getBalance()).balance, 5_000);
  assert.deepEqual((await client.getLedger()).entries.map((e) => [e.kind, e.amount]).slice(0, 2), [
    ['channel_fee_refund', 1100],
    ['channel_fee', -1100],
  ]);
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
  const fees = [200_000, 202_000].reduce((s, c) => s + 1000 + c / 1000, 0);
  assert.equal((await client.getBalance()).balance, 10_000 - fees, "only alice's two channels were paid for");
});

test('after a crash mid-open, a request LND funded is adopted and one it never saw is refunded', async () => {
  const { h, bob } = net;
  await h.mine(1);
  const { client, tenantId } = await lsp.newTenant('crash-co');
  await topUp(net.h, net.alice, client, 5_000);
  // The state a crash leaves: two requests charged and marked opening; LND funded only one.
  const repo = new ChannelRequestsRepository(lsp.database.db);
  const ledger = new LedgerRepository(lsp.database.db);
  const make = async () => {
    const r = await repo.insert({
      id: randomUUID(),
      tenantId,
      idempotencyKey: null,
      clientPubkey: bob.pubkey,
      capacity: sat(100_000),
      push: sat(0),
      feeRateSatPerVbyte: null,
      private: false,
      fee: sat(1100),
      estimatedBlocks: 6,
    });
    await ledger.append({
      tenantId,
      kind: 'channel_fee',
      amount: -1100n,
      reference: r.id,
      description: 'fee',
    });
    await repo.transition(r.id, ['queued'], { state: 'opening' });
    return r.id;
  };
  const funded = await make();
  const lost = await make();
  await h.connect(net.lsp, bob);
  const { channelPoint } = await net.lsp.lnd.openChannel(
    { remotePubkey: bob.pubkey, localAmount: sat(100_000), memo: `channel:${funded}` },
    within(),
  );

  await lsp.restart();
  const adopted = await h.waitFor(
    async () => {
      const s = await client.getChannelStatus(funded);
      return s.status === 'pending' ? s : undefined;
    },
    { what: 'the funded request to be adopted' },
  );
  assert.equal(adopted.fundingTxid, channelPoint.txid);
  const refunded = await h.waitFor(
    async () => {
      const s = await client.getChannelStatus(lost);
      return s.status === 'failed' ? s : undefined;
    },
    { what: 'the lost request to fail' },
  );
  assert.match(refunded.failure ?? '', /interrupted/);
  assert.equal((await client.getBalance()).balance, 5_000 - 1100, 'only the funded channel is paid for');
});
