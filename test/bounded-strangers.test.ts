/**
 * Story: a stranger cannot make the LSP hold unbounded state. Bob, a peer with no account,
 * asks for order after order and buy after buy over peer messages: past his caps he is refused
 * with LSPS error 1 (`client_rejected`) and a message saying why, nothing more is created (LND
 * holds no more open invoices than his cap), and alice, another peer, is still served.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lsps1Order, Lsps2BuyResult, Lsps2Info } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import { LspsPeerClient } from './support/lsps-peer-client.ts';
import { lsps1Order } from './support/lsps1-order.ts';

/** Caps of this story: small, so the flood reaches them quickly. */
const CAP = 3;

let net: Network;
let lsp: TestLsp;
let bob: LspsPeerClient;
let alice: LspsPeerClient;

before(async () => {
  net = await startNetwork();
  lsp = await startTestLsp(net, {
    file: {
      lsps1: { maxUnpaidOrdersPerClient: CAP },
      lsps2: { maxOpenBuysPerClient: CAP },
    },
  });
  await Promise.all([
    net.bob.lnd.connectPeer(net.lsp.pubkey, net.lsp.host, within()),
    net.alice.lnd.connectPeer(net.lsp.pubkey, net.lsp.host, within()),
  ]);
  bob = new LspsPeerClient(net.bob, net.lsp.pubkey);
  alice = new LspsPeerClient(net.alice, net.lsp.pubkey);
  await net.h.waitFor(() => bob.ready && alice.ready, { what: 'the peers’ LSPS clients' });
});
after(async () => {
  bob?.close();
  alice?.close();
  await lsp?.stop();
  await net?.h.stop();
});

test('a peer flooding create_order is refused past its cap with client_rejected; another peer is still served', async () => {
  const answers = [];
  for (let i = 0; i < CAP + 3; i++)
    answers.push(await bob.call<Lsps1Order>('lsps1.create_order', lsps1Order()));
  const created = answers.filter((a) => a.result).map((a) => a.result as Lsps1Order);
  const refused = answers.filter((a) => a.error);
  assert.equal(created.length, CAP, 'up to the cap, orders are created');
  assert.equal(refused.length, 3);
  for (const r of refused) {
    assert.equal(r.error?.code, 1, JSON.stringify(r.error));
    assert.equal(r.error?.message, 'Client rejected');
    assert.match(String((r.error?.data as { message?: string })?.message), /unpaid orders/);
  }
  // LND holds one open invoice per created order, and none for the refused ones.
  const open = await net.lsp.lnd.openInvoices(within());
  const invoices = new Set(created.map((o) => o.payment.bolt11.invoice));
  assert.equal(open.filter((i) => invoices.has(i.paymentRequest)).length, CAP);
  assert.equal(open.length, CAP, 'no other invoice was made');

  const served = await alice.call<Lsps1Order>('lsps1.create_order', lsps1Order());
  assert.ok(served.result, `alice is served: ${JSON.stringify(served.error)}`);
});

test('a peer flooding lsps2.buy is refused past its cap; another peer still buys', async () => {
  const info = await bob.call<Lsps2Info>('lsps2.get_info', {});
  const [params] = info.result?.opening_fee_params_menu ?? [];
  assert.ok(params, JSON.stringify(info));
  const answers = [];
  for (let i = 0; i < CAP + 2; i++)
    answers.push(await bob.call<Lsps2BuyResult>('lsps2.buy', { opening_fee_params: params }));
  assert.equal(answers.filter((a) => a.result).length, CAP);
  const refused = answers.filter((a) => a.error);
  assert.equal(refused.length, 2);
  for (const r of refused) {
    assert.equal(r.error?.code, 1, JSON.stringify(r.error));
    assert.match(String((r.error?.data as { message?: string })?.message), /JIT channel buys/);
  }
  const aliceInfo = await alice.call<Lsps2Info>('lsps2.get_info', {});
  const [aliceParams] = aliceInfo.result?.opening_fee_params_menu ?? [];
  const served = await alice.call<Lsps2BuyResult>('lsps2.buy', { opening_fee_params: aliceParams });
  assert.ok(served.result, `alice still buys: ${JSON.stringify(served.error)}`);
});
