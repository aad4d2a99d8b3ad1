import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OnchainTransaction, type OrderState, type OutputLease, parseHex32, sat } from '@blgv/core';
import {
  leasesToTake,
  leasesUnder,
  RECEIPT_LEASE_SECONDS,
  receiptCustody,
  receiptLockId,
  spentForGood,
} from './order-receipts.ts';

const ORDER = '6f0c3f39-5a42-4b8e-9d55-1f2a3b4c5d6e';
const txid = (b: string) => parseHex32(b.repeat(32));

test("an order's lock id is 32 bytes derived from it: the same after a restart, another for another order", () => {
  const id = receiptLockId(ORDER);
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(receiptLockId(ORDER), id);
  assert.notEqual(receiptLockId('6f0c3f39-5a42-4b8e-9d55-1f2a3b4c5d6f'), id);
});

const custody = (state: OrderState, paymentMethod: 'bolt11' | 'onchain' | null, refunds = []) =>
  receiptCustody({ state, paymentMethod }, refunds);
const live = { replacedBy: null, confirmedAt: null };
const replaced = { replacedBy: 'ab', confirmedAt: null };
const confirmed = { replacedBy: null, confirmedAt: new Date() };

test('receipts are held while the order runs, whatever paid it', () => {
  for (const state of ['awaiting_payment', 'payment_held', 'opening', 'publishing', 'refunding'] as const) {
    assert.equal(custody(state, 'onchain'), 'hold', state);
    assert.equal(custody(state, null), 'hold', state);
  }
  assert.equal(custody('settling', 'bolt11'), 'hold', 'paid by invoice: the receipt is not its payment');
});

test('receipts that paid for a published channel are the LSP’s: released', () => {
  assert.equal(custody('settling', 'onchain'), 'release');
  assert.equal(custody('completed', 'onchain'), 'release');
});

test("a failed order's receipts are held until its refund confirms", () => {
  assert.equal(receiptCustody({ state: 'failed', paymentMethod: 'onchain' }, [replaced, live]), 'hold');
  assert.equal(
    receiptCustody({ state: 'failed', paymentMethod: 'onchain' }, [replaced, confirmed]),
    'release',
  );
  // Too little arrived to pay for its own refund: nothing will spend it for the client.
  assert.equal(custody('failed', 'onchain'), 'release');
});

test('receipts that paid for nothing go back to the client', () => {
  assert.equal(custody('completed', 'bolt11'), 'refund', 'paid by its invoice as well');
  assert.equal(custody('failed', 'bolt11'), 'refund');
  assert.equal(custody('expired', null), 'refund', 'paid after the order expired');
  assert.equal(receiptCustody({ state: 'completed', paymentMethod: 'bolt11' }, [live]), 'hold');
  assert.equal(receiptCustody({ state: 'completed', paymentMethod: 'bolt11' }, [confirmed]), 'release');
});

function tx(
  id: string,
  confirmations: number,
  inputs: { txid: string; outputIndex: number }[],
): OnchainTransaction {
  return {
    txid: txid(id),
    confirmations,
    blockHeight: confirmations ? 100 : 0,
    fee: sat(0n),
    label: '',
    outputs: [],
    inputs: inputs.map((i) => ({ txid: parseHex32(i.txid), outputIndex: i.outputIndex })),
  };
}

test('an output is spent for good once a confirmed transaction spends it', () => {
  const a = { txid: txid('aa'), outputIndex: 0 };
  const b = { txid: txid('bb'), outputIndex: 1 };
  const spent = spentForGood([tx('cc', 1, [a]), tx('dd', 0, [b])]);
  assert.deepEqual([...spent], [`${a.txid}:0`], 'a mempool spend may still be replaced or dropped');
});

test('receipts are leased when they have no lease under the order’s id, or it runs low', () => {
  const lockId = receiptLockId(ORDER);
  const now = new Date('2026-01-01T00:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);
  const [fresh, low, foreign, none, gone] = ['a1', 'b2', 'c3', 'd4', 'e5'].map((b) => ({
    txid: txid(b),
    outputIndex: 0,
  }));
  const full = RECEIPT_LEASE_SECONDS * 1000;
  const leases: OutputLease[] = [
    { lockId, outpoint: fresh as never, expiresAt: at(full - 1000) },
    { lockId, outpoint: low as never, expiresAt: at(full / 2 - 1000) },
    { lockId: txid('ff'), outpoint: foreign as never, expiresAt: at(full) },
  ];
  const spent = new Set([`${gone?.txid}:0`]);
  const take = leasesToTake([fresh, low, foreign, none, gone] as never, spent, leases, lockId, now);
  assert.deepEqual(
    take,
    [low, foreign, none],
    'renewed, taken (LND refuses it if another id holds it), taken',
  );
  assert.deepEqual(leasesUnder(leases, lockId), [fresh, low]);
});
