/**
 * Story: an LSPS1 order nobody pays expires: its hold invoice is cancelled and the order ends
 * FAILED, so no channel is ever opened for it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lsps1Order } from '@blgv/protocol';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { lsps1Order } from './support/lsps1-order.ts';

let net: Network;
let lsp: TestLsp;
before(async () => {
  net = await startNetwork();
  // On the embedded database `npm start` uses (most stories run on the test Postgres).
  lsp = await startTestLsp(net, { postgres: false, file: { lsps1: { invoiceExpirySeconds: 10 } } });
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

test('an unpaid order expires: invoice cancelled, order FAILED, no channel', async () => {
  const { client } = await lsp.newTenant('slow-payer');
  const order = await client.lsps1.createOrder({
    ...lsps1Order(),
    client_node_pubkey: net.bob.pubkey,
    client_node_host: net.bob.host,
  });
  assert.equal(order.payment.bolt11.state, 'EXPECT_PAYMENT');
  const expired: Lsps1Order = await net.h.waitFor(
    async () => {
      const o = await client.lsps1.getOrder(order.order_id);
      return o.order_state === 'FAILED' ? o : undefined;
    },
    { what: 'the unpaid order to expire', timeoutMs: 90_000, intervalMs: 500 },
  );
  assert.equal(expired.payment.bolt11.state, 'REFUNDED');
  assert.equal(expired.channel, null);
  const { paymentHash } = await net.bob.lnd.decodePaymentRequest(order.payment.bolt11.invoice, within());
  assert.equal((await net.lsp.lnd.lookupInvoice(paymentHash, within())).state, 'canceled');
  assert.equal((await net.lsp.lnd.pendingChannels(within())).length, 0);
  await assertCleanAudit(lsp);
});
