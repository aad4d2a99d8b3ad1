import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DecodedPaymentRequest, ErrorCode, isLspError, LspError, msat, sat } from '@blgv/core';
import { amountToPay, decodePayable } from './payable-invoice.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');

function invoice(amount: bigint, issuedMsAgo = 0, expirySeconds = 3600): DecodedPaymentRequest {
  return {
    amount: msat(amount),
    timestamp: new Date(NOW - issuedMsAgo),
    expirySeconds,
  } as Partial<DecodedPaymentRequest> as DecodedPaymentRequest;
}

const reading = (decoded: DecodedPaymentRequest | Error) => ({
  decodePaymentRequest: async () => {
    if (decoded instanceof Error) throw decoded;
    return decoded;
  },
});
const at = { now: NOW, signal: AbortSignal.timeout(1_000) };

test('an invoice past its expiry is invoice_expired, naming the field; one second before, it is read', async () => {
  await assert.rejects(
    decodePayable(reading(invoice(1_000n, 3_600_000)), 'lnbcrt1…', at),
    (e: unknown) =>
      isLspError(e, ErrorCode.InvoiceExpired) &&
      e.details?.field === 'invoice' &&
      /expired at 2026-12-06T12:00:00/.test(e.message),
  );
  const live = invoice(1_000n, 3_599_000);
  assert.equal(await decodePayable(reading(live), 'lnbcrt1…', at), live);
});

test("the node's refusal to read an invoice is invalid_input on the invoice field; other failures pass through", async () => {
  await assert.rejects(
    decodePayable(reading(new LspError(ErrorCode.InvalidInput, 'checksum failed')), 'x', at),
    (e: unknown) => isLspError(e, ErrorCode.InvalidInput) && e.message === 'invoice: checksum failed',
  );
  await assert.rejects(
    decodePayable(reading(new LspError(ErrorCode.LightningUnavailable, 'down')), 'x', at),
    (e: unknown) => isLspError(e, ErrorCode.LightningUnavailable),
  );
});

test("the amount is the invoice's, or the one given for an invoice without one; never both, never neither", () => {
  assert.equal(amountToPay(invoice(5_000n), undefined, 'amount'), 5_000n);
  assert.equal(amountToPay(invoice(0n), sat(7), 'amountSat'), 7_000n);
  assert.throws(
    () => amountToPay(invoice(5_000n), sat(7), 'amountSat'),
    (e: unknown) =>
      isLspError(e, ErrorCode.InvalidInput) &&
      e.message === 'amountSat: the invoice has an amount; leave amountSat out',
  );
  for (const given of [undefined, sat(0)]) {
    assert.throws(
      () => amountToPay(invoice(0n), given, 'amount'),
      (e: unknown) => isLspError(e, ErrorCode.InvalidInput) && e.details?.field === 'amount',
    );
  }
});
