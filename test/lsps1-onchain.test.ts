/**
 * Story: a wallet node buys a channel over LSPS1 and pays for it on-chain (bLIP-51 3.3). It
 * gives a refund address, gets a fresh address of the LSP's wallet, pays the order total
 * there, and once the payment confirms the LSP opens the channel with the client balance
 * pushed to it; the unused hold invoice is cancelled. An order paid too little by its expiry
 * fails and what arrived goes back to the refund address; what reaches an order's address after
 * it was paid, or after its refund went out, goes back in a refund of its own, and so does
 * what one payment paid over the order's total, and what reaches an order's address long after
 * the order ended (found among the wallet's new transactions). While the order's open is pending, a
 * burst of channel sales that need every coin of the LSP's wallet cannot take the order's
 * payment (it is leased for the order), and once the open fails the refund confirms. An order
 * paid by its invoice after part of it came on chain sends that part back. The chain is
 * simulated: a block is mined whenever the mempool holds a transaction.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ChannelOpenProposal, msat, type Outpoint, parseHex32, sat } from '@blgv/core';
import type { LspApiError } from '@blgv/lsp-client';
import type { Lsps1Order } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';

let net: Network;
let lsp: TestLsp;
let bob: LspsPeerClient;
const chain = new AbortController();

/** The on-chain option expires this long after an order is made. */
const EXPIRY_SECONDS = 20;
/** How long an order's address is looked at every pass after the order ended (7 days by default). */
const WATCH_AFTER_END_SECONDS = 10;
/** How long bob may think about a channel (his LND's acceptor timeout, and the LSP's wait). */
const THINKING_SECONDS = 300;
const ORDER = lsps1Order({ lsp_balance_sat: '200000', client_balance_sat: '100000' });

