import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Channel,
  type HtlcAttempt,
  msat,
  type PaymentResult,
  parseHex32,
  type SendPaymentRequest,
  sat,
} from '@blgv/core';
import { sendSinglePartFirst } from './single-part-first.ts';

const hash = parseHex32('ab'.repeat(32));
const attempt = (status: HtlcAttempt['status']): HtlcAttempt => ({
  status,
  hops: [],
  fee: msat(0n),
  amount: msat(1n),
});
const failed = (reason: 'no_route' | 'incorrect_payment_details' | 'timeout'): PaymentResult => ({
  status: 'failed',
  paymentHash: hash,
  reason,
  htlcCount: 1,
  attemptFailures: [{ code: 'temporary_channel_failure', sourceIndex: 1 }],
  attempts: [attempt('failed')],
});
const succeeded: PaymentResult = {
  status: 'succeeded',
  paymentHash: hash,
  preimage: hash,
  amount: msat(1_000n),
  fee: msat(0n),
  htlcCount: 2,
  attempts: [attempt('succeeded'), attempt('succeeded')],
};

/** The amount paid: 1,000 sat. */
const AMOUNT = msat(1_000_000n);

/** One active channel with `local` sat on our side (10 sat reserve). */
const channel = (local: number): Channel =>
  ({ active: true, localBalance: sat(local), localReserve: sat(10) }) as Channel;

/**
 * A node answering `answers` in turn, recording the parts each call allowed; its channels can
 * send at most 800 sat each unless `channels` says otherwise.
 */
function node(...answers: PaymentResult[]) {
  const parts: (number | undefined)[] = [];
  return {
    parts,
    channels: [channel(810), channel(500)],
    listChannels: async function (this: { channels: Channel[] }) {
      return this.channels;
    },
    sendPayment: async (request: SendPaymentRequest) => {
      parts.push(request.maxParts);
      const next = answers.shift();
      if (!next) throw new Error('sent once too often');
      return next;
    },
  };
}
const request = { paymentRequest: 'lnbcrt1', feeLimit: msat(1_000n), timeoutSeconds: 5 };
const signal = () => AbortSignal.timeout(1_000);

test('one part that pays is the whole payment', async () => {
  const lnd = node({ ...succeeded, htlcCount: 1, attempts: [attempt('succeeded')] });
  const r = await sendSinglePartFirst(lnd, request, AMOUNT, 16, signal);
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(lnd.parts, [1]);
});

test('no single route, but a channel of ours could send it alone: not split (the bottleneck is further on)', async () => {
  const lnd = node(failed('no_route'));
  lnd.channels = [channel(1_010), channel(5)];
  const r = await sendSinglePartFirst(lnd, request, AMOUNT, 16, signal);
  assert.equal(r.status, 'failed');
  assert.deepEqual(lnd.parts, [1]);
});

test('no single route and no channel of ours holds it: sent again split, both tries attempts listed', async () => {
  const lnd = node(failed('no_route'), succeeded);
  const r = await sendSinglePartFirst(lnd, request, AMOUNT, 16, signal);
  assert.deepEqual(lnd.parts, [1, 16]);
  assert.equal(r.status, 'succeeded');
  assert.equal(r.htlcCount, 3);
  assert.deepEqual(
    r.attempts?.map((a) => a.status),
    ['failed', 'succeeded', 'succeeded'],
  );
});

test('the split failing too: both tries failures, the later reason', async () => {
  const lnd = node(failed('no_route'), failed('timeout'));
  const r = await sendSinglePartFirst(lnd, request, AMOUNT, 4, signal);
  assert.equal(r.status, 'failed');
  assert.equal(r.status === 'failed' && r.reason, 'timeout');
  assert.equal(r.status === 'failed' && r.attemptFailures.length, 2);
});

test('a failure a split cannot help, or no parts allowed, is not sent again', async () => {
  for (const [answer, maxParts] of [
    [failed('incorrect_payment_details'), 16],
    [failed('timeout'), 16],
    [failed('no_route'), 1],
  ] as const) {
    const lnd = node(answer);
    const r = await sendSinglePartFirst(lnd, request, AMOUNT, maxParts, signal);
    assert.equal(r, answer);
    assert.deepEqual(lnd.parts, [1]);
  }
});
