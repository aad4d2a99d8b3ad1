/**
 * Story: the LSP node charges the fee schedule's routing fees for forwarding, on the channels
 * it had when the server started and on channels opened afterwards (here by a peer). Payers
 * see it in the fee they pay to route through the LSP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Msat, msat, sat } from '@blgv/core';
import type { LndNode } from '@blgv/regtest';
import { type Network, startNetwork, startTestLsp, type TestLsp, within } from '@blgv/testkit';

let net: Network;
let lsp: TestLsp;

const BASE_FEE_MSAT = 2_000n;
const FEE_PPM = 250n;

before(async () => {
  net = await startNetwork();
  // Channels from before the server starts: the LSP's to alice, and alice's to the LSP.
  await net.h.openChannel(net.lsp, net.alice, sat(1_000_000), { push: sat(0) });
  await net.h.openChannel(net.alice, net.lsp, sat(1_000_000), { push: sat(0) });
  lsp = await startTestLsp(net, {
    postgres: true,
    file: { fees: { routing: { baseFeeMsat: Number(BASE_FEE_MSAT), feeRatePpm: Number(FEE_PPM) } } },
  });
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** `payer` pays `payee` `amount` through the LSP; resolves with the fee once it is the schedule's. */
async function feeThroughLsp(payer: LndNode, payee: LndNode, amount: Msat): Promise<bigint> {
  const expected = BASE_FEE_MSAT + (amount * FEE_PPM) / 1_000_000n;
  return net.h.waitFor(
    async () => {
      // Until the payer has the LSP's new channel_update it may pay the old fee (and LND
      // learns the new one from the failure): each try is a fresh invoice.
      const invoice = await payee.lnd.addInvoice({ amount, memo: 'fee probe' }, within());
      const paid = await payer.lnd.sendPayment(
        { paymentRequest: invoice.paymentRequest, feeLimit: msat(1_000_000n), timeoutSeconds: 30 },
        within(60_000),
      );
      return paid.status === 'succeeded' && paid.fee === expected ? paid.fee : undefined;
    },
    { what: `a payment through the LSP to pay ${expected} msat in fees` },
  );
}

test("a channel the LSP had at start forwards at the schedule's fee", async () => {
  // bob -> lsp -> alice: the LSP's policy on its channel to alice.
  await net.h.openChannel(net.bob, net.lsp, sat(1_000_000), { push: sat(0) });
  const amount = msat(40_000_000n);
  assert.equal(
    await feeThroughLsp(net.bob, net.alice, amount),
    BASE_FEE_MSAT + (amount * FEE_PPM) / 1_000_000n,
  );
});

test("a channel opened after start, outside the server, gets the schedule's fee too", async () => {
  // alice -> lsp -> bob over a channel the LSP node opened to bob after the server started.
  const amount = msat(30_000_000n);
  await net.h.openChannel(net.lsp, net.bob, sat(1_000_000), { push: sat(0) });
  assert.equal(
    await feeThroughLsp(net.alice, net.bob, amount),
    BASE_FEE_MSAT + (amount * FEE_PPM) / 1_000_000n,
  );
});
