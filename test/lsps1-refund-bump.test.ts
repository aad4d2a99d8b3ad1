/**
 * Story: an on-chain refund that does not confirm is bumped (bLIP-51 51-58: "The LSP MUST bump
 * the fee in case the transaction doesn't resolve within 6 hours"). Bob pays an LSPS1 order
 * on-chain, too little; the order expires and the LSP refunds what arrived. No block is mined
 * while the refund waits, and the LSP (told to bump after 2 s instead of 6 hours) replaces it
 * with the same refund at a higher fee rate. Once a block is mined bob holds exactly one
 * refund, the last one, minus its fee; the replaced ones never confirm and the audit is clean.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type OnchainTransaction, sat } from '@blgv/core';
import type { Lsps1Order } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';

let net: Network;
let lsp: TestLsp;
let bob: LspsPeerClient;

/** The on-chain option expires this long after an order is made (the least allowed). */
const EXPIRY_SECONDS = 10;
/** Stands in for bLIP-51's 6 hours. */
const BUMP_AFTER_SECONDS = 2;

before(async () => {
  net = await startNetwork();
  lsp = await startTestLsp(net, {
    file: {
      lsps1: {
        invoiceExpirySeconds: EXPIRY_SECONDS,
        onchain: {
          confirmations: 1,
          expirySeconds: EXPIRY_SECONDS,
          pollIntervalMs: 200,
          refundBumpAfterSeconds: BUMP_AFTER_SECONDS,
        },
      },
    },
  });
  await net.h.connect(net.bob, net.lsp);
  bob = new LspsPeerClient(net.bob, net.lsp.pubkey);
  await net.h.waitFor(() => bob.ready, { what: "bob's LSPS client" });
});
after(async () => {
  bob?.close();
  await lsp?.stop();
  await net?.h.stop();
});

/** The LSP's wallet transactions labelled as this order's refund. */
async function refundsOf(orderId: string): Promise<OnchainTransaction[]> {
  const txs = await net.lsp.lnd.listOnchainTransactions({ startHeight: 0 }, within());
  return txs.filter((t) => t.label === `lsps1-refund:${orderId}`);
}

/** An order bob makes with a refund address of his: to pay on chain. */
async function orderWithRefundAddress() {
  const refundAddress = await net.bob.lnd.newAddress(within());
  const created = await bob.call<Lsps1Order>(
    'lsps1.create_order',
    lsps1Order({
      lsp_balance_sat: '200000',
      client_balance_sat: '100000',
      refund_onchain_address: refundAddress,
    }),
  );
  assert.ok(created.result, JSON.stringify(created.error));
  const onchain = created.result.payment.onchain;
  assert.ok(onchain);
  return { refundAddress, order: created.result, onchain };
}

