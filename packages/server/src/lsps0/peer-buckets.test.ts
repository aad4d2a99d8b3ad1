import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RATE_MAP_PRUNE_FLOOR } from '@blgv/core';
import { PeerBuckets } from './peer-buckets.ts';

test('a peer gets its burst, then its rate; in-flight requests are bounded', () => {
  const b = new PeerBuckets({ ratePerSecond: 1, burst: 2, maxInFlight: 2 });
  const first = b.take('p', 0);
  assert.ok(first && b.take('p', 0));
  assert.equal(b.take('p', 0), undefined, 'burst spent');
  assert.equal(b.take('p', 1_000), undefined, 'a token back, but two requests in flight');
  first.done();
  assert.ok(b.take('p', 1_000), 'one done, one token refilled');
  assert.equal(b.take('p', 1_000), undefined);
});

test('10,000 peers that went quiet leave the buckets small; a busy peer keeps its state', () => {
  const b = new PeerBuckets({ ratePerSecond: 5, burst: 20, maxInFlight: 4 });
  const held = b.take('busy', 0);
  assert.ok(held, 'busy holds a request in flight throughout');
  for (let i = 0; i < 10_000; i += 1) {
    // One message each, a millisecond apart: a bucket is full again 200 ms after its message.
    b.take(`peer-${i}`, i)?.done();
  }
  assert.ok(b.size <= RATE_MAP_PRUNE_FLOOR, `${b.size} peers held, at most ${RATE_MAP_PRUNE_FLOOR} expected`);
  for (let i = 0; i < 3; i += 1) assert.ok(b.take('busy', 10_000), 'busy within its bounds');
  assert.equal(b.take('busy', 10_000), undefined, 'its in-flight count survived the sweeps');
});
