/**
 * Story: alice pays bob through the LSP over two channels the backend opened.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import { type Network, startNetwork, within } from '@blgv/testkit';

let net: Network;
before(async () => {
  net = await startNetwork();
});
after(() => net?.h.stop());

test('alice -> lsp -> bob payment over two channels opened through the backend', async () => {
  const { h, alice, lsp, bob } = net;
  await h.openChannel(alice, lsp, sat(1_000_000));
  // lsp -> bob is private: bob's invoice carries a route hint through the LSP.
  const toBob = await h.openChannel(lsp, bob, sat(1_000_000), { push: sat(0), private: true });
  assert.equal(toBob.capacity, 1_000_000n);

  // LND adds a hint for the private channel once bob knows the LSP's policy for it.
  const invoice = await h.waitFor(
    async () => {
      const inv = await bob.lnd.addInvoice(
        { amount: msat(50_000_000), memo: 'coffee', private: true },
        within(),
      );
      const decoded = await alice.lnd.decodePaymentRequest(inv.paymentRequest, within());
      assert.equal(decoded.destination, bob.pubkey);
      return decoded.routeHints[0]?.[0]?.nodeId === lsp.pubkey ? inv : undefined;
    },
    { what: "bob's invoice to carry a route hint through the lsp", intervalMs: 250 },
  );

  const result = await h.waitFor(
    async () => {
      // The hint's channel policy reaches alice's graph asynchronously; retry until it routes.
      const r = await alice.lnd.sendPayment(
        { paymentRequest: invoice.paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 30 },
        within(60_000),
      );
      return r.status === 'succeeded' ? r : undefined;
    },
    { what: 'alice to pay bob through the lsp', timeoutMs: 90_000, intervalMs: 500 },
  );
  assert.equal(result.status, 'succeeded');
  assert.equal(result.amount, 50_000_000n);
  assert.ok(result.fee > 0n, 'the LSP charged a forwarding fee');

  const settled = await bob.lnd.lookupInvoice(invoice.paymentHash, within());
  assert.equal(settled.state, 'settled');
  assert.equal(settled.amountPaid, 50_000_000n);
  assert.equal(settled.preimage, result.preimage);

  // The LSP's LND writes the forward to its log a moment after alice has the preimage.
  const forwardingLog = () =>
    lsp.lnd.forwardingHistory({ start: new Date(0), end: new Date(Date.now() + 60_000) }, within());
  await h.waitFor(async () => (await forwardingLog()).length > 0, {
    what: "the forward in the LSP's forwarding log",
    timeoutMs: 30_000,
  });
  const forwards = await forwardingLog();
  assert.equal(forwards.length, 1);
  assert.equal(forwards[0]?.amountOut, 50_000_000n);
});
