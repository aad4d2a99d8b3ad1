import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DecodedPaymentRequest,
  ErrorCode,
  isLspError,
  LspError,
  msat,
  parseHex32,
  parsePubkey,
  type RouteFeeRequest,
} from '@blgv/core';
import pino from 'pino';
import { QuoteService, type QuoteServiceLightning } from './quote-service.ts';

const GINA = parsePubkey(`03${'cd'.repeat(32)}`);

/** A fake node: graph estimates of 2,500 msat, probes of 3,000 msat, at height 500. */
function fakeLightning(
  calls: RouteFeeRequest[],
  decoded: Partial<DecodedPaymentRequest> = {},
): QuoteServiceLightning {
  return {
    async estimateRouteFee(request) {
      calls.push(request);
      return 'destination' in request
        ? { fee: msat(2_500n), totalTimeLock: 623 }
        : { fee: msat(3_000n), totalTimeLock: 640 };
    },
    async routeProbability() {
      return 0.75;
    },
    async decodePaymentRequest(paymentRequest) {
      if (paymentRequest === 'lnbc1mainnet') {
        throw new LspError(
          ErrorCode.InvalidInput,
          "invalid payment request: invoice not for current active network 'regtest'",
        );
      }
      return {
        destination: GINA,
        paymentHash: parseHex32('00'.repeat(32)),
        amount: msat(100_000_000n),
        timestamp: new Date(Date.now() - 1_000),
        expirySeconds: 3_600,
        description: '',
        cltvExpiry: 80,
        routeHints: [],
        ...decoded,
      };
    },
    async getInfo() {
      return { blockHeight: 500 } as Awaited<ReturnType<QuoteServiceLightning['getInfo']>>;
    },
  };
}

function service(lightning: QuoteServiceLightning, now: () => number = Date.now, maxPerWindow = 3) {
  return new QuoteService({
    lightning,
    settings: { cacheSeconds: 10, probeTimeoutSeconds: 5, maxPerWindow, windowSeconds: 60 },
    log: pino({ level: 'silent' }),
    now,
  });
}

async function field(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    assert.ok(isLspError(err), String(err));
    assert.equal(err.httpStatus, 400, err.message);
    return String(err.details?.field);
  }
  assert.fail('expected a refusal');
}

test('graph by default with the invoice destination and amount in sat; a probe with the invoice and the time bound', async () => {
  const calls: RouteFeeRequest[] = [];
  const quotes = service(fakeLightning(calls));
  const graph = await quotes.quote('t1', { invoice: 'lnbcrt1x' });
  assert.deepEqual(calls[0], { destination: GINA, amount: 100_000n });
  assert.equal(graph.mode, 'graph');
  assert.equal(graph.fee, 2_500n);
  assert.equal(graph.feeSat, 3n);
  assert.equal(graph.timeLockDelta, 123);
  assert.equal(graph.successProbability, 0.75);
  const probe = await quotes.quote('t1', { invoice: 'lnbcrt1x', probe: true });
  assert.deepEqual(calls[1], { paymentRequest: 'lnbcrt1x', timeoutSeconds: 5 });
  assert.equal(probe.mode, 'probe');
  assert.equal(probe.fee, 3_000n);
});

test('a probe that finds no route is refused (lightning_rejected, 422), not a free quote', async () => {
  const lightning = fakeLightning([]);
  const quotes = service({
    ...lightning,
    estimateRouteFee: async () => ({ fee: msat(0n), totalTimeLock: 0, failure: 'no_route' }),
  });
  await assert.rejects(quotes.quote('t1', { invoice: 'lnbcrt1x', probe: true }), (err) => {
    assert.ok(isLspError(err, ErrorCode.LightningRejected), String(err));
    assert.match(err.message, /no route .*no_route/);
    return true;
  });
});

test('the same request of the same tenant is answered from the cache until it is old; another tenant asks LND', async () => {
  const calls: RouteFeeRequest[] = [];
  let now = 1_000_000;
  const quotes = service(fakeLightning(calls), () => now);
  const body = { destination: GINA, amountSat: 1_000 };
  assert.equal((await quotes.quote('t1', body)).cached, false);
  now += 9_000;
  assert.equal((await quotes.quote('t1', body)).cached, true);
  assert.equal((await quotes.quote('t2', body)).cached, false);
  now += 2_000;
  assert.equal((await quotes.quote('t1', body)).cached, false);
  assert.equal(calls.length, 3);
});

test('past the limit a tenant is refused with rate_limited (429) and when to retry', async () => {
  let now = 0;
  const quotes = service(fakeLightning([]), () => now);
  for (let i = 0; i < 3; i++) await quotes.quote('t1', { destination: GINA, amountSat: 1_000 });
  await assert.rejects(quotes.quote('t1', { destination: GINA, amountSat: 1_000 }), (err) => {
    assert.ok(isLspError(err, ErrorCode.RateLimited));
    assert.equal(err.httpStatus, 429);
    assert.equal(err.details?.retryAfterSeconds, 60);
    return true;
  });
  // A bad request past the limit is still told what is wrong (checked before the limit).
  assert.equal(await field(quotes.quote('t1', { destination: GINA, amountSat: -1 })), 'amountSat');
  now = 60_000;
  assert.equal((await quotes.quote('t1', { destination: GINA, amountSat: 1_000 })).mode, 'graph');
});

test('bad input names its field', async () => {
  const quotes = service(fakeLightning([]), Date.now, 100);
  assert.equal(await field(quotes.quote('t', { invoice: 'lnbc1mainnet' })), 'invoice');
  assert.equal(await field(quotes.quote('t', { destination: GINA, amountSat: 0 })), 'amountSat');
  assert.equal(await field(quotes.quote('t', { destination: GINA, amountSat: -1 })), 'amountSat');
  assert.equal(await field(quotes.quote('t', { destination: GINA, amountSat: 1.5 })), 'amountSat');
  assert.equal(await field(quotes.quote('t', { destination: 'nope', amountSat: 1 })), 'destination');
  assert.equal(await field(quotes.quote('t', { invoice: 'x', destination: GINA })), 'destination');
  assert.equal(await field(quotes.quote('t', {})), 'invoice');
  const expired = service(fakeLightning([], { timestamp: new Date(Date.now() - 7_200_000) }));
  assert.equal(await field(expired.quote('t', { invoice: 'lnbcrt1old' })), 'invoice');
  const amountless = service(fakeLightning([], { amount: msat(0n) }));
  assert.equal(await field(amountless.quote('t', { invoice: 'lnbcrt1any' })), 'amountSat');
  assert.equal(
    await field(amountless.quote('t', { invoice: 'lnbcrt1any', amountSat: 5, probe: true })),
    'probe',
  );
  assert.equal((await amountless.quote('t', { invoice: 'lnbcrt1any', amountSat: 5 })).amount, 5_000n);
});