before(async () => {
  net = await startNetwork({ bob: { extraArgs: [`--acceptortimeout=${THINKING_SECONDS}s`] } });
  lsp = await startTestLsp(net, {
    file: {
      channels: { openTimeoutSeconds: THINKING_SECONDS },
      lsps1: {
        invoiceExpirySeconds: EXPIRY_SECONDS,
        onchain: {
          confirmations: 1,
          expirySeconds: EXPIRY_SECONDS,
          pollIntervalMs: 200,
          watchAfterEndSeconds: WATCH_AFTER_END_SECONDS,
        },
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

/** Creates an order over peer messages (bob's, unless another client is given) and returns it. */
async function order(params: object, client = bob): Promise<Lsps1Order> {
  const r = await client.call<Lsps1Order>('lsps1.create_order', params);
  assert.ok(r.result, JSON.stringify(r.error));
  return r.result;
}

/** Polls get_order until `done` holds. */
function waitOrder(
  orderId: string,
  done: (o: Lsps1Order) => boolean,
  what: string,
  client = bob,
): Promise<Lsps1Order> {
  return net.h.waitFor(
    async () => {
      const r = await client.call<Lsps1Order>('lsps1.get_order', { order_id: orderId });
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

  // bob pays the address again, by mistake: the order is paid, this is still his.
  const again = sat(25_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: again }, within());
  const [back] = await refundsAt(refund, 1);
  assert.ok(back);
  assert.equal(back.sent.label, `lsps1-refund:${created.order_id}`);
  assert.equal(
    back.amount,
    again - back.sent.fee,
    'what arrived after the order was paid, minus the refund fee',
  );
  const still = await waitOrder(created.order_id, () => true, 'the order');
  assert.equal(still.order_state, 'COMPLETED', 'the order and its channel are untouched');
  assert.equal(still.payment.onchain?.state, 'PAID');
  await assertCleanAudit(lsp);
});

/**
 * The LSP's refunds bob's `address` has received, confirmed, once there are `count` of them
 * (oldest first): what each paid there, and the LSP's wallet transaction that sent it.
 */
async function refundsAt(address: string, count: number) {
  return net.h.waitFor(
    async () => {
      const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
      const back = txs
        .filter((t) => t.confirmations > 0)
        .flatMap((t) => t.outputs.filter((o) => o.address === address).map((o) => ({ txid: t.txid, o, t })))
        .sort((a, b) => b.t.confirmations - a.t.confirmations);
      if (back.length < count) return undefined;
      const lsp = await lspWallet();
      return back.map(({ txid, o }) => {
        const sent = lsp.find((t) => t.txid === txid);
        assert.ok(sent, `${txid} was sent by the LSP`);
        return { amount: o.amount, sent };
      });
    },
    { what: `${count} refund(s) at bob`, timeoutMs: 120_000 },
  );
}

test('an order overpaid by one output: the channel opens, and what it paid over its total goes back, the rest of that output to the LSP', async () => {
  const refund = await net.bob.lnd.newAddress(within());
  const created = await order(
    lsps1Order({ lsp_balance_sat: '100000', client_balance_sat: '20000', refund_onchain_address: refund }),
  );
  const onchain = created.payment.onchain;
  assert.ok(onchain);
  const total = sat(onchain.order_total_sat);
  const over = sat(40_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: sat(total + over) }, within());
  const done = await waitOrder(created.order_id, (o) => o.order_state !== 'CREATED', 'the order to finish');
  assert.equal(done.order_state, 'COMPLETED');
  assert.equal(done.payment.onchain?.state, 'PAID');

  const [back] = await refundsAt(refund, 1);
  assert.ok(back);
  assert.equal(back.sent.label, `lsps1-refund:${created.order_id}`);
  assert.equal(back.amount, over - back.sent.fee, 'what it paid over the total, minus the refund fee');
  const paidOut = await net.h.waitFor(
    async () => {
      const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
      return txs.find((t) => t.txid === back.sent.txid);
    },
    { what: 'the refund in bob’s wallet' },
  );
  const toLsp = back.sent.outputs.filter((o) => o.address !== refund);
  assert.deepEqual(
    toLsp.map((o) => [o.amount, o.ours]),
    [[total, true]],
    "the order's total, and nothing more, goes back to the LSP's wallet",
  );
  assert.equal(paidOut.outputs.length, 2);
  const still = await waitOrder(created.order_id, () => true, 'the order');
  assert.equal(still.order_state, 'COMPLETED', 'the order and its channel are untouched');
  await assertCleanAudit(lsp);
});

test('a payment to the address of an order whose watch ended long ago is found in new blocks and goes back', async () => {
  const refund = await net.bob.lnd.newAddress(within());
  const created = await order(
    lsps1Order({ lsp_balance_sat: '100000', client_balance_sat: '10000', refund_onchain_address: refund }),
  );
  const onchain = created.payment.onchain;
  assert.ok(onchain);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: sat(onchain.order_total_sat) }, within());
  const done = await waitOrder(created.order_id, (o) => o.order_state !== 'CREATED', 'the order to finish');
  assert.equal(done.order_state, 'COMPLETED');
  // The window after the order's end is time itself: it has to pass (plus a look at the wallet).
  const watchEnded = Date.now() + (WATCH_AFTER_END_SECONDS + 3) * 1000;
  await net.h.waitFor(() => Date.now() >= watchEnded, {
    what: "the order's watch to end",
    timeoutMs: (WATCH_AFTER_END_SECONDS + 10) * 1000,
  });

  const late = sat(30_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: late }, within());
  const [back] = await refundsAt(refund, 1);
  assert.ok(back);
  assert.equal(back.sent.label, `lsps1-refund:${created.order_id}`);
  assert.equal(back.amount, late - back.sent.fee, 'what arrived, minus the refund fee');
  const still = await waitOrder(created.order_id, () => true, 'the order');
  assert.equal(still.order_state, 'COMPLETED', 'the order and its channel are untouched');
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

  // The rest arrives late, after the refund went out: it goes back too, in a refund of its own.
  const late = sat(15_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: late }, within());
  const [first, second] = await refundsAt(refund, 2);
  assert.equal(first?.sent.txid, sweep.txid);
  assert.ok(second);
  assert.notEqual(second.sent.txid, sweep.txid);
  assert.equal(second.sent.label, `lsps1-refund:${created.order_id}`);
  assert.equal(second.amount, late - second.sent.fee, 'the late payment, minus its refund fee');
  assert.equal((await waitOrder(created.order_id, () => true, 'the order')).order_state, 'FAILED');
  await assertCleanAudit(lsp);
});

/** The LSP's wallet transactions. */
function lspWallet(): ReturnType<typeof net.lsp.lnd.listOnchainTransactions> {
  return net.lsp.lnd.listOnchainTransactions({ startHeight: 0 }, within());
}

test('an order paid on chain, then a burst of channel sales needing every coin: they cannot take its payment, and after its open fails the refund confirms', async () => {
  // bob, a slow client, holds the LSP's channel proposal until told, then refuses it.
  const decide = Promise.withResolvers<void>();
  let proposed: ChannelOpenProposal | undefined;
  const stop = new AbortController();
  let thinking = false;
  await net.bob.lnd.acceptChannels(
    async (p) => {
      proposed = p;
      await decide.promise;
      return { accept: false, error: 'bob changed his mind' };
    },
    { signal: stop.signal, onConnected: () => (thinking = true) },
  );
  await net.h.waitFor(() => thinking, { what: "bob's acceptor" });
  try {
    const refund = await net.bob.lnd.newAddress(within());
    const created = await order({ ...ORDER, refund_onchain_address: refund });
    const onchain = created.payment.onchain;
    assert.ok(onchain);
    const paid = sat(onchain.order_total_sat);
    const { txid } = await net.bob.lnd.sendCoins({ address: onchain.address, amount: paid }, within());

    // Confirmed: the LSP opens the channel, and bob thinks about it.
    const proposal = await net.h.waitFor(() => proposed, {
      what: 'the LSP to propose the channel',
      timeoutMs: 120_000,
    });
    assert.equal(proposal.remotePubkey, net.lsp.pubkey);
    assert.equal(proposal.fundingAmount, 300_000n);
    const payment: Outpoint = await net.h.waitFor(
      async () => {
        const tx = (await lspWallet()).find((t) => t.txid === txid && t.confirmations > 0);
        const out = tx?.outputs.find((o) => o.address === onchain.address);
        return out ? { txid, outputIndex: out.outputIndex } : undefined;
      },
      { what: "bob's payment confirmed in the LSP's wallet" },
    );
    const leased = async () =>
      (await net.lsp.lnd.listLeases(within())).some(
        (l) => l.outpoint.txid === payment.txid && l.outpoint.outputIndex === payment.outputIndex,
      );
    assert.ok(await leased(), 'the payment is leased for the order');

    // A tenant buys channels to alice over HTTP: one that takes all the LSP can spend, then a
    // burst that would need the order's coins too. alice pays the top-up over her own channel.
    await net.h.openChannel(net.alice, net.lsp, sat(1_000_000));
    const { client } = await lsp.newTenant('drain-co');
    await topUp(net.h, net.alice, client, 20_000);
    const wallet = await net.lsp.lnd.walletBalance(within());
    const spendable = Number(wallet.confirmed - wallet.reservedForAnchors);
    // Less the 300,000 sat promised to the order's channel, and the 50,000 sat margin the
    // channel service keeps for the funding fee.
    const big = spendable - 300_000 - 60_000;
    assert.ok(big > 1_000_000, `the LSP can spend ${spendable} sat`);
    const drained = await client.requestChannel({ clientPubkey: net.alice.pubkey, channelSize: big });
    assert.equal(drained.status, 'pending');
    await net.h.waitFor(async () => (await lspWallet()).every((t) => t.confirmations > 0), {
      what: "the drain's funding to confirm",
    });
    const burst = await Promise.allSettled(
      [40_000, 40_000, 40_000].map((channelSize) =>
        client.requestChannel({ clientPubkey: net.alice.pubkey, channelSize }),
      ),
    );
    for (const r of burst) {
      assert.equal(r.status, 'rejected', 'what is left cannot fund another channel');
      assert.equal((r.reason as LspApiError).code, 'lsp_insufficient_funds');
    }

    // alice buys a channel over LSPS1, paid by invoice, 40,000 sat larger than all the LSP's
    // own coins (its wallet less bob's payment): only with bob's coins could the wallet fund
    // it. It cannot: alice is refunded.
    const left = await net.lsp.lnd.walletBalance(within());
    const own = left.confirmed + left.locked - left.reservedForAnchors - paid;
    const aliceClient = new LspsPeerClient(net.alice, net.lsp.pubkey);
    try {
      await net.h.waitFor(() => aliceClient.ready, { what: "alice's LSPS client" });
      const greedy = await order(lsps1Order({ lsp_balance_sat: String(own + 40_000n) }), aliceClient);
      const paying = await net.alice.lnd.sendPayment(
        { paymentRequest: greedy.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 120 },
        within(180_000),
      );
      assert.equal(paying.status, 'failed', "alice's payment comes back");
      const refused = await waitOrder(
        greedy.order_id,
        (o) => o.order_state !== 'CREATED',
        "alice's order to end",
        aliceClient,
      );
      assert.equal(refused.order_state, 'FAILED', 'the LSP could not fund it');
      assert.equal(refused.payment.bolt11.state, 'REFUNDED');
    } finally {
      aliceClient.close();
    }
    const spentBy = (await lspWallet()).filter((t) =>
      t.inputs.some((i) => i.txid === payment.txid && i.outputIndex === payment.outputIndex),
    );
    assert.deepEqual(spentBy, [], "no funding took the order's payment");
    assert.ok(await leased(), 'still leased for the order');

    // bob refuses: the open fails and the order is refunded from exactly its payment.
    decide.resolve();
    const failed = await waitOrder(created.order_id, (o) => o.order_state === 'FAILED', 'the order to fail');
    assert.equal(failed.payment.onchain?.state, 'REFUNDED');
    assert.equal(failed.channel, null);
    const back = await net.h.waitFor(
      async () => {
        const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
        return txs.find((t) => t.confirmations > 0 && t.outputs.some((o) => o.address === refund));
      },
      { what: 'the refund to confirm at bob' },
    );
    const sent = (await lspWallet()).find((t) => t.txid === back.txid);
    assert.ok(sent, "the refund is the LSP's transaction");
    assert.equal(sent.label, `lsps1-refund:${created.order_id}`);
    assert.deepEqual(sent.inputs, [payment], 'it spends exactly the order’s payment');
    const received = back.outputs.find((o) => o.address === refund);
    assert.equal(received?.amount, paid - sent.fee, 'everything bob paid, minus the refund fee');
    await net.h.waitFor(async () => !(await leased()), { what: 'the lease to end with the spend' });
  } finally {
    decide.resolve();
    stop.abort();
  }
  await assertCleanAudit(lsp);
});

test('an order paid by its invoice after a part came on chain: the on-chain part goes back to the refund address', async () => {
  const refund = await net.bob.lnd.newAddress(within());
  const created = await order(
    lsps1Order({ lsp_balance_sat: '100000', client_balance_sat: '50000', refund_onchain_address: refund }),
  );
  const onchain = created.payment.onchain;
  assert.ok(onchain);
  const part = sat(20_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: part }, within());
  // bob then pays the whole order by its invoice, over the channel he bought above (once it
  // carries payments again: the refused open above may have cost a reconnection).
  await net.h.waitCanPay(net.bob, net.lsp);
  const paying = await net.bob.lnd.sendPayment(
    { paymentRequest: created.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 120 },
    within(180_000),
  );
  assert.equal(paying.status, 'succeeded');
  const done = await waitOrder(created.order_id, (o) => o.order_state !== 'CREATED', 'the order to finish');
  assert.equal(done.order_state, 'COMPLETED');
  assert.equal(done.payment.bolt11.state, 'PAID');
  assert.equal(done.payment.onchain?.state, 'REFUNDED', 'paid by invoice: the on-chain payment goes back');

  const back = await net.h.waitFor(
    async () => {
      const txs = await net.bob.lnd.listOnchainTransactions({ startHeight: 0 }, within());
      return txs.find((t) => t.confirmations > 0 && t.outputs.some((o) => o.address === refund));
    },
    { what: 'the on-chain part to come back to bob' },
  );
  const sent = (await lspWallet()).find((t) => t.txid === back.txid);
  assert.equal(sent?.label, `lsps1-refund:${created.order_id}`);
  assert.equal(
    back.outputs.find((o) => o.address === refund)?.amount,
    part - (sent?.fee ?? 0n),
    'what arrived, minus the refund fee',
  );
  await assertCleanAudit(lsp);
});

