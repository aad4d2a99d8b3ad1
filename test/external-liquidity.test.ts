/**
 * Story: an exchange reserves 0.1 BTC of outbound liquidity, more than the LSP's node can
 * spend. A reservation whose `maxFeeRate` cannot pay for the liquidity it needs is refused with
 * `fee_rate_exceeded` and costs nothing (nothing is bought). One that can is granted once the
 * LSP has bought the shortfall from its upstream LSP (a second instance of our own server on its
 * own LND) over LSPS1 peer messages, paid on-chain: the reservation is charged the purchase's
 * cost with its fee. The exchange then pays a 0.1 BTC invoice with it; the ledger shows amount,
 * routing fee, reservation fee and utilization fee exactly. A reservation the upstream cannot
 * meet fails with its code, costing nothing. Each test ends with a clean audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, parseHex32, sat, spendableOutbound } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import type { LndNode } from '@blgv/regtest';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';

let net: Network;
let upstreamNode: LndNode;
let upstream: TestLsp;
let lsp: TestLsp;
let exchange: LSPClient;
const chain = new AbortController();

const AMOUNT = 10_000_000; // 0.1 BTC

before(async () => {
  net = await startNetwork();
  const { h, alice, bob } = net;
  upstreamNode = await h.newNode('upstream');
  // Our LSP pays for the bought outbound on-chain: it needs the coins (client balance + fee).
  await h.fund([upstreamNode, sat(40_000_000)], [alice, sat(20_000_000)], [net.lsp, sat(20_000_000)]);
  // alice pays the top-ups; bob, the exchange's customer, is reached through the upstream.
  await h.openChannel(alice, net.lsp, sat(16_000_000));
  await h.openChannel(upstreamNode, bob, sat(15_000_000), { push: sat(0), private: true });
  upstream = await startTestLsp(net, {
    node: upstreamNode,
    file: {
      lsps1: { maxClientBalance: 16_000_000, onchain: { confirmations: 1, pollIntervalMs: 200 } },
      // No base fee: should a payment travel in several parts, each would pay it again.
      fees: { routing: { baseFeeMsat: 0, feeRatePpm: 50 } },
    },
  });
  lsp = await startTestLsp(net, {
    postgres: true,
    file: {
      liquidity: { upstream: { uri: `${upstreamNode.pubkey}@${upstreamNode.host}`, pollIntervalMs: 200 } },
      reservations: { externalTimeoutSeconds: 300, maxPerTenant: 100_000_000 },
    },
  });
  exchange = (await lsp.newTenant('exchange')).client;
  // The chain: a block whenever a transaction waits (the on-chain payment, the funding).
  void h.mineWhilePending(chain.signal);
});
after(async () => {
  chain.abort();
  await lsp?.stop();
  await upstream?.stop();
  await net?.h.stop();
});

test('a reservation whose maxFeeRate cannot pay for the liquidity it needs is refused and costs nothing', async () => {
  await topUp(net.h, net.alice, exchange, 100_000);
  const before = (await exchange.getBalance()).balance;
  const channels = (await net.lsp.lnd.listChannels(within())).length;
  // 1,000 ppm of 0.1 BTC is 10,000 sat; the reservation's own fees take 5,100 of it, which
  // leaves 4,900 sat: less than a channel from the upstream costs.
  await assert.rejects(
    exchange.requestLiquidity({ amount: AMOUNT, duration: 3_600_000, maxFeeRate: 1_000 }),
    (err: unknown) => {
      assert.ok(err instanceof LspApiError, String(err));
      assert.equal(err.code, 'fee_rate_exceeded');
      assert.equal(err.status, 422);
      return true;
    },
  );
  assert.equal((await exchange.getBalance()).balance, before, 'it cost nothing');
  assert.equal((await net.lsp.lnd.listChannels(within())).length, channels, 'nothing was bought');
  await assertCleanAudit(lsp);
});

test('a 0.1 BTC reservation beyond the node is met by a channel bought upstream, charged its cost, then pays a 0.1 BTC invoice', async () => {
  const start = (await exchange.getBalance()).balance;
  const before = spendableOutbound(await net.lsp.lnd.listChannels(within()));
  assert.ok(before < BigInt(AMOUNT), `the LSP can spend ${before} sat: less than the reservation`);
  const upstreamChannelsBefore = (await net.lsp.lnd.listChannels(within())).filter(
    (c) => c.remotePubkey === upstreamNode.pubkey,
  );
  assert.equal(upstreamChannelsBefore.length, 0);

  const reservation = await exchange.requestLiquidity({
    amount: AMOUNT,
    duration: 3_600_000,
    maxFeeRate: 5_000,
  });
  assert.equal(reservation.externalLiquidity, true);
  assert.equal(reservation.allocated, AMOUNT);
  assert.equal(reservation.state, 'active');
  // The purchase: the upstream's fee plus our on-chain payment; it is in the reservation fee.
  const purchase = reservation.purchaseFee;
  assert.ok(purchase > 0, 'the purchase cost something');
  assert.equal(reservation.reservationFee, 100 + purchase);
  // (100 + purchase) sat + 500 ppm of 10,000,000 sat, if fully used, in ppm, rounded up.
  assert.equal(reservation.feeRate, Math.ceil(((100 + purchase + 5_000) * 1_000_000) / AMOUNT));
  assert.ok(reservation.feeRate <= 5_000, 'within the maxFeeRate asked');
  const bought = (await net.lsp.lnd.listChannels(within())).filter(
    (c) => c.remotePubkey === upstreamNode.pubkey,
  );
  assert.equal(bought.length, 1, 'one channel bought from the upstream');
  assert.ok(bought[0]?.active);
  assert.ok(spendableOutbound(bought) >= BigInt(AMOUNT), `bought ${spendableOutbound(bought)} sat spendable`);
  // The tenant paid the reservation fee and the purchase: what was held for it (the most
  // maxFeeRate allowed) less what it did not cost.
  const charges = (await exchange.getLedger()).entries.filter(
    (e) => e.reference === reservation.reservationId,
  );
  const byKind = Object.fromEntries(charges.map((e) => [e.kind, e.amount]));
  assert.equal(byKind.reservation_fee, -100);
  const held = -(byKind.reservation_purchase_fee ?? 0);
  assert.equal(held, (AMOUNT * 5_000) / 1_000_000 - 100 - 5_000, 'held: what maxFeeRate leaves');
  assert.equal(byKind.reservation_refund, held - purchase, 'the rest of the hold given back');
  assert.equal((await exchange.getBalance()).balance, start - 100 - purchase, 'charged exactly its cost');

  // The payment: 0.1 BTC to bob, through the upstream.
  await topUp(net.h, net.alice, exchange, AMOUNT + 10_000);
  // bob's channel is private and the upstream has no public channel (so no node announcement
  // for LND to build a hint from): bob names the hop himself, at the upstream's routing fees.
  const toBob = (await net.bob.lnd.listChannels(within())).find(
    (c) => c.remotePubkey === upstreamNode.pubkey,
  );
  assert.ok(toBob);
  const invoice = await net.bob.lnd.addInvoice(
    {
      amount: msat(BigInt(AMOUNT) * 1000n),
      memo: 'withdrawal',
      routeHints: [
        [
          {
            nodeId: upstreamNode.pubkey,
            // The alias the upstream gave bob for the channel (what LND itself would put in a hint).
            scid: toBob.peerAliasScid ?? toBob.scid,
            feeBaseMsat: msat(0n),
            feeProportionalMillionths: 50,
            cltvExpiryDelta: 80,
          },
        ],
      ],
    },
    within(),
  );
  const payment = await exchange.sendPayment({
    invoice: invoice.paymentRequest,
    reservationId: reservation.reservationId,
  });
  assert.equal(payment.status, 'succeeded', payment.failure ?? '');
  // Routing fee: 1,000 msat + 100 ppm of 10,000,000,000 msat = 1,001,000 msat = 1,001 sat.
  // Utilization fee: 500 ppm of 10,000,000 sat = 5,000 sat.
  assert.deepEqual(payment.charged, {
    amount: AMOUNT,
    routingFee: 1_001,
    utilizationFee: 5_000,
    total: AMOUNT + 6_001,
  });
  // The network (the upstream's 50 ppm) took about 500,000 msat: within the 1,001 sat charged.
  assert.ok(payment.routeCount !== null && payment.routeCount >= 1, `${payment.routeCount} parts`);
  const networkFee = BigInt(payment.feePaidMsat ?? '-1');
  assert.ok(networkFee >= 499_000n && networkFee <= 500_000n, `network fee ${networkFee} msat`);
  assert.deepEqual(
    (await exchange.getLedger()).entries.slice(0, 4).map((e) => `${e.kind} ${e.amount}`),
    ['utilization_fee -5000', 'routing_fee -1001', `payment -${AMOUNT}`, `topup ${AMOUNT + 10_000}`],
  );
  assert.equal(
    (await exchange.getBalance()).balance,
    start - 100 - purchase + AMOUNT + 10_000 - (AMOUNT + 6_001),
  );
  const received = await net.bob.lnd.lookupInvoice(parseHex32(invoice.paymentHash), within());
  assert.equal(received.state, 'settled');
  assert.equal(received.amountPaid, BigInt(AMOUNT) * 1000n);
  assert.equal((await exchange.getReservation(reservation.reservationId)).state, 'exhausted');
  await assertCleanAudit(lsp);
});

test('a reservation the upstream cannot meet either is refused with its code and costs nothing', async () => {
  // Enough balance for what the purchase could cost (it is held while buying, then given back).
  await topUp(net.h, net.alice, exchange, 300_000);
  const balance = (await exchange.getBalance()).balance;
  // Above what the upstream sells in one channel (lsps1.maxClientBalance) and what we hold.
  try {
    await exchange.requestLiquidity({ amount: 60_000_000, duration: 60_000, maxFeeRate: 5_000 });
    assert.fail('expected a refusal');
  } catch (err) {
    assert.ok(err instanceof LspApiError, String(err));
    assert.equal(err.code, 'lsp_insufficient_funds');
    assert.equal(err.status, 409);
  }
  assert.equal((await exchange.getBalance()).balance, balance, 'it cost nothing');
  await assertCleanAudit(lsp);
});

test('the upstream-liquidity job runs from start to stop, never restarted', async () => {
  const jobs = await lsp.admin.admin.jobs();
  const upstream = jobs.jobs.find((j) => j.name === 'upstream-liquidity');
  assert.ok(upstream?.runningHere, 'the job runs in this server');
  assert.equal(upstream.restartsHere, 0, 'a run that returned would have been restarted');
});
