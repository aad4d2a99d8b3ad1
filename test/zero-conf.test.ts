/**
 * Story: the LSP opens a zero-conf, scid-alias channel to bob, bob's channel acceptor takes
 * it, and it carries a payment before any block is mined.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChannelOpenProposal, msat, sat } from '@blgv/core';
import { useNetwork, within } from '@blgv/testkit';

const ctx = useNetwork();

test('a zero-conf scid-alias channel carries a payment before any block is mined', async () => {
  const { h, lsp, bob } = ctx.net;
  const proposals: ChannelOpenProposal[] = [];
  let acceptorUp = false;
  await bob.lnd.acceptChannels(
    (p) => {
      proposals.push(p);
      return p.remotePubkey === lsp.pubkey
        ? { accept: true, zeroConf: p.wantsZeroConf }
        : { accept: false, error: 'who are you' };
    },
    { signal: ctx.signal, onConnected: () => (acceptorUp = true) },
  );
  await h.waitFor(() => acceptorUp, { what: "bob's channel acceptor to connect" });

  const heightBefore = (await lsp.lnd.getInfo(within())).blockHeight;
  const channel = await h.openChannel(lsp, bob, sat(500_000), { zeroConf: true });
  assert.equal(channel.zeroConf, true);
  assert.equal(channel.confirmed, false, 'not confirmed: no block was mined');
  assert.equal(channel.private, true);
  assert.equal(proposals.length, 1);
  assert.equal(proposals[0]?.wantsZeroConf, true);
  assert.equal(proposals[0]?.wantsScidAlias, true);

  const invoice = await bob.lnd.addInvoice({ amount: msat(20_000_000), memo: 'zero-conf' }, within());
  const result = await lsp.lnd.sendPayment(
    { paymentRequest: invoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 30 },
    within(),
  );
  assert.equal(result.status, 'succeeded');
  assert.equal((await bob.lnd.lookupInvoice(invoice.paymentHash, within())).state, 'settled');
  assert.equal((await lsp.lnd.getInfo(within())).blockHeight, heightBefore, 'no block was mined');
  // bob's balance updates once the commitment dance after settlement completes.
  await h.waitFor(
    async () =>
      (await bob.lnd.listChannels(within())).find((c) => c.remotePubkey === lsp.pubkey)?.localBalance ===
      20_000n,
    { what: "bob's side of the channel to hold 20,000 sat" },
  );
});
