/**
 * Story: the LSP's HTLC interceptor sees an HTLC addressed to a short channel id that does not
 * exist, fails it back, and alice's payment fails cleanly with her money back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InterceptedHtlc, msat, sat, scidFromParts } from '@blgv/core';
import { useNetwork, within } from '@blgv/testkit';

const ctx = useNetwork();

test('an HTLC to an unknown scid is intercepted and failed back', async () => {
  const { h, alice, lsp, bob } = ctx.net;
  await h.openChannel(alice, lsp, sat(1_000_000));
  const unknownScid = scidFromParts(999_999, 42, 0);

  let connected = false;
  const interceptor = lsp.lnd.interceptHtlcs({ signal: ctx.signal, onConnected: () => (connected = true) });
  const seen: InterceptedHtlc[] = [];
  void (async () => {
    for await (const htlc of interceptor.htlcs) {
      seen.push(htlc);
      await interceptor.resolve({
        action: 'fail',
        incomingScid: htlc.incomingScid,
        incomingHtlcId: htlc.incomingHtlcId,
        failure: 'temporary_channel_failure',
      });
    }
  })();
  await h.waitFor(() => connected, { what: 'the interceptor to connect' });

  // bob (no channels) issues an invoice whose only route is a hint through the LSP's made-up scid.
  const invoice = await bob.lnd.addInvoice(
    {
      amount: msat(10_000_000),
      routeHints: [
        [
          {
            nodeId: lsp.pubkey,
            scid: unknownScid,
            feeBaseMsat: msat(0),
            feeProportionalMillionths: 0,
            cltvExpiryDelta: 144,
          },
        ],
      ],
    },
    within(),
  );
  const balanceBefore = await alice.lnd.channelBalance(within());
  const result = await alice.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(10_000), timeoutSeconds: 20, maxParts: 1 },
    within(60_000),
  );
  assert.equal(result.status, 'failed');
  assert.ok(seen.length >= 1, 'the interceptor saw the HTLC');
  assert.equal(seen[0]?.outgoingScid, unknownScid);
  assert.equal(seen[0]?.paymentHash, invoice.paymentHash);
  assert.equal(seen[0]?.outgoingAmount, 10_000_000n);

  const balanceAfter = await h.waitFor(
    async () => {
      const b = await alice.lnd.channelBalance(within());
      return b.local === balanceBefore.local ? b : undefined;
    },
    { what: "alice's channel balance to return" },
  );
  assert.equal(balanceAfter.local, balanceBefore.local);
  assert.equal((await bob.lnd.lookupInvoice(invoice.paymentHash, within())).state, 'open');
});
