import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkGapMs, successRate, uptimeFraction, windowStart } from './node-metrics.ts';

const t = (s: number) => new Date(s * 1000);

test('a window ends now and starts its length before', () => {
  assert.equal(windowStart('24h', t(100_000)).getTime(), t(100_000 - 86_400).getTime());
  assert.equal(windowStart('7d', t(1_000_000)).getTime(), t(1_000_000 - 7 * 86_400).getTime());
});

test('uptime counts the time inside the intervals; gaps between them (unwatched) count neither way', () => {
  const intervals = [
    { up: true, since: t(100), until: t(200) },
    { up: false, since: t(200), until: t(300) },
    // Nobody checked from 300 to 1,000 (the server was down): not counted.
    { up: true, since: t(1_000), until: t(1_100) },
  ];
  assert.equal(uptimeFraction(intervals, t(0), t(2_000)), 2 / 3);
  // Clipped to the window 250..1,050: 50 down, 50 up.
  assert.equal(uptimeFraction(intervals, t(250), t(1_050)), 0.5);
});

test('a silence longer than three check intervals (at least 30 s) starts a new stretch', () => {
  assert.equal(checkGapMs(500), 30_000);
  assert.equal(checkGapMs(60_000), 180_000);
});

test('uptime is unknown without checks, and a single check counts as its state', () => {
  assert.equal(uptimeFraction([], t(0), t(10)), undefined);
  assert.equal(uptimeFraction([{ up: true, since: t(5), until: t(5) }], t(0), t(10)), 1);
  assert.equal(uptimeFraction([{ up: false, since: t(5), until: t(5) }], t(0), t(10)), 0);
});

test('success rate counts succeeded against ended payments', () => {
  assert.equal(successRate({ succeeded: 1, failed: 1 }), 0.5);
  assert.equal(successRate({ succeeded: 3, failed: 0 }), 1);
  assert.equal(successRate({ succeeded: 0, failed: 0 }), undefined);
});
