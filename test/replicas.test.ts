/**
 * Story: two LSP server processes (replicas) on one Postgres and one LND, and clients that send
 * each request to either of them. Every background job runs in exactly one replica, the one
 * holding its lease; a REST channel request, an LSPS1 order and a JIT payment sent to either
 * complete exactly once (one channel, one charge, a clean audit). Then the replica holding the
 * leases is killed: the other takes them over within the lease time and finishes the work the
 * first one left, and serves new work.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import { type LSPClient, lsps2OpeningFee } from '@blgv/lsp-client';
import type { AdminJobsResponse, Lsps1Order } from '@blgv/protocol';
import { type Database, openDatabase, sql } from '@blgv/store';
import { JitWallet, type Network, startNetwork, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertEventsEndIn } from './support/events.ts';
import { lsps1Order } from './support/lsps1-order.ts';
import { type ServerProcess, startServerProcess } from './support/server-process.ts';

/** Short leases, so the takeover happens within the story. */
const LEASE_SECONDS = 3;

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = `lsp_replicas_${randomBytes(4).toString('hex')}`;
const dbUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
const secretsKey = randomBytes(32).toString('hex');

let net: Network;
let admin: Database;
let carol: JitWallet;
let first: ServerProcess;
let second: ServerProcess;
let key: { keyId: string; secret: string };
/** One tenant, signed the same way towards either replica. */
let viaFirst: LSPClient;
let viaSecond: LSPClient;
const streams = new AbortController();

/** Starts a replica named `name` on the shared database and LND. */
function replica(name: string): Promise<ServerProcess> {
  return startServerProcess({
    node: net.lsp,
    databaseUrl: dbUrl,
    secretsKey,
    env: { BLGV_CONFIG: join(net.lsp.dir, 'replica-config.json'), BLGV_REPLICA: name },
  });
}

before(async () => {
  admin = await openDatabase({ kind: 'postgres', url: adminUrl });
  await sql.raw(`create database ${dbName}`).execute(admin.db);
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  await net.h.openChannel(net.alice, net.lsp, sat(2_000_000));
  // bob, the client of the channel sales, stays connected to the LSP's node.
  await net.h.connect(net.bob, net.lsp);
  // Opens in separate funding transactions each need a confirmed coin of the LSP's.
  await net.h.fund(...Array.from({ length: 6 }, () => [net.lsp, sat(1_000_000)] as const));
  carol = await JitWallet.start(
    net.h,
    await net.h.newNode('carol', { lsps2Client: true }),
    net.lsp,
    streams.signal,
  );
  writeFileSync(
    join(net.lsp.dir, 'replica-config.json'),
    JSON.stringify({ jobs: { leaseSeconds: LEASE_SECONDS }, channels: { batchWindowMs: 100 } }),
  );
  first = await replica('replica-1');
  assert.ok(first.bootstrapKey, 'the first replica on a new database prints an admin key');
  key = first.bootstrapKey;
  second = await replica('replica-2');
  assert.equal(second.bootstrapKey, undefined, 'the second finds the admin and makes none');
  const tenant = await second.client(key).admin.createTenant('exchange');
  const tenantKey = await second.client(key).admin.createKey(tenant.id, 'tenant');
  viaFirst = first.client(tenantKey);
  viaSecond = second.client(tenantKey);
});
after(async () => {
  streams.abort();
  await first?.kill();
  await second?.kill();
  await net?.h.stop();
  await sql.raw(`drop database if exists ${dbName} with (force)`).execute(admin.db);
  await admin?.close();
});

/** Who holds each job's lease, as a replica reports it. */
function holders(jobs: AdminJobsResponse): Record<string, string | undefined> {
  return Object.fromEntries(jobs.jobs.map((j) => [j.name, j.holder]));
}

/** Waits until an LSPS1 order is in `state`, read through `client`. */
function orderIn(client: LSPClient, orderId: string, state: Lsps1Order['order_state']): Promise<Lsps1Order> {
  return net.h.waitFor(
    async () => {
      const o = await client.lsps1.getOrder(orderId);
      return o.order_state === state ? o : undefined;
    },
    { what: `order ${orderId} to be ${state}`, intervalMs: 200 },
  );
}

