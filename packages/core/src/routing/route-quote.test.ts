import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePubkey } from '../ids.ts';
import { msat } from '../money.ts';
import { FixedWindowLimiter, RATE_MAP_PRUNE_FLOOR, routeQuoteFrom } from './route-quote.ts';

const dest = parsePubkey(`02${'ab'.repeat(32)}`);

test('a quote rounds the fee up to sat and turns LND time lock height into blocks from now', () => {
  const q = routeQuoteFrom({
    mode: 'probe',
    destination: dest,
    amount: msat(100_000_000n),
    estimate: { fee: msat(3_001n), totalTimeLock: 640 },
    blockHeight: 500,
    successProbability: 0.8,
  });
  assert.equal(q.fee, 3_001n);
  assert.equal(q.feeSat, 4n);
  assert.equal(q.timeLockDelta, 140);
  assert.equal(q.parts, 1);
  assert.equal(q.successProbability, 0.8);
});

test('a quote without odds says null; odds are clamped to 0..1; a fee of 0 is 0 sat', () => {
  const base = { mode: 'graph' as const, destination: dest, amount: msat(1_000n), blockHeight: 10 };
  const none = routeQuoteFrom({
    ...base,
    estimate: { fee: msat(0n), totalTimeLock: 5 },
    successProbability: undefined,
  });
  assert.equal(none.successProbability, null);
  assert.equal(none.feeSat, 0n);
  assert.equal(none.timeLockDelta, 0);
  const over = routeQuoteFrom({
    ...base,
    estimate: { fee: msat(1n), totalTimeLock: 50 },
    successProbability: 1.2,
  });
  assert.equal(over.successProbability, 1);
});

test('the limiter allows `limit` requests per key per window, then says when to retry', () => {
  const l = new FixedWindowLimiter(2, 1_000);
  assert.deepEqual(l.take('a', 0), { allowed: true });
  assert.deepEqual(l.take('a', 100), { allowed: true });
  assert.deepEqual(l.take('a', 400), { allowed: false, retryAfterMs: 600 });
  assert.deepEqual(l.take('b', 400), { allowed: true }, 'another key has its own window');
  assert.deepEqual(l.take('a', 1_000), { allowed: true }, 'a new window');
});

test('10,000 keys whose windows passed leave the limiter small', () => {
  const l = new FixedWindowLimiter(2, 1_000);
  // Each key makes one request and never comes back; every 100 keys, a second passes.
  for (let i = 0; i < 10_000; i += 1)
    assert.deepEqual(l.take(`peer-${i}`, Math.floor(i / 100) * 1_000), { allowed: true });
  assert.ok(l.size <= RATE_MAP_PRUNE_FLOOR, `${l.size} keys held, at most ${RATE_MAP_PRUNE_FLOOR} expected`);
  // Live windows are kept through a sweep: a key at its limit stays refused.
  const live = new FixedWindowLimiter(1, 60_000);
  live.take('busy', 0);
  for (let i = 0; i < 5_000; i += 1) live.take(`k-${i}`, i * 5);
  assert.equal(live.take('busy', 30_000).allowed, false, 'the live window survived the sweeps');
});
