/**
 * Story: a hold invoice is paid, held, then settled; another is cancelled and the payer gets
 * the money back.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Hex32, type InvoiceStatus, msat, parseHex32, sat } from '@blgv/core';
import type { LndNode } from '@blgv/regtest';
import { type Network, startNetwork, within } from '@blgv/testkit';

let net: Network;
const stop = new AbortController();
before(async () => {
  net = await startNetwork();
  await net.h.openChannel(net.alice, net.lsp, sat(1_000_000));
});
after(async () => {
  stop.abort();
  await net?.h.stop();
});

function newPreimage(): { preimage: Hex32; hash: Hex32 } {
  const bytes = randomBytes(32);
  return {
    preimage: parseHex32(bytes.toString('hex')),
    hash: parseHex32(createHash('sha256').update(bytes).digest('hex')),
  };
}

/** Alice's local balance (sat) once no HTLC is in flight on her channels. */
function idleLocalBalance(node: LndNode): Promise<bigint> {
  return net.h.waitFor(
    async () => {
      const channels = await node.lnd.listChannels(within());
      if (channels.some((c) => c.pendingHtlcs > 0)) return undefined;
      return channels.reduce((sum, c) => sum + c.localBalance, 0n);
    },
    { what: `${node.name}'s channels to have no HTLC in flight` },
  );
}

/** Follows one invoice and resolves once it reaches `state`. */
async function reach(node: LndNode, hash: Hex32, state: InvoiceStatus['state']): Promise<InvoiceStatus> {
  for await (const update of node.lnd.subscribeInvoice(hash, {
    signal: AbortSignal.any([stop.signal, within(60_000)]),
  })) {
    if (update.state === state) return update;
  }
  throw new Error(`invoice ${hash} ended before reaching ${state}`);
}

test('a hold invoice is paid, held, then settled', async () => {
  const { alice, lsp } = net;
  const { preimage, hash } = newPreimage();
  const { paymentRequest } = await lsp.lnd.addHoldInvoice(
    { paymentHash: hash, amount: msat(30_000_000) },
    within(),
  );
  const accepted = reach(lsp, hash, 'accepted');
  const payment = alice.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(0), timeoutSeconds: 60 },
    within(90_000),
  );

  const held = await accepted;
  assert.equal(held.amountPaid, 30_000_000n);
  assert.equal((await lsp.lnd.lookupInvoice(hash, within())).state, 'accepted');

  await lsp.lnd.settleInvoice(preimage, within());
  const result = await payment;
  assert.equal(result.status, 'succeeded');
  assert.equal(result.status === 'succeeded' && result.preimage, preimage);
  assert.equal((await lsp.lnd.lookupInvoice(hash, within())).state, 'settled');
});

test('a cancelled hold invoice returns the payer her money', async () => {
  const { alice, lsp } = net;
  const { hash } = newPreimage();
  const before = await idleLocalBalance(alice);
  const { paymentRequest } = await lsp.lnd.addHoldInvoice(
    { paymentHash: hash, amount: msat(40_000_000) },
    within(),
  );
  const accepted = reach(lsp, hash, 'accepted');
  const payment = alice.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(0), timeoutSeconds: 60 },
    within(90_000),
  );
  await accepted;
  const during = (await alice.lnd.listChannels(within()))[0];
  assert.equal(during?.pendingHtlcs, 1, 'the HTLC holds her money');
  assert.ok((during?.localBalance ?? 0n) <= before - 40_000n);

  await lsp.lnd.cancelInvoice(hash, within());
  const result = await payment;
  assert.equal(result.status, 'failed');
  assert.equal(result.status === 'failed' && result.reason, 'incorrect_payment_details');
  assert.equal(await idleLocalBalance(alice), before, "alice's balance is back");
  assert.equal((await lsp.lnd.lookupInvoice(hash, within())).state, 'canceled');
});