/** Buys a JIT channel for carol through `client` and has alice pay her `amount` sat through it. */
async function jitPayment(client: LSPClient, amount: bigint) {
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  const bought = await client.lsps2.buy({
    opening_fee_params: params,
    client_node_pubkey: carol.node.pubkey,
  });
  const paymentSize = msat(amount * 1000n);
  const invoice = await carol.invoice(bought, paymentSize, msat(lsps2OpeningFee(params, paymentSize) ?? -1n));
  const paid = await net.alice.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 60, maxParts: 1 },
    within(120_000),
  );
  assert.equal(
    paid.status,
    'succeeded',
    JSON.stringify(paid, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
  return { bought, invoice };
}

/** Waits until the JIT channel sold as `scid` is completed (its forwarded payment settled). */
function jitCompleted(scid: string) {
  return net.h.waitFor(
    async () => {
      const jit = await second.client(key).admin.jitChannel(scid);
      return jit.state === 'completed' ? jit : undefined;
    },
    { what: `JIT channel ${scid} to complete`, intervalMs: 200, timeoutMs: 30_000 },
  );
}

test('every job runs in exactly one replica, and both serve the API', async () => {
  const [one, two] = await Promise.all([first.client(key).admin.jobs(), second.client(key).admin.jobs()]);
  assert.equal(one.replica, 'replica-1');
  assert.equal(two.replica, 'replica-2');
  assert.ok(one.jobs.length >= 6, `the jobs: ${one.jobs.map((j) => j.name).join(', ')}`);
  for (const j of one.jobs) assert.equal(j.holder, 'replica-1', `${j.name} is held by the first replica`);
  assert.ok(one.jobs.every((j) => j.runningHere));
  assert.ok(
    two.jobs.every((j) => !j.runningHere),
    'the second runs none of them',
  );
  assert.deepEqual(holders(two), holders(one), 'both see the same leases');
});

test('channel requests, LSPS1 orders and JIT payments sent to both replicas complete exactly once each', async () => {
  const { bob, alice, h } = net;
  await topUp(h, alice, viaSecond, 20_000);
  const order = { clientPubkey: bob.pubkey, clientHost: bob.host, channelSize: 100_000, feeRate: 2 };
  const [a, b] = await Promise.all([viaFirst.requestChannel(order), viaSecond.requestChannel(order)]);
  assert.notEqual(a.channelId, b.channelId);
  for (const c of [a, b]) assert.equal(c.status, 'pending', `${c.channelId} funded`);
  // One channel each (the two may share a funding transaction: they were sent together).
  const atBob = await bob.lnd.pendingChannels(within());
  for (const c of [a, b]) {
    const same = atBob.filter(
      (p) => p.channelPoint.txid === c.fundingTxid && p.channelPoint.outputIndex === c.outputIndex,
    );
    assert.equal(same.length, 1, `one channel for ${c.channelId}`);
  }
  const charges = (await viaFirst.getLedger()).entries.filter((e) => e.kind === 'channel_fee');
  assert.equal(charges.length, 2, 'one charge each');

  // An LSPS1 order taken by each replica, both driven by the first (which holds the job).
  const orders = [];
  for (const via of [viaFirst, viaSecond]) {
    const created = await via.lsps1.createOrder({ ...lsps1Order(), client_node_pubkey: bob.pubkey });
    const payment = alice.lnd.sendPayment(
      { paymentRequest: created.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 60 },
      within(120_000),
    );
    // Read through the other replica: both see the same order.
    await orderIn(via === viaFirst ? viaSecond : viaFirst, created.order_id, 'COMPLETED');
    assert.equal((await payment).status, 'succeeded');
    orders.push(created.order_id);
  }

  // A JIT channel bought through each replica; the first replica's interceptor opens both.
  const jits = [];
  for (const via of [viaFirst, viaSecond]) {
    const { bought } = await jitPayment(via, 50_000n);
    const jit = await jitCompleted(bought.jit_channel_scid);
    jits.push(jit.id);
  }

  // Each went through its states once: the event log has one event per transition.
  const operator = second.client(key);
  for (const c of [a, b]) await assertEventsEndIn(operator, 'channel_request', c.channelId, 'pending');
  for (const id of orders) await assertEventsEndIn(operator, 'lsps1_order', id, 'completed');
  for (const id of jits) await assertEventsEndIn(operator, 'jit_channel', id, 'completed');
  await h.mine(1);
  await assertCleanAudit({ admin: operator });
});

test('the replica holding the leases is killed: the other takes over within the lease time and finishes the work', async () => {
  const { bob, alice, h } = net;
  // Work in flight in the first replica: an order it drives, waiting for its payment.
  const created = await viaSecond.lsps1.createOrder({ ...lsps1Order(), client_node_pubkey: bob.pubkey });
  const killedAt = Date.now();
  await first.kill();
  const operator = second.client(key);
  const takenOver = await h.waitFor(
    async () => {
      const jobs = await operator.admin.jobs();
      return jobs.jobs.every((j) => j.runningHere) ? Date.now() : undefined;
    },
    { what: 'the second replica to take every job over', intervalMs: 100, timeoutMs: 30_000 },
  );
  // The dead replica's leases run out after LEASE_SECONDS; the survivor renews (and takes) every
  // third of that.
  const bound = LEASE_SECONDS * 1000 + (LEASE_SECONDS * 1000) / 3 + 1_000;
  assert.ok(takenOver - killedAt <= bound, `taken over in ${takenOver - killedAt} ms (at most ${bound})`);

  // The order the first replica left is finished by the second.
  const payment = alice.lnd.sendPayment(
    { paymentRequest: created.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 60 },
    within(120_000),
  );
  await orderIn(viaSecond, created.order_id, 'COMPLETED');
  assert.equal((await payment).status, 'succeeded');
  // New work of every kind is served by the survivor alone.
  const channel = await viaSecond.requestChannel({
    clientPubkey: bob.pubkey,
    clientHost: bob.host,
    channelSize: 100_000,
    feeRate: 2,
  });
  assert.equal(channel.status, 'pending');
  const { bought } = await jitPayment(viaSecond, 40_000n);
  await jitCompleted(bought.jit_channel_scid);
  await h.mine(1);
  await assertCleanAudit({ admin: operator });
});
