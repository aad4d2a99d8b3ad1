/**
 * Story: an exchange reserves liquidity and pays its customers' invoices through the LSP
 * (the spec's `sendPayment({ invoice, reservationId })`). The ledger shows amount, routing fee,
 * reservation fee and utilization fee exactly; the same invoice paid twice is paid once; a
 * payment that fails is refunded and gives its reservation back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { msat, parseHex32, sat } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import { assertCleanAudit } from './support/audit.ts';
import { assertEventsEndIn } from './support/events.ts';

let net: Network;
let lsp: TestLsp;
let exchange: LSPClient;

const RESERVATION_FEE = 25;
const UTILIZATION_PPM = 1_000;
/** The largest top-up (the first one is this much). */
const MAX_TOPUP = 400_000;

before(async () => {
  net = await startNetwork();
  const { h, alice, lsp: node, bob } = net;
  await h.openChannel(alice, node, sat(2_000_000));
  await h.openChannel(node, bob, sat(1_000_000), { push: sat(0) });
  lsp = await startTestLsp(net, {
    postgres: true,
    file: {
      fees: { liquidity: { reservationFee: RESERVATION_FEE, utilizationFeePpm: UTILIZATION_PPM } },
      topups: { maxAmount: MAX_TOPUP },
    },
  });
  exchange = (await lsp.newTenant('exchange')).client;
  await topUp(h, alice, exchange, MAX_TOPUP);
});
after(async () => {
  await lsp?.stop();
  await net?.h.stop();
});

/** bob's invoice for `amountSat` (no amount when undefined). */
async function bobInvoice(amountSat?: number): Promise<{ paymentRequest: string; paymentHash: string }> {
  const inv = await net.bob.lnd.addInvoice(
    { ...(amountSat === undefined ? {} : { amount: msat(BigInt(amountSat) * 1000n) }), memo: 'withdrawal' },
    within(),
  );
  return { paymentRequest: inv.paymentRequest, paymentHash: inv.paymentHash };
}

/** The ledger entries made since `since` (newest first), as `kind amount` lines. */
async function entriesSince(since: number): Promise<string[]> {
  const all = (await exchange.getLedger()).entries;
  return all.slice(0, all.length - since).map((e) => `${e.kind} ${e.amount}`);
}

async function code(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof LspApiError, String(err));
    assert.ok(err.status >= 400 && err.status < 500, `${err.status}: ${err.message}`);
    return err.code;
  }
  assert.fail('expected a refusal');
}

test('a reserved payment of 100,000 sat: ledger shows amount, routing, reservation and utilization fees exactly', async () => {
  const ledgerSize = (await exchange.getLedger()).entries.length;
  const reservation = await exchange.requestLiquidity({
    amount: 150_000,
    duration: 600_000,
    maxFeeRate: 2_000,
  });
  // (25 + 150) sat fully used, in ppm of 150,000, rounded up.
  assert.equal(reservation.feeRate, 1167);

  const invoice = await bobInvoice(100_000);
  const payment = await exchange.sendPayment({
    invoice: invoice.paymentRequest,
    reservationId: reservation.reservationId,
  });
  assert.equal(payment.status, 'succeeded', payment.failure ?? '');
  assert.equal(payment.paymentHash, invoice.paymentHash);
  assert.equal(payment.amountMsat, '100000000');
  assert.equal(payment.routeCount, 1);
  assert.equal(payment.feePaidMsat, '0', 'a direct channel: the network took nothing');
  // Routing fee: 1,000 msat + 100 ppm of 100,000,000 msat = 11,000 msat = 11 sat.
  // Utilization fee: 1,000 ppm of 100,000 sat = 100 sat.
  assert.deepEqual(payment.charged, { amount: 100_000, routingFee: 11, utilizationFee: 100, total: 100_111 });
  assert.deepEqual(await entriesSince(ledgerSize), [
    'utilization_fee -100',
    'routing_fee -11',
    'payment -100000',
    'reservation_fee -25',
  ]);
  assert.equal((await exchange.getBalance()).balance, 400_000 - 25 - 100_111);
  const settled = await net.bob.lnd.lookupInvoice(parseHex32(invoice.paymentHash), within());
  assert.equal(settled.state, 'settled');
  assert.equal(settled.amountPaid, 100_000_000n);

  // The reservation gave the amount plus the fee limit.
  const after = await exchange.getReservation(reservation.reservationId);
  assert.equal(after.used, 100_011);
  assert.equal(after.remaining, 150_000 - 100_011);
  assert.deepEqual(await exchange.getPayment(invoice.paymentHash), payment);

  // Paying the same invoice again returns the first payment and charges nothing.
  const again = await exchange.sendPayment({
    invoice: invoice.paymentRequest,
    reservationId: reservation.reservationId,
  });
  assert.deepEqual(again, payment);
  assert.equal((await exchange.getLedger()).entries.length, ledgerSize + 4);

  // What is left of the reservation does not cover another 100,000 sat.
  const next = await bobInvoice(100_000);
  assert.equal(
    await code(
      exchange.sendPayment({ invoice: next.paymentRequest, reservationId: reservation.reservationId }),
    ),
    'reservation_exceeded',
  );
  await exchange.releaseReservation(reservation.reservationId);
  const small = await bobInvoice(1_000);
  assert.equal(
    await code(
      exchange.sendPayment({ invoice: small.paymentRequest, reservationId: reservation.reservationId }),
    ),
    'reservation_inactive',
  );
  assert.equal((await exchange.getLedger()).entries.length, ledgerSize + 4);
  assert.deepEqual(await assertEventsEndIn(exchange, 'payment', invoice.paymentHash, 'succeeded'), [
    'pending',
    'succeeded',
  ]);
  assert.deepEqual(await assertEventsEndIn(exchange, 'reservation', reservation.reservationId, 'released'), [
    'active',
    'released',
  ]);
  await assertCleanAudit(lsp);
});

