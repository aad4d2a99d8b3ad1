/**
 * Story: an exchange pays bob through the LSP on a small graph with two paths,
 *
 *     alice ─▶ LSP ─▶ carol ─▶ bob   (carol forwards for free, but holds nothing toward bob)
 *                 ├─▶ dave ──▶ bob   (dave charges 2 sat and has the liquidity)
 *                 └─▶ erin ──▶ bob   (erin charges 3 sat and has the liquidity)
 *
 * LND tries the free path first, carol fails it, and the payment succeeds through dave: the
 * answer and `GET /v1/payments/:hash` show the route taken and the failed attempt. A limit
 * (`maxFeeSat` / `maxFeePpm`) below the route's cost fails the payment with nothing spent and
 * the charge refunded exactly; a limit at the cost pays; a payment larger than any one channel
 * is split into parts (within `payments.maxParts`), each part's route shown; a negative limit
 * is a 400 naming it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Channel, msat, parseHex32, sat } from '@blgv/core';
import { connectLnd } from '@blgv/lnd';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import type { LndNode } from '@blgv/regtest';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

let net: Network;
let lsp: TestLsp;
let exchange: LSPClient;
let carol: LndNode;
let dave: LndNode;
let erin: LndNode;
let lspToDave: Channel;
let carolToBob: Channel;
let daveToBob: Channel;
let erinToBob: Channel;

/** What dave and erin take to forward to bob; carol takes nothing. */
const DAVE_FEE_MSAT = 2_000n;
const ERIN_FEE_MSAT = 3_000n;
const TIME_LOCK_DELTA = 40;
const AMOUNT_SAT = 100_000;
const MAX_PARTS = 4;

/** Resolves once `observer`'s graph has `channel`'s policy from `from` at `baseFeeMsat`. */
async function waitForPolicy(observer: LndNode, channel: Channel, from: LndNode, baseFeeMsat: bigint) {
  const clients = connectLnd(observer.connection);
  try {
    await net.h.waitFor(
      () =>
        new Promise<boolean>((resolve) =>
          clients.lightning.GetChanInfo({ chan_id: String(channel.scid) }, (err, edge) => {
            if (err || !edge) return resolve(false);
            const policy = edge.node1_pub === from.pubkey ? edge.node1_policy : edge.node2_policy;
            resolve(policy !== null && BigInt(policy.fee_base_msat) === baseFeeMsat && !policy.disabled);
          }),
        ),
      { what: `the LSP's graph to hold ${from.name}'s fee on its channel to bob`, timeoutMs: 180_000 },
    );
  } finally {
    clients.close();
  }
}

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp: node, bob } = net;
  [carol, dave, erin] = await Promise.all([h.newNode('carol'), h.newNode('dave'), h.newNode('erin')]);
  await h.fund([carol, sat(5_000_000)], [dave, sat(5_000_000)], [erin, sat(5_000_000)]);
  await h.openChannel(alice, node, sat(3_000_000));
  await h.openChannel(node, carol, sat(1_000_000));
  lspToDave = await h.openChannel(node, dave, sat(1_000_000));
  // bob opened the channel with carol: all of it is on bob's side, carol cannot forward to bob.
  carolToBob = await h.openChannel(bob, carol, sat(1_000_000));
  daveToBob = await h.openChannel(dave, bob, sat(1_000_000));
  await h.openChannel(node, erin, sat(1_000_000));
  erinToBob = await h.openChannel(erin, bob, sat(1_000_000));
  await carol.lnd.updateChannelPolicy(
    {
      channelPoint: carolToBob.channelPoint,
      baseFee: msat(0),
      feeRatePpm: 0n,
      timeLockDelta: TIME_LOCK_DELTA,
    },
    within(),
  );
  await dave.lnd.updateChannelPolicy(
    {
      channelPoint: daveToBob.channelPoint,
      baseFee: msat(DAVE_FEE_MSAT),
      feeRatePpm: 0n,
      timeLockDelta: TIME_LOCK_DELTA,
    },
    within(),
  );
  await erin.lnd.updateChannelPolicy(
    {
      channelPoint: erinToBob.channelPoint,
      baseFee: msat(ERIN_FEE_MSAT),
      feeRatePpm: 0n,
      timeLockDelta: TIME_LOCK_DELTA,
    },
    within(),
  );
  await waitForPolicy(node, carolToBob, carol, 0n);
  await waitForPolicy(node, erinToBob, erin, ERIN_FEE_MSAT);
  await waitForPolicy(node, daveToBob, dave, DAVE_FEE_MSAT);
  lsp = await startTestLsp(net, { postgres: true, file: { payments: { maxParts: MAX_PARTS } } });
  exchange = (await lsp.newTenant('exchange')).client;
  await topUp(h, alice, exchange, 2_000_000);
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** bob's invoice for `amountSat`. */
async function bobInvoice(amountSat: number): Promise<{ paymentRequest: string; paymentHash: string }> {
  const inv = await net.bob.lnd.addInvoice(
    { amount: msat(BigInt(amountSat) * 1000n), memo: 'withdrawal' },
    within(),
  );
  return { paymentRequest: inv.paymentRequest, paymentHash: inv.paymentHash };
}

