/**
 * Story: our LSP's node has no outbound, so it buys some from an upstream LSP (a second
 * instance of our own server, on its own LND node) over LSPS1 peer messages. The order puts
 * the outbound on our side (`client_balance_sat`) and is paid on-chain from our wallet; once
 * the upstream's channel is active and carries the amount, the purchase is complete. A fee
 * above the caller's limit is refused before anything is paid. A purchase interrupted after
 * its payment is resumed by the next process, and never paid twice. The chain is simulated:
 * a block is mined whenever the mempool holds a transaction (paused where a test says so).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  channelNetworkFee,
  DEFAULT_FEE_SCHEDULE,
  ErrorCode,
  formatChannelPoint,
  isLspError,
  msat,
  quoteChannelOpening,
  type Sat,
  sat,
} from '@blgv/core';
import type { LndNode } from '@blgv/regtest';
import { createLogger, loadConfig } from '@blgv/server';
import { type Database, openMigratedMemoryDatabase } from '@blgv/store';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import type { UpstreamLsps1Source } from '../packages/server/src/liquidity/upstream-lsps1-source.ts';
import { liquiditySourceFromConfig } from '../packages/server/src/liquidity/upstream-source-config.ts';
import { assertCleanAudit } from './support/audit.ts';

let net: Network;
let upstreamNode: LndNode;
let upstream: TestLsp;
let database: Database;
const stops: AbortController[] = [];
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false);

before(async () => {
  net = await startNetwork();
  upstreamNode = await net.h.newNode('upstream');
  await net.h.fund([upstreamNode, sat(10_000_000)]);
  upstream = await startTestLsp(net, {
    node: upstreamNode,
    file: { lsps1: { maxClientBalance: 6_000_000, onchain: { confirmations: 1, pollIntervalMs: 200 } } },
  });
  database = await openMigratedMemoryDatabase();
});
after(async () => {
  for (const s of stops) s.abort();
  await upstream?.stop();
  await database?.close();
  await net?.h.stop();
});

/** A controller aborted after the file's tests at the latest. */
function lifetime(): AbortController {
  const c = new AbortController();
  stops.push(c);
  return c;
}

/** A source on our `lsp` node, configured as an operator would, running until `stop` aborts. */
async function startSource(stop: AbortSignal): Promise<UpstreamLsps1Source> {
  const config = loadConfig({ BLGV_CONFIG: 'c.json' }, () =>
    JSON.stringify({
      liquidity: {
        upstream: {
          uri: `${upstreamNode.pubkey}@${upstreamNode.host}`,
          // Regtest's estimator asks ~140 sat/vB for 6 blocks and 25 for a day; blocks come anyway.
          paymentTargetConf: 144,
          pollIntervalMs: 200,
          timeoutSeconds: 300,
        },
      },
    }),
  );
  const source = liquiditySourceFromConfig(config, { lightning: net.lsp.lnd, database, log });
  assert.ok(source, 'liquidity.upstream makes a source');
  // A job's run: it lasts until `stop`; the source is usable once it resumed its purchases.
  source.run(stop).catch((err: unknown) => assert.fail(`the source stopped: ${String(err)}`));
  await source.ready();
  return source;
}

/** Our purchase record of an upstream order. */
async function purchaseOf(orderId: string) {
  return database.db
    .selectFrom('liquidity_purchases')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
}

