import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HtlcAttempt, msat, parsePubkey, scid } from '@blgv/core';
import { attemptsFromJson, attemptsToJson } from './payment-attempts-json.ts';

test('HTLC attempts survive the column exactly, msat and scids beyond 2^53 included', () => {
  const carol = parsePubkey(`02${'aa'.repeat(32)}`);
  const bob = parsePubkey(`03${'bb'.repeat(32)}`);
  const attempts: HtlcAttempt[] = [
    {
      status: 'failed',
      hops: [
        { pubkey: carol, scid: scid(2n ** 60n + 1n), fee: msat(0n) },
        { pubkey: bob, scid: scid(456n), fee: msat(0n) },
      ],
      fee: msat(0n),
      amount: msat(9_007_199_254_740_993n),
      failure: { code: 'temporary_channel_failure', sourceIndex: 1, pubkey: carol, scid: scid(456n) },
    },
    {
      status: 'succeeded',
      hops: [{ pubkey: bob, scid: scid(789n), fee: msat(0n) }],
      fee: msat(0n),
      amount: msat(5n),
    },
  ];
  const text = attemptsToJson(attempts);
  assert.deepEqual(attemptsFromJson(text), attempts);
  assert.match(text, /"amountMsat":"9007199254740993"/);
});