/** The ledger entries made since it had `since` entries (newest first), as `kind amount`. */
async function entriesSince(since: number): Promise<string[]> {
  const all = (await exchange.getLedger()).entries;
  return all.slice(0, all.length - since).map((e) => `${e.kind} ${e.amount}`);
}

test('a hop that fails once: the payment succeeds on the other path and records both attempts', async () => {
  const balance = (await exchange.getBalance()).balance;
  const ledgerSize = (await exchange.getLedger()).entries.length;
  const invoice = await bobInvoice(AMOUNT_SAT);

  const paid = await exchange.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(paid.status, 'succeeded', paid.failure ?? '');
  // Charged what was quoted: 1,000 msat + 100 ppm of 100,000,000 msat = 11 sat.
  assert.deepEqual(paid.charged, { amount: AMOUNT_SAT, routingFee: 11, utilizationFee: 0, total: 100_011 });
  assert.equal(paid.feeLimitMsat, '11000');
  assert.equal(paid.feePaidMsat, String(DAVE_FEE_MSAT));
  assert.equal(paid.parts, 1);
  assert.deepEqual(paid.routes, [
    {
      hops: [
        { pubkey: dave.pubkey, chanId: String(lspToDave.scid), feeMsat: String(DAVE_FEE_MSAT) },
        { pubkey: net.bob.pubkey, chanId: String(daveToBob.scid), feeMsat: '0' },
      ],
      feeMsat: String(DAVE_FEE_MSAT),
      amountMsat: String(AMOUNT_SAT * 1000),
    },
  ]);
  // The free path through carol was tried first and failed at carol, on her channel to bob.
  assert.ok(paid.failedAttempts.count >= 1, JSON.stringify(paid.failedAttempts));
  const atCarol = paid.failedAttempts.attempts[0];
  assert.deepEqual(
    atCarol?.hops.map((hop) => hop.pubkey),
    [carol.pubkey, net.bob.pubkey],
  );
  assert.equal(atCarol?.code, 'temporary_channel_failure');
  assert.deepEqual(atCarol?.failingHop, { index: 1, pubkey: carol.pubkey, chanId: String(carolToBob.scid) });

  // The payment as stored says the same.
  assert.deepEqual(await exchange.getPayment(invoice.paymentHash), paid);
  assert.deepEqual(await entriesSince(ledgerSize), ['routing_fee -11', `payment -${AMOUNT_SAT}`]);
  assert.equal((await exchange.getBalance()).balance, balance - 100_011);
  const settled = await net.bob.lnd.lookupInvoice(parseHex32(invoice.paymentHash), within());
  assert.equal(settled.state, 'settled');
  await assertCleanAudit(lsp);
});

