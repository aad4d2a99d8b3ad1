/**
 * Story: one LND error in a runner's step delays a machine but never strands it. A fault is
 * injected around the real LND (a thin wrapper of our backend port) into one step of each
 * runner, and each machine still reaches its final state without a restart: an LSPS1 order
 * whose invoice settlement fails once, a JIT channel whose scid mapping fails once, a payment
 * whose send fails once, and a top-up whose settlement stream breaks. Each ends with a clean
 * audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { Lsps1Order, Lsps2BuyResult, Lsps2Info } from '@blgv/protocol';
import {
  JitWallet,
  type Network,
  startNetwork,
  startTestLsp,
  type TestLsp,
  topUp,
  within,
} from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { Faults } from './support/faulty-backend.ts';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';

let net: Network;
let lsp: TestLsp;
let tenant: LSPClient;
let carol: JitWallet;
const faults = new Faults();
const streams = new AbortController();

before(async () => {
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp: node, bob } = net;
  await h.openChannel(alice, node, sat(3_000_000));
  await h.openChannel(bob, node, sat(1_000_000));
  await h.openChannel(node, bob, sat(1_000_000), { push: sat(0) });
  lsp = await startTestLsp(net, { wrap: (l) => faults.wrap(l) });
  tenant = (await lsp.newTenant('faults-co')).client;
  carol = await JitWallet.start(h, await h.newNode('carol', { lsps2Client: true }), node, streams.signal);
});
after(async () => {
  streams.abort();
  await lsp?.stop();
  await net?.h.stop();
});

test('an LSPS1 order whose invoice settlement fails once still completes', async () => {
  const { h, bob } = net;
  const client = await LspsPeerClient.connect(h, bob, net.lsp.pubkey);
  try {
    const created = await client.call<Lsps1Order>(
      'lsps1.create_order',
      lsps1Order({ lsp_balance_sat: '150000' }),
    );
    const order = created.result;
    assert.ok(order, JSON.stringify(created.error));
    const { hit } = faults.inject('settleInvoice', 'fail');
    const paid = await bob.lnd.sendPayment(
      { paymentRequest: order.payment.bolt11.invoice, feeLimit: msat(10_000), timeoutSeconds: 120 },
      within(150_000),
    );
    await hit;
    assert.equal(paid.status, 'succeeded', 'the order settled its invoice after the failed try');
    const done = await h.waitFor(
      async () => {
        const r = await client.call<Lsps1Order>('lsps1.get_order', { order_id: order.order_id });
        return r.result?.order_state === 'COMPLETED' ? r.result : undefined;
      },
      { what: 'the order to complete' },
    );
    assert.equal(done.payment.bolt11.state, 'PAID');
    assert.ok(done.channel, 'the channel is in the order');
  } finally {
    client.close();
  }
  await assertCleanAudit(lsp);
});

test('a JIT channel whose scid mapping fails once still carries its payment', async () => {
  const { h, alice } = net;
  await h.mine(1); // the LSP funds channels from confirmed coins: confirm the last funding's change
  const client = await LspsPeerClient.connect(h, carol.node, net.lsp.pubkey);
  try {
    const info = await client.call<Lsps2Info>('lsps2.get_info', {});
    const params = info.result?.opening_fee_params_menu[0];
    assert.ok(params, JSON.stringify(info.error));
    const bought = await client.call<Lsps2BuyResult>('lsps2.buy', { opening_fee_params: params });
    assert.ok(bought.result, JSON.stringify(bought.error));
    const amount = msat(50_000_000n);
    const fee = msat(BigInt(params.min_fee_msat));
    const invoice = await carol.invoice(bought.result, amount, fee);
    const { hit } = faults.inject('addChannelAlias', 'fail');
    const paid = await alice.lnd.sendPayment(
      { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 90, maxParts: 1 },
      within(120_000),
    );
    await hit;
    assert.equal(paid.status, 'succeeded', 'the payment waited out the failed step');
    const received = await carol.node.lnd.lookupInvoice(invoice.paymentHash, within());
    assert.equal(received.state, 'settled');
  } finally {
    client.close();
  }
  await assertCleanAudit(lsp);
});

test('a payment whose send fails once before LND saw it is sent again and succeeds', async () => {
  const { h, alice, bob } = net;
  await topUp(h, alice, tenant, 100_000);
  const invoice = await bob.lnd.addInvoice({ amount: msat(30_000_000n), memo: 'withdrawal' }, within());
  const { hit } = faults.inject('sendPayment', 'fail');
  const payment = await tenant.sendPayment({ invoice: invoice.paymentRequest });
  await hit;
  assert.equal(payment.status, 'pending', 'not failed: LND has not said anything about it');
  const final = await h.waitFor(
    async () => {
      const p = await tenant.getPayment(invoice.paymentHash);
      return p.status !== 'pending' ? p : undefined;
    },
    { what: 'the payment to be sent again and finish' },
  );
  assert.equal(final.status, 'succeeded');
  assert.equal((await bob.lnd.lookupInvoice(invoice.paymentHash, within())).state, 'settled');
  await assertCleanAudit(lsp);
});

test("a top-up whose settlement stream breaks is credited from the stream's stored position", async () => {
  const { h, alice } = net;
  const { hit } = faults.inject('subscribeInvoices', 'fail');
  const before = (await tenant.getBalance()).balance;
  await topUp(h, alice, tenant, 7_777);
  await hit;
  assert.equal((await tenant.getBalance()).balance, before + 7_777);
  await assertCleanAudit(lsp);
});
