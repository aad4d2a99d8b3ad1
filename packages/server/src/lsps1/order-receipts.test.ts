import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OutputLease, parseHex32 } from '@blgv/core';
import { leasesToTake, leasesUnder, RECEIPT_LEASE_SECONDS, receiptLockId } from './receipt-leases.ts';

const ORDER = '6f0c3f39-5a42-4b8e-9d55-1f2a3b4c5d6e';
const txid = (b: string) => parseHex32(b.repeat(32));

test("an order's lock id is 32 bytes derived from it: the same after a restart, another for another order", () => {
  const id = receiptLockId(ORDER);
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(receiptLockId(ORDER), id);
  assert.notEqual(receiptLockId('6f0c3f39-5a42-4b8e-9d55-1f2a3b4c5d6f'), id);
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