test('a refund still unconfirmed after the bump delay is replaced at a higher fee, and only one reaches the client', async () => {
  const { refundAddress, order, onchain } = await orderWithRefundAddress();
  const paid = sat(BigInt(onchain.order_total_sat) - 10_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: paid }, within());
  await net.h.mine(1);

  const failed = await net.h.waitFor(
    async () => {
      const r = await bob.call<Lsps1Order>('lsps1.get_order', { order_id: order.order_id });
      return r.result?.order_state === 'FAILED' ? r.result : undefined;
    },
    { what: 'the underpaid order to expire', intervalMs: 250, timeoutMs: 60_000 },
  );
  assert.equal(failed.payment.onchain?.state, 'REFUNDED');

  // The first refund, in the mempool; no block comes.
  const [first] = await net.h.waitFor(
    async () => {
      const txs = await refundsOf(failed.order_id);
      return txs.length > 0 ? txs : undefined;
    },
    { what: 'the first refund' },
  );
  assert.ok(first);
  assert.equal(first.confirmations, 0);

  // The LSP replaces it: a refund paying a higher fee takes its place in the mempool.
  const bump = await net.h.waitFor(
    async () => {
      const pool = await net.h.btcd.rpc<string[]>('getrawmempool');
      const txs = await refundsOf(failed.order_id);
      return txs.find((t) => t.txid !== first.txid && pool.includes(t.txid) && !pool.includes(first.txid));
    },
    { what: 'the bumped refund in the mempool', timeoutMs: 60_000 },
  );
  assert.ok(bump.fee > first.fee, `the bump pays more: ${bump.fee} > ${first.fee} sat`);

  await net.h.mine(1);
  const received = await net.h.waitFor(
    async () => {
      const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
      const outputs = txs.flatMap((t) =>
        t.outputs.filter((o) => o.address === refundAddress).map((o) => ({ ...o, tx: t })),
      );
      return outputs.some((o) => o.tx.confirmations > 0) ? outputs : undefined;
    },
    { what: 'the refund to confirm at bob' },
  );
  assert.equal(received.length, 1, 'bob holds exactly one refund');
  const [back] = received;
  assert.ok(back);

  // What confirmed is the LSP's last refund; every replaced one is gone from its wallet.
  const settled = await net.h.waitFor(
    async () => {
      const txs = await refundsOf(failed.order_id);
      return txs.length === 1 && txs[0]?.confirmations ? txs[0] : undefined;
    },
    { what: "the replaced refunds to leave the LSP's wallet" },
  );
  assert.equal(settled.txid, back.tx.txid);
  assert.notEqual(settled.txid, first.txid, 'the first refund never confirmed');
  assert.ok(settled.fee >= bump.fee, 'the refund that confirmed pays at least the first bump');
  assert.equal(
    back.amount,
    paid - settled.fee,
    'everything that arrived, minus the fee of the refund that confirmed',
  );
  await assertCleanAudit(lsp);
});

test('a payment still unconfirmed when its order ends is refunded only once it confirms, apart from what had confirmed', async () => {
  const { refundAddress, order, onchain } = await orderWithRefundAddress();
  // Too little, in two payments: the first confirms, the second is still in the mempool when
  // the order expires (its payer could still replace it with a fee bump).
  const first = await net.bob.lnd.sendCoins(
    { address: onchain.address, amount: sat(BigInt(onchain.order_total_sat) - 30_000n) },
    within(),
  );
  await net.h.mine(1);
  const second = await net.bob.lnd.sendCoins({ address: onchain.address, amount: sat(10_000n) }, within());
  const failed = await net.h.waitFor(
    async () => {
      const r = await bob.call<Lsps1Order>('lsps1.get_order', { order_id: order.order_id });
      return r.result?.order_state === 'FAILED' ? r.result : undefined;
    },
    { what: 'the underpaid order to expire', intervalMs: 250, timeoutMs: 60_000 },
  );
  const spends = (t: OnchainTransaction, txid: string) => t.inputs.some((i) => i.txid === txid);
  const refunded = await net.h.waitFor(
    async () => (await refundsOf(failed.order_id)).find((t) => spends(t, first.txid)),
    { what: 'the refund of the confirmed payment' },
  );
  assert.equal(refunded.confirmations, 0);
  assert.ok(
    (await refundsOf(failed.order_id)).every((t) => !spends(t, second.txid)),
    'no refund spends the unconfirmed payment',
  );

  // A block: the first refund and the second payment confirm; then the second is refunded.
  await net.h.mine(1);
  await net.h.waitFor(
    async () =>
      (await refundsOf(failed.order_id)).some((t) => spends(t, second.txid) && t.confirmations === 0),
    { what: 'the refund of the second payment, once it confirmed' },
  );
  await net.h.mine(1);
  const back = await net.h.waitFor(
    async () => {
      const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
      const confirmed = txs.filter(
        (t) => t.confirmations > 0 && t.outputs.some((o) => o.address === refundAddress),
      );
      return confirmed.length === 2 ? confirmed : undefined;
    },
    { what: 'both refunds to confirm at bob' },
  );
  assert.equal(back.length, 2, 'one refund for each payment');
  await assertCleanAudit(lsp);
});
