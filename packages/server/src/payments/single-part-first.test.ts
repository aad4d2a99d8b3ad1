import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DecodedPaymentRequest,
  type HtlcAttempt,
  msat,
  type PaymentResult,
  parseHex32,
  type RouteProbabilityRequest,
  type SendPaymentRequest,
} from '@blgv/core';
import pino from 'pino';
import { sendSinglePartFirst, wholeRouteFits } from './single-part-first.ts';

const hash = parseHex32('ab'.repeat(32));
const attempt = (status: HtlcAttempt['status']): HtlcAttempt => ({
  status,
  hops: [],
  fee: msat(0n),
  amount: msat(1n),
});
/** A failure; `tried`: after one HTLC that failed on the way, else before any HTLC. */
const failed = (
  reason: 'no_route' | 'incorrect_payment_details' | 'timeout',
  tried = false,
): PaymentResult => ({
  status: 'failed',
  paymentHash: hash,
  reason,
  htlcCount: tried ? 1 : 0,
  attemptFailures: tried ? [{ code: 'temporary_channel_failure', sourceIndex: 1 }] : [],
  attempts: tried ? [attempt('failed')] : [],
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

/** A node answering `answers` in turn, recording the parts each call allowed. */
function node(...answers: PaymentResult[]) {
  const parts: (number | undefined)[] = [];
  return {
    parts,
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
/** The graph has no path with the capacity for the whole amount. */
const noWholeRoute = async () => false;

test('one part that pays is the whole payment', async () => {
  const lnd = node({ ...succeeded, htlcCount: 1, attempts: [attempt('succeeded')] });
  const r = await sendSinglePartFirst(lnd, request, 16, signal, { wholeFits: noWholeRoute });
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(lnd.parts, [1]);
});

test('one-part routes tried and failed on the way: not split (the capacity is there, the liquidity not)', async () => {
  const lnd = node(failed('no_route', true));
  const r = await sendSinglePartFirst(lnd, request, 16, signal, { wholeFits: noWholeRoute });
  assert.equal(r.status, 'failed');
  assert.deepEqual(lnd.parts, [1]);
});

test('no path carries it whole (no HTLC tried): sent again split, both tries attempts listed', async () => {
  const lnd = node(failed('no_route'), succeeded);
  const r = await sendSinglePartFirst(lnd, request, 16, signal, { wholeFits: noWholeRoute });
  assert.deepEqual(lnd.parts, [1, 16]);
  assert.equal(r.status, 'succeeded');
  assert.equal(r.htlcCount, 2);
  assert.deepEqual(
    r.attempts?.map((a) => a.status),
    ['succeeded', 'succeeded'],
  );
});

test('the split failing too: both tries failures, the later reason', async () => {
  const lnd = node(failed('no_route'), failed('timeout', true));
  const r = await sendSinglePartFirst(lnd, request, 4, signal, { wholeFits: noWholeRoute });
  assert.deepEqual(lnd.parts, [1, 4]);
  assert.equal(r.status, 'failed');
  assert.equal(r.status === 'failed' && r.reason, 'timeout');
  assert.equal(r.htlcCount, 1);
  assert.equal(r.status === 'failed' && r.attemptFailures.length, 1);
});

test('a failure a split cannot help, or no parts allowed, is not sent again', async () => {
  for (const [answer, maxParts] of [
    [failed('incorrect_payment_details'), 16],
    [failed('timeout'), 16],
    [failed('no_route'), 1],
  ] as const) {
    const lnd = node(answer);
    const r = await sendSinglePartFirst(lnd, request, maxParts, signal, { wholeFits: noWholeRoute });
    assert.equal(r, answer);
    assert.deepEqual(lnd.parts, [1]);
  }
});

test('a split whose try another replica resolved first (the claim refused) is not sent', async () => {
  const first = failed('no_route');
  const lnd = node(first, succeeded);
  let claims = 0;
  const r = await sendSinglePartFirst(lnd, request, 16, signal, {
    wholeFits: noWholeRoute,
    claimSplit: async () => {
      claims++;
      return false;
    },
  });
  assert.equal(claims, 1);
  assert.equal(r, first, 'the first try is the outcome');
  assert.deepEqual(lnd.parts, [1], 'nothing sent after the refused claim');
});

test('no route found without trying one, but the graph has a path with the capacity: not split (mission control ruled it out)', async () => {
  const first = failed('no_route');
  const lnd = node(first, succeeded);
  let asked = 0;
  const r = await sendSinglePartFirst(lnd, request, 16, signal, {
    wholeFits: async () => {
      asked++;
      return true;
    },
  });
  assert.equal(asked, 1);
  assert.equal(r, first);
  assert.deepEqual(lnd.parts, [1], 'sent once, in one part');
});

test("the graph check asks LND without mission control, with the invoice's hints; no answer means not splitting", async () => {
  const hints = [
    [{ nodeId: 'n', chanId: 1n, feeBaseMsat: 1, feeProportionalMillionths: 1, cltvExpiryDelta: 40 }],
  ];
  const decoded = {
    destination: 'dest',
    routeHints: hints,
    cltvExpiry: 80,
  } as never as DecodedPaymentRequest;
  const asked: RouteProbabilityRequest[] = [];
  const lightning = (answer: number | undefined | Error) => ({
    decodePaymentRequest: async () => decoded,
    routeProbability: async (r: RouteProbabilityRequest) => {
      asked.push(r);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  const payment = { paymentHash: 'h', paymentRequest: 'lnbcrt1', amountMsat: msat(5_000n) };
  const log = pino({ level: 'silent' });
  assert.equal(await wholeRouteFits(lightning(0.2), payment, log), true, 'a route: it fits whole');
  assert.equal(await wholeRouteFits(lightning(undefined), payment, log), false, 'no route at all');
  assert.equal(
    await wholeRouteFits(lightning(new Error('down')), payment, log),
    true,
    'cannot tell: no split',
  );
  assert.deepEqual(asked[0], {
    destination: 'dest',
    amount: 5_000n,
    routeHints: hints,
    finalCltvDelta: 80,
    useMissionControl: false,
  });
});