test('a reservation used up in small payments costs in utilization fees no more than it was quoted', async () => {
  const reservation = await exchange.requestLiquidity({
    amount: 5_000,
    duration: 600_000,
    maxFeeRate: 6_000,
  });
  // (25 + ceil(5,000 × 1,000 / 1e6) = 5) sat fully used, in ppm of 5,000.
  assert.equal(reservation.feeRate, 6_000);
  const charged: number[] = [];
  for (let i = 0; i < 8; i++) {
    const invoice = await bobInvoice(500);
    const payment = await exchange.sendPayment({
      invoice: invoice.paymentRequest,
      reservationId: reservation.reservationId,
    });
    assert.equal(payment.status, 'succeeded', payment.failure ?? '');
    charged.push(payment.charged.utilizationFee);
  }
  // Each 500 sat payment's own fee is half a sat, rounded up to 1: the first five pay the 5 sat
  // quoted, the rest nothing (8 sat in all before, 60 % over the quote).
  assert.deepEqual(charged, [1, 1, 1, 1, 1, 0, 0, 0]);
  await exchange.releaseReservation(reservation.reservationId);
  await assertCleanAudit(lsp);
});

test('a payment short by more than one top-up can bring is a 402 with the largest top-up, saying more is needed', async () => {
  const big = await bobInvoice(750_000);
  const err = await exchange.sendPayment({ invoice: big.paymentRequest }).then(
    () => assert.fail('expected payment_required'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LspApiError, String(err));
  assert.equal(err.status, 402, err.message);
  assert.equal(err.code, 'payment_required');
  const topup = err.details?.topup as { amount: number; paymentRequest: string };
  assert.equal(topup.amount, MAX_TOPUP, 'topups.maxAmount, not the whole shortfall');
  // 750,000 sat + 1,000 msat + 100 ppm of it (76 sat, rounded up), less the balance.
  const short = 750_076 - (await exchange.getBalance()).balance;
  assert.ok(short > MAX_TOPUP);
  assert.ok(
    err.message.includes(`a top-up is at most ${MAX_TOPUP} sat: ${short - MAX_TOPUP} sat more are needed`),
    err.message,
  );
  assert.equal((await net.bob.lnd.decodePaymentRequest(topup.paymentRequest, within())).amount, 400_000_000n);
});

test('a payment the recipient refuses fails, is refunded, and gives its reservation back; a retry is a new attempt', async () => {
  const reservation = await exchange.requestLiquidity({
    amount: 200_000,
    duration: 600_000,
    maxFeeRate: 2_000,
  });
  const balance = (await exchange.getBalance()).balance;
  const ledgerSize = (await exchange.getLedger()).entries.length;
  // bob cancels his invoice before it is paid: the payment fails at the destination.
  const invoice = await bobInvoice(150_000);
  await net.bob.lnd.cancelInvoice(parseHex32(invoice.paymentHash), within());

  const utilizationBefore = BigInt((await lsp.admin.admin.figures('24h')).revenue.bySource.utilization);
  const failed = await exchange.sendPayment({
    invoice: invoice.paymentRequest,
    reservationId: reservation.reservationId,
  });
  assert.equal(failed.status, 'failed');
  assert.match(failed.failure ?? '', /incorrect_payment_details|payment details/);
  assert.equal(failed.attempt, 1);
  // Routing fee: 1,000 msat + 100 ppm of 150,000,000 msat = 16,000 msat; utilization 150 sat.
  assert.deepEqual(failed.charged, { amount: 150_000, routingFee: 16, utilizationFee: 150, total: 150_166 });
  assert.deepEqual(await entriesSince(ledgerSize), [
    'utilization_fee_refund 150',
    'payment_refund 150016',
    'utilization_fee -150',
    'routing_fee -16',
    'payment -150000',
  ]);
  assert.equal((await exchange.getBalance()).balance, balance);
  const restored = await exchange.getReservation(reservation.reservationId);
  assert.equal(restored.used, 0);
  assert.equal(restored.state, 'active');

  // Paying it again is a new attempt (charged and refunded again under its own reference).
  const retried = await exchange.sendPayment({
    invoice: invoice.paymentRequest,
    reservationId: reservation.reservationId,
  });
  assert.equal(retried.status, 'failed');
  assert.equal(retried.attempt, 2);
  assert.equal((await exchange.getLedger()).entries.length, ledgerSize + 10);
  assert.equal(
    BigInt((await lsp.admin.admin.figures('24h')).revenue.bySource.utilization),
    utilizationBefore,
    'the utilization fees of failed payments are not revenue: refunded',
  );
  assert.equal((await exchange.getBalance()).balance, balance);
  await exchange.releaseReservation(reservation.reservationId);
  await assertCleanAudit(lsp);
});

test('an amountless invoice is paid without a reservation for the amount given; bad orders are refused', async () => {
  const balance = (await exchange.getBalance()).balance;
  const amountless = await bobInvoice();
  const paid = await exchange.sendPayment({ invoice: amountless.paymentRequest, amount: 5_000 });
  assert.equal(paid.status, 'succeeded', paid.failure ?? '');
  assert.equal(paid.amountMsat, '5000000');
  assert.equal(paid.reservationId, null);
  // 1,000 msat + 100 ppm of 5,000,000 msat = 1,500 msat: 2 sat rounded up; no utilization fee.
  assert.deepEqual(paid.charged, { amount: 5_000, routingFee: 2, utilizationFee: 0, total: 5_002 });
  assert.equal((await exchange.getBalance()).balance, balance - 5_002);
  const received = await net.bob.lnd.lookupInvoice(parseHex32(amountless.paymentHash), within());
  assert.equal(received.amountPaid, 5_000_000n);

  const withAmount = await bobInvoice(1_000);
  assert.equal(
    await code(exchange.sendPayment({ invoice: withAmount.paymentRequest, amount: 1_000 })),
    'invalid_input',
  );
  assert.equal(
    await code(exchange.sendPayment({ invoice: (await bobInvoice()).paymentRequest })),
    'invalid_input',
  );
  assert.equal(
    await code(
      exchange.sendPayment({ invoice: withAmount.paymentRequest, reservationId: crypto.randomUUID() }),
    ),
    'not_found',
  );
  // The LSP's own invoice is not a payment to send.
  const own = await net.lsp.lnd.addInvoice({ amount: msat(1_000_000n) }, within());
  assert.equal(await code(exchange.sendPayment({ invoice: own.paymentRequest })), 'invalid_input');
  // More than the unreserved liquidity, without a reservation.
  const huge = await bobInvoice(5_000_000);
  assert.equal(await code(exchange.sendPayment({ invoice: huge.paymentRequest })), 'lsp_insufficient_funds');
  assert.equal((await exchange.getBalance()).balance, balance - 5_002);
  await assertCleanAudit(lsp);
});
