/**
 * Story: a wallet node buys a channel over LSPS1 and pays for it on-chain (bLIP-51 3.3). It
 * gives a refund address, gets a fresh address of the LSP's wallet, pays the order total
 * there, and once the payment confirms the LSP opens the channel with the client balance
 * pushed to it; the unused hold invoice is cancelled. An order paid too little by its expiry
 * fails and what arrived goes back to the refund address. The chain is simulated: a block is
 * mined whenever the mempool holds a transaction.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseHex32, sat } from '@blgv/core';
import type { Lsps1Order } from '@blgv/protocol';
import { assertCleanAudit } from './support/audit.ts';
import { startTestLsp, type TestLsp } from './support/lsp-server.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';
import { type Network, startNetwork, within } from './support/network.ts';

let net: Network;
let lsp: TestLsp;
let bob: LspsPeerClient;
const chain = new AbortController();

/** The on-chain option expires this long after an order is made. */
const EXPIRY_SECONDS = 20;
const ORDER = lsps1Order({ lsp_balance_sat: '200000', client_balance_sat: '100000' });

before(async () => {
  net = await startNetwork();
  lsp = await startTestLsp(net, {
    file: {
      lsps1: {
        invoiceExpirySeconds: EXPIRY_SECONDS,
        onchain: { confirmations: 1, expirySeconds: EXPIRY_SECONDS, pollIntervalMs: 200 },
      },
    },
  });
  await net.h.connect(net.bob, net.lsp);
  bob = new LspsPeerClient(net.bob, net.lsp.pubkey);
  await net.h.waitFor(() => bob.ready, { what: "bob's LSPS client" });
  void net.h.mineWhilePending(chain.signal);
});
after(async () => {
  chain.abort();
  bob?.close();
  await lsp?.stop();
  await net?.h.stop();
});

/** Creates an order over peer messages and returns it. */
async function order(params: object): Promise<Lsps1Order> {
  const r = await bob.call<Lsps1Order>('lsps1.create_order', params);
  assert.ok(r.result, JSON.stringify(r.error));
  return r.result;
}

/** Polls get_order until `done` holds. */
function waitOrder(orderId: string, done: (o: Lsps1Order) => boolean, what: string): Promise<Lsps1Order> {
  return net.h.waitFor(
    async () => {
      const r = await bob.call<Lsps1Order>('lsps1.get_order', { order_id: orderId });
      return r.result && done(r.result) ? r.result : undefined;
    },
    { what, intervalMs: 250, timeoutMs: 120_000 },
  );
}

test('an order with a refund address is paid on-chain: confirmed, channel opened with the push', async () => {
  const withoutRefund = await order(ORDER);
  assert.ok(
    !('onchain' in withoutRefund.payment),
    'no refund address, no on-chain option: omitted (bLIP-51)',
  );

  const refund = await net.bob.lnd.newAddress(within());
  const created = await order({ ...ORDER, refund_onchain_address: refund });
  const onchain = created.payment.onchain;
  assert.ok(onchain);
  assert.equal(onchain.state, 'EXPECT_PAYMENT');
  assert.equal(onchain.fee_total_sat, '1630', '1000 base + 0.1 % of 300,000 + 165 vB at 2 sat/vB');
  assert.equal(onchain.order_total_sat, '101630');
  assert.equal(onchain.min_onchain_payment_confirmations, 1);
  assert.ok(!('min_fee_for_0conf' in onchain), 'no unconfirmed payments taken: omitted');
  assert.equal(onchain.refund_onchain_address, refund);
  assert.match(onchain.address, /^bcrt1/);

  await net.bob.lnd.sendCoins({ address: onchain.address, amount: sat(onchain.order_total_sat) }, within());
  const done = await waitOrder(created.order_id, (o) => o.order_state !== 'CREATED', 'the order to finish');
  assert.equal(done.order_state, 'COMPLETED');
  assert.equal(done.payment.onchain?.state, 'PAID');
  assert.equal(done.payment.bolt11.state, 'REFUNDED', 'the unused invoice is closed');
  const { paymentHash } = await net.bob.lnd.decodePaymentRequest(created.payment.bolt11.invoice, within());
  assert.equal((await net.lsp.lnd.lookupInvoice(paymentHash, within())).state, 'canceled');

  const [txid, index] = (done.channel?.funding_outpoint ?? '').split(':');
  const channel = await net.h.waitChannelActive(net.bob, {
    txid: parseHex32(txid ?? ''),
    outputIndex: Number(index),
  });
  assert.equal(channel.capacity, 300_000n);
  assert.equal(channel.localBalance, 100_000n, 'the client balance was pushed to bob');
  assert.equal(channel.private, true);
  await assertCleanAudit(lsp);
});

test('a refund address of another network is refused', async () => {
  const r = await bob.call('lsps1.create_order', {
    ...ORDER,
    refund_onchain_address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
  });
  assert.equal(r.error?.code, -32602);
  assert.equal(r.error?.data?.property, 'refund_onchain_address');
  await assertCleanAudit(lsp);
});

test('an underpaid order expires FAILED and what arrived goes back to the refund address', async () => {
  const refund = await net.bob.lnd.newAddress(within());
  const created = await order({ ...ORDER, refund_onchain_address: refund });
  const onchain = created.payment.onchain;
  assert.ok(onchain);
  const paid = sat(BigInt(onchain.order_total_sat) - 10_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: paid }, within());

  const failed = await waitOrder(created.order_id, (o) => o.order_state === 'FAILED', 'the order to expire');
  assert.equal(failed.payment.onchain?.state, 'REFUNDED');
  assert.equal(failed.channel, null);
  const back = await net.h.waitFor(
    async () => {
      const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
      return txs.flatMap((t) => t.outputs).find((o) => o.address === refund);
    },
    { what: 'the refund at bob' },
  );
  const sweep = (await net.lsp.lnd.listOnchainTransactions({ startHeight: 0 }, within())).find(
    (t) => t.label === `lsps1-refund:${created.order_id}`,
  );
  assert.ok(sweep, "the LSP's refund is labelled with the order");
  assert.ok(sweep.fee > 0n);
  assert.equal(back.amount, paid - sweep.fee, 'everything that arrived, minus the refund fee');
  await assertCleanAudit(lsp);
});