/** The upstream's own record of an order. */
async function upstreamOrder(orderId: string) {
  return upstream.database.db
    .selectFrom('lsps1_orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
}

/** Wallet transactions of our node that paid `address`. */
async function paymentsTo(address: string) {
  const txs = await net.lsp.lnd.listOnchainTransactions({ startHeight: 0 }, within());
  return txs.filter((t) => t.outputs.some((o) => o.address === address && !o.ours));
}

/** Our wallet's balance once nothing of it is unconfirmed. */
function settledBalance(): Promise<Sat> {
  return net.h.waitFor(
    async () => {
      const b = await net.lsp.lnd.walletBalance(within());
      return b.unconfirmed === 0n ? b.confirmed : undefined;
    },
    { what: "the lsp's wallet to settle", intervalMs: 200 },
  );
}

test('a fee above maxFee is refused before paying: the order stays unpaid, the wallet untouched', async () => {
  const source = await startSource(lifetime().signal);
  const before = await net.lsp.lnd.walletBalance(within());
  const err = await source.acquire(sat(100_000), { maxFee: sat(500), signal: within(60_000) }).then(
    () => assert.fail('a purchase above maxFee must be refused'),
    (e: unknown) => e,
  );
  assert.ok(isLspError(err, ErrorCode.FeeRateExceeded), String(err));
  assert.equal(err.details?.maxFee, 500);
  assert.ok(Number(err.details?.fee) > 500, 'the refusal names the cost it would have had');

  const purchase = await database.db
    .selectFrom('liquidity_purchases')
    .selectAll()
    .where('id', '=', String(err.details?.purchase))
    .executeTakeFirstOrThrow();
  assert.equal(purchase.state, 'refused');
  assert.equal(purchase.payment_txid, null);
  assert.equal(
    (await upstreamOrder(purchase.order_id)).state,
    'awaiting_payment',
    'nothing reached the upstream',
  );
  assert.deepEqual(await paymentsTo(purchase.pay_address), [], 'no transaction paid the order');
  const afterwards = await net.lsp.lnd.walletBalance(within());
  assert.equal(afterwards.confirmed, before.confirmed);
  assert.equal(afterwards.unconfirmed, before.unconfirmed);
  await assertCleanAudit(upstream);
});

test('acquire buys 0.05 BTC of outbound on our side of the channel, pays the quoted fee, and the amount goes out over it', async () => {
  const chain = lifetime();
  void net.h.mineWhilePending(chain.signal);
  const source = await startSource(lifetime().signal);
  const walletBefore = await settledBalance();

  // More than one HTLC can carry (2^32 msat): usable means payable in parts.
  const amount = sat(5_000_000);
  const bought = await source.acquire(amount, { maxFee: sat(20_000), signal: within(300_000) });
  const [, upstreamKey, orderId = ''] = bought.reference.split(':');
  assert.equal(upstreamKey, upstreamNode.pubkey);

  const purchase = await purchaseOf(orderId);
  assert.equal(purchase.state, 'completed');
  assert.equal(purchase.funding_outpoint, formatChannelPoint(bought.channelPoint));
  const order = await upstreamOrder(orderId);
  assert.equal(order.state, 'completed');
  assert.equal(purchase.fee_total_sat, order.fee_total_sat, 'we recorded the fee the upstream quoted');
  const capacity = sat(order.lsp_balance_sat + order.client_balance_sat);
  assert.equal(
    order.fee_total_sat,
    quoteChannelOpening(DEFAULT_FEE_SCHEDULE, capacity).total + channelNetworkFee(2n).total,
    "the upstream's opening fee plus the channel's network fee at the 2 sat/vB estimate",
  );
  const onchainFee = purchase.onchain_fee_sat ?? 0n;
  assert.ok(onchainFee > 0n, 'our payment transaction had a fee');
  assert.equal(
    bought.fee,
    order.fee_total_sat + onchainFee,
    'the cost: the quoted fee plus our on-chain fee',
  );

  // The channel: the upstream opened it to us with the client balance on our side.
  const channel = (await net.lsp.lnd.listChannels(within())).find(
    (c) => formatChannelPoint(c.channelPoint) === purchase.funding_outpoint,
  );
  assert.ok(channel?.active, 'the bought channel is active');
  assert.equal(channel.remotePubkey, upstreamNode.pubkey);
  assert.equal(channel.initiator, false, 'the upstream opened it');
  assert.equal(channel.localBalance, order.client_balance_sat);
  assert.equal(bought.outbound, channel.localBalance - channel.localReserve);
  assert.ok(bought.outbound >= amount, `outbound ${bought.outbound} covers ${amount}`);

  // Our wallet paid the order total (fee + the balance now on our side) and the on-chain fee.
  assert.equal((await paymentsTo(purchase.pay_address)).length, 1);
  assert.equal(walletBefore - (await settledBalance()), order.order_total_sat + onchainFee);

  // Usable: the whole amount goes out over it.
  const invoice = await upstreamNode.lnd.addInvoice(
    { amount: msat(amount * 1000n), memo: 'outbound' },
    within(),
  );
  const paid = await net.lsp.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 30, maxParts: 16 },
    within(60_000),
  );
  assert.equal(paid.status, 'succeeded');
  // The probe that proved the channel usable was recorded as the LSP's own before it was sent
  // (issue 20, item 5): LND lists it beside the payments, the figures never count it as one.
  const own = await database.db.selectFrom('lsp_own_payments').select(['payment_hash', 'purpose']).execute();
  assert.ok(own.length >= 1, 'the probe was recorded');
  assert.ok(own.every((r) => r.purpose === 'probe'));
  const listed = await net.lsp.lnd.listPayments({ afterIndex: 0n, max: 1000 }, within());
  const probes = listed.filter((p) => own.some((r) => r.payment_hash === p.paymentHash));
  assert.ok(probes.length >= 1, 'LND lists the recorded probe');
  assert.ok(probes.every((p) => p.status === 'failed'));
  chain.abort();
  await assertCleanAudit(upstream);
});

test('a purchase interrupted after its payment is resumed by the next process and paid once', async () => {
  // No blocks: the payment stays unconfirmed, so the purchase waits in `paid`.
  const first = lifetime();
  const source = await startSource(first.signal);
  const amount = sat(50_000);
  const acquiring = source.acquire(amount, { maxFee: sat(10_000), signal: within(300_000) });
  const paid = await net.h.waitFor(
    () =>
      database.db
        .selectFrom('liquidity_purchases')
        .selectAll()
        .where('amount_sat', '=', amount)
        .where('state', '=', 'paid')
        .executeTakeFirst(),
    { what: 'the purchase to be paid', intervalMs: 100 },
  );
  first.abort();
  await assert.rejects(acquiring, (err: unknown) => isLspError(err, ErrorCode.Aborted));
  assert.equal((await paymentsTo(paid.pay_address)).length, 1);

  // The next process resumes it; a caller asking for the same amount waits for it.
  const chain = lifetime();
  void net.h.mineWhilePending(chain.signal);
  const next = await startSource(lifetime().signal);
  const bought = await next.acquire(amount, { maxFee: sat(10_000), signal: within(300_000) });
  assert.equal(
    bought.reference,
    `lsps1:${upstreamNode.pubkey}:${paid.order_id}`,
    'the same order, not a new one',
  );
  assert.ok(bought.outbound >= amount);
  assert.equal((await purchaseOf(paid.order_id)).state, 'completed');
  const rows = await database.db
    .selectFrom('liquidity_purchases')
    .select('id')
    .where('amount_sat', '=', amount)
    .execute();
  assert.equal(rows.length, 1, 'no second purchase');
  assert.equal((await paymentsTo(paid.pay_address)).length, 1, 'paid once');
  chain.abort();
  await assertCleanAudit(upstream);
});
