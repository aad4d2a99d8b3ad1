/**
 * Story: unknown is not failed. A tenant's payment whose `SendPaymentV2` call breaks while LND
 * is still paying it stays pending and charged, and ends as LND reports it: succeeded when the
 * recipient settles, refunded when the recipient cancels. A top-up paid while the server is
 * down (and whose lookup fails when it comes back) is credited once, from LND's settlement
 * stream resumed at the stored settle index. Every test ends with a clean audit.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ErrorCode, LspError, msat, parseHex32, sat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { Faults } from './support/faulty-backend.ts';

let net: Network;
let lsp: TestLsp;
let exchange: LSPClient;
const faults = new Faults();
const streams = new AbortController();

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp: node, bob } = net;
  await h.openChannel(alice, node, sat(2_000_000));
  await h.openChannel(node, bob, sat(1_000_000), { push: sat(0) });
  lsp = await startTestLsp(net, { postgres: true, wrap: (l) => faults.wrap(l) });
  exchange = (await lsp.newTenant('exchange')).client;
  await topUp(h, alice, exchange, 300_000);
});
after(async () => {
  streams.abort();
  await lsp?.stop();
  await net?.h.stop();
});

/** bob's hold invoice of `amount` sat: paid, it stays held until bob settles or cancels it. */
async function bobHoldInvoice(amount: number) {
  const preimage = randomBytes(32);
  const paymentHash = parseHex32(createHash('sha256').update(preimage).digest('hex'));
  const { paymentRequest } = await net.bob.lnd.addHoldInvoice(
    { paymentHash, amount: msat(BigInt(amount) * 1000n), memo: 'held withdrawal' },
    within(),
  );
  const held = (async () => {
    for await (const inv of net.bob.lnd.subscribeInvoice(paymentHash, { signal: streams.signal }))
      if (inv.state === 'accepted') return;
  })();
  return { paymentRequest, paymentHash, preimage: parseHex32(preimage.toString('hex')), held };
}

/** An error LND's gRPC might throw that says nothing about the payment. */
const unexpected = () =>
  new LspError(ErrorCode.LightningRejected, 'injected: stream reset (unexpected gRPC error)');

for (const ending of ['settles', 'cancels'] as const) {
  test(`a payment whose SendPaymentV2 call breaks stays pending and charged, then ends as LND reports (bob ${ending})`, async () => {
    const before = (await exchange.getBalance()).balance;
    const invoice = await bobHoldInvoice(40_000);
    // LND takes the payment; our call fails right after, without its answer.
    const { hit } = faults.inject('sendPayment', 'fail_after', { error: unexpected });
    const payment = await exchange.sendPayment({ invoice: invoice.paymentRequest });
    await hit;
    assert.equal(payment.status, 'pending', 'an error is not a failure');
    const charged = payment.charged.total;
    assert.equal((await exchange.getBalance()).balance, before - charged, 'charged, not refunded');

    await invoice.held; // LND is paying it: bob holds the HTLC
    assert.equal((await exchange.getPayment(invoice.paymentHash)).status, 'pending');
    assert.equal((await exchange.getBalance()).balance, before - charged, 'still not refunded');
    assert.ok(
      !(await exchange.getLedger()).entries.some((e) => e.kind === 'payment_refund'),
      'no refund while LND has not reported',
    );

    if (ending === 'settles') await net.bob.lnd.settleInvoice(invoice.preimage, within());
    else await net.bob.lnd.cancelInvoice(invoice.paymentHash, within());
    const final = await net.h.waitFor(
      async () => {
        const p = await exchange.getPayment(invoice.paymentHash);
        return p.status !== 'pending' ? p : undefined;
      },
      { what: 'the payment to end as LND reports it' },
    );
    if (ending === 'settles') {
      assert.equal(final.status, 'succeeded');
      assert.equal((await exchange.getBalance()).balance, before - charged);
    } else {
      assert.equal(final.status, 'failed');
      assert.equal((await exchange.getBalance()).balance, before, 'refunded once LND said it failed');
    }
    await assertCleanAudit(lsp);
  });
}

test('a top-up paid while the server is down is credited once when it is back', async () => {
  const { h, alice } = net;
  const before = (await exchange.getBalance()).balance;
  const topup = await exchange.topUp(12_345);
  await lsp.down();
  const paid = await alice.lnd.sendPayment(
    { paymentRequest: topup.paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60 },
    within(90_000),
  );
  assert.equal(paid.status, 'succeeded');
  // Back up, and its lookup of open top-ups fails: the settlement stream, resumed from the
  // stored settle index, must credit it.
  const { hit } = faults.inject('lookupInvoice', 'fail');
  await lsp.up();
  await hit;
  await h.waitFor(async () => (await exchange.getBalance()).balance === before + 12_345, {
    what: 'the top-up paid while the server was down to be credited',
  });
  assert.equal((await exchange.getTopup(topup.paymentHash)).state, 'settled');
  await lsp.restart();
  await h.waitFor(async () => (await exchange.getTopup(topup.paymentHash)).state === 'settled', {
    what: 'the restarted server to answer',
  });
  const credits = (await exchange.getLedger()).entries.filter(
    (e) => e.kind === 'topup' && e.amount === 12_345,
  );
  assert.equal(credits.length, 1, 'credited once');
  assert.equal((await exchange.getBalance()).balance, before + 12_345);
  await assertCleanAudit(lsp);
});
