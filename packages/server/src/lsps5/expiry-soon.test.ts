import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHex32, parsePubkey, sat } from '@blgv/core';
import { expiringSoon } from './expiry-soon.ts';

const carol = parsePubkey(`02${'a'.repeat(64)}`);
const dave = parsePubkey(`03${'b'.repeat(64)}`);
const htlc = (expirationHeight: number, incoming = false) => ({
  incoming,
  amount: sat(1_000),
  expirationHeight,
  paymentHash: parseHex32('ab'.repeat(32)),
});

test('an HTLC whose forced close is 24 blocks away or less makes expiry_soon with that height', () => {
  const soon = expiringSoon(
    [
      { remotePubkey: carol, htlcs: [htlc(1_034), htlc(1_030, true), htlc(1_200)] },
      { remotePubkey: dave, htlcs: [htlc(1_035)] },
    ],
    1_000,
    10,
  );
  // carol: 1,020 (the incoming one, expiry 1,030 less the margin) is the earliest; dave's
  // close would be at 1,025, 25 blocks away.
  assert.deepEqual([...soon], [[carol, 1_020]]);
});

test('no HTLC, or all far from expiry: nothing', () => {
  assert.equal(expiringSoon([{ remotePubkey: carol, htlcs: [] }], 1_000, 10).size, 0);
  assert.equal(expiringSoon([{ remotePubkey: carol, htlcs: [htlc(1_035)] }], 1_000, 10).size, 0);
  assert.deepEqual(
    [...expiringSoon([{ remotePubkey: carol, htlcs: [htlc(1_034)] }], 1_000, 10)],
    [[carol, 1_024]],
  );
});