test('on-chain payment turned off: new orders are not offered it, and an order that took it still gets its payment back', async () => {
  const refund = await net.bob.lnd.newAddress(within());
  const created = await order({ ...ORDER, refund_onchain_address: refund });
  const onchain = created.payment.onchain;
  assert.ok(onchain);
  // The operator turns on-chain payment off and restarts the LSP.
  await lsp.restart((c) => ({
    ...c,
    lsps1: { ...c.lsps1, onchain: { ...c.lsps1.onchain, enabled: false } },
  }));
  const later = await order({ ...ORDER, refund_onchain_address: await net.bob.lnd.newAddress(within()) });
  assert.ok(!later.payment.onchain, 'no on-chain option for a new order');

  // The client pays the first order's address anyway (too little): it still goes back.
  const paid = sat(BigInt(onchain.order_total_sat) - 10_000n);
  await net.bob.lnd.sendCoins({ address: onchain.address, amount: paid }, within());
  const failed = await waitOrder(created.order_id, (o) => o.order_state === 'FAILED', 'the order to expire');
  assert.equal(failed.payment.onchain?.state, 'REFUNDED');
  const [back] = await refundsAt(refund, 1);
  assert.ok(back, 'the refund reached bob');
  assert.equal(back.amount, paid - back.sent.fee, 'everything that arrived, minus the refund fee');
  await assertCleanAudit(lsp);
});