test('a limit below the route cost fails with nothing spent and the charge refunded; a limit at the cost pays', async () => {
  for (const limit of [{ maxFeeSat: 1 }, { maxFeePpm: 10 }] as const) {
    const balance = (await exchange.getBalance()).balance;
    const ledgerSize = (await exchange.getLedger()).entries.length;
    const invoice = await bobInvoice(AMOUNT_SAT);

    const failed = await exchange.sendPayment({ invoice: invoice.paymentRequest, ...limit });
    assert.equal(failed.status, 'failed', JSON.stringify(limit));
    assert.match(failed.failure ?? '', /no_route/);
    // 1 sat, or 10 ppm of 100,000 sat: 1,000 msat, below dave's 2,000.
    assert.equal(failed.feeLimitMsat, '1000');
    assert.equal(failed.feePaidMsat, null);
    assert.deepEqual(failed.routes, []);
    // Charged what was quoted, refunded exactly.
    assert.deepEqual(await entriesSince(ledgerSize), [
      'payment_refund 100011',
      'routing_fee -11',
      `payment -${AMOUNT_SAT}`,
    ]);
    assert.equal((await exchange.getBalance()).balance, balance);
    assert.deepEqual(await exchange.getPayment(invoice.paymentHash), failed);
    const open = await net.bob.lnd.lookupInvoice(parseHex32(invoice.paymentHash), within());
    assert.equal(open.state, 'open', 'bob was paid nothing');
    assert.equal(open.amountPaid, 0n);
  }

  // Exactly the route's cost is enough.
  const balance = (await exchange.getBalance()).balance;
  const invoice = await bobInvoice(AMOUNT_SAT);
  const paid = await exchange.sendPayment({ invoice: invoice.paymentRequest, maxFeeSat: 2 });
  assert.equal(paid.status, 'succeeded', paid.failure ?? '');
  assert.equal(paid.feeLimitMsat, '2000');
  assert.equal(paid.feePaidMsat, String(DAVE_FEE_MSAT));
  assert.equal(paid.routes[0]?.hops[0]?.pubkey, dave.pubkey);
  // The charge is the quoted one, whatever the limit.
  assert.equal(paid.charged.total, 100_011);
  assert.equal((await exchange.getBalance()).balance, balance - 100_011);
  await assertCleanAudit(lsp);
});

test('a payment larger than any one channel is split into parts, each with its route', async () => {
  const amountSat = 1_200_000;
  const balance = (await exchange.getBalance()).balance;
  const invoice = await bobInvoice(amountSat);
  const paid = await exchange.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(paid.status, 'succeeded', paid.failure ?? '');
  assert.ok(paid.parts !== null && paid.parts >= 2 && paid.parts <= MAX_PARTS, `${paid.parts} parts`);
  assert.equal(paid.routes.length, paid.parts);
  assert.equal(paid.routeCount, paid.parts);
  // The parts add up to the amount, their fees to the fee paid; each ends at bob.
  const sum = (values: readonly string[]) => values.reduce((a, v) => a + BigInt(v), 0n);
  assert.equal(sum(paid.routes.map((r) => r.amountMsat)), BigInt(amountSat) * 1000n);
  assert.equal(sum(paid.routes.map((r) => r.feeMsat)), BigInt(paid.feePaidMsat ?? '-1'));
  for (const route of paid.routes) {
    assert.equal(route.hops.at(-1)?.pubkey, net.bob.pubkey);
    assert.equal(sum(route.hops.map((hop) => hop.feeMsat)), BigInt(route.feeMsat));
  }
  // Both paid hops carried a part: no one channel holds the amount.
  const via = new Set(paid.routes.map((r) => r.hops[0]?.pubkey));
  assert.ok(via.has(dave.pubkey) && via.has(erin.pubkey), 'parts through dave and erin');
  // 1,000 msat + 100 ppm of 1,200,000,000 msat = 121 sat.
  assert.equal(paid.charged.total, amountSat + 121);
  assert.equal((await exchange.getBalance()).balance, balance - amountSat - 121);
  assert.deepEqual(await exchange.getPayment(invoice.paymentHash), paid);
  const settled = await net.bob.lnd.lookupInvoice(parseHex32(invoice.paymentHash), within());
  assert.equal(settled.amountPaid, BigInt(amountSat) * 1000n);
  await assertCleanAudit(lsp);
});

test('a negative limit is a 400 naming the field, and charges nothing', async () => {
  const balance = (await exchange.getBalance()).balance;
  const ledgerSize = (await exchange.getLedger()).entries.length;
  const invoice = await bobInvoice(1_000);
  for (const field of ['maxFeeSat', 'maxFeePpm'] as const) {
    const refused = await exchange.sendPayment({ invoice: invoice.paymentRequest, [field]: -1 }).then(
      () => assert.fail(`${field} -1 was accepted`),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof LspApiError, String(refused));
    assert.equal(refused.status, 400);
    assert.equal(refused.code, 'invalid_input');
    assert.match(refused.message, new RegExp(field));
  }
  assert.equal((await exchange.getLedger()).entries.length, ledgerSize);
  assert.equal((await exchange.getBalance()).balance, balance);
  await assertCleanAudit(lsp);
});
