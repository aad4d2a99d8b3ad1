import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type InvoiceHtlc,
  type InvoiceHtlcRecord,
  type InvoiceHtlcState,
  type Msat,
  msat,
  parseHex32,
  scid,
} from '@blgv/core';
import { EXTRA_FEE_TLV_TYPE, extraFee, extraFeeRecord, lsps2HtlcDecision } from './lsps2-client.ts';

const hash = parseHex32('ab'.repeat(32));

function prior(id: bigint, fee: Msat | undefined, state: InvoiceHtlcState = 'accepted'): InvoiceHtlcRecord {
  return {
    incomingScid: scid(7n),
    incomingHtlcId: id,
    amount: msat(1_000_000n),
    state,
    expiryHeight: 500,
    customRecords: fee === undefined ? new Map() : extraFeeRecord(fee),
  };
}

function htlc(fee: Msat | undefined, others: InvoiceHtlcRecord[] = [], id = 9n): InvoiceHtlc {
  return {
    incomingScid: scid(7n),
    incomingHtlcId: id,
    paymentHash: hash,
    amount: msat(900_000n),
    expiry: 500,
    currentHeight: 400,
    wireCustomRecords: fee === undefined ? new Map() : extraFeeRecord(fee),
    invoice: {
      paymentHash: hash,
      paymentRequest: '',
      state: 'open',
      amount: msat(3_000_000n),
      amountPaid: msat(0n),
      preimage: undefined,
      settleIndex: 0n,
      addIndex: 1n,
      memo: '',
      htlcs: others,
    },
    invoiceHtlcs: others,
  };
}

test('extra_fee is a big-endian u64; anything else is no claim', () => {
  assert.equal(extraFee(extraFeeRecord(msat(0x0102030405n))), 0x0102030405n);
  assert.equal(extraFee(new Map()), undefined);
  assert.equal(extraFee(new Map([[EXTRA_FEE_TLV_TYPE, new Uint8Array([1, 2, 3])]])), undefined);
});

test('an HTLC without extra_fee is left alone, whatever the allowance', () => {
  assert.deepEqual(lsps2HtlcDecision(htlc(undefined), undefined), {});
  assert.deepEqual(lsps2HtlcDecision(htlc(undefined), msat(5n)), {});
});

test('a fee within the allowance counts the HTLC as amount + fee', () => {
  assert.deepEqual(lsps2HtlcDecision(htlc(msat(100_000n)), msat(100_000n)), { amountPaid: 1_000_000n });
});

test('no allowance, or a fee above it, cancels the set', () => {
  assert.deepEqual(lsps2HtlcDecision(htlc(msat(1n)), undefined), { cancelSet: true });
  assert.deepEqual(lsps2HtlcDecision(htlc(msat(100_001n)), msat(100_000n)), { cancelSet: true });
});

test('fees of the parts the invoice holds add up; cancelled parts and a replay of this one do not', () => {
  const held = [prior(1n, msat(60_000n)), prior(2n, msat(30_000n), 'canceled'), prior(3n, undefined)];
  assert.deepEqual(lsps2HtlcDecision(htlc(msat(40_000n), held), msat(100_000n)), { amountPaid: 940_000n });
  assert.deepEqual(lsps2HtlcDecision(htlc(msat(40_001n), held), msat(100_000n)), { cancelSet: true });
  const replay = [prior(9n, msat(40_000n)), prior(1n, msat(60_000n))];
  assert.deepEqual(lsps2HtlcDecision(htlc(msat(40_000n), replay), msat(100_000n)), { amountPaid: 940_000n });
});
