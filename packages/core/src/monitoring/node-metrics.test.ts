import assert from 'node:assert/strict';
import { test } from 'node:test';
import { successRate, uptimeFraction, windowStart } from './node-metrics.ts';

const t = (s: number) => new Date(s * 1000);

test('a window ends now and starts its length before', () => {
  assert.equal(windowStart('24h', t(100_000)).getTime(), t(100_000 - 86_400).getTime());
  assert.equal(windowStart('7d', t(1_000_000)).getTime(), t(1_000_000 - 7 * 86_400).getTime());
});

test('uptime: each interval lasts until the next starts; time before the first is not counted', () => {
  const intervals = [
    { up: true, since: t(100), until: t(190) },
    { up: false, since: t(200), until: t(290) },
    { up: true, since: t(300), until: t(400) },
  ];
  // 100..200 up, 200..300 down, 300..400 up: 200 of 300 seen seconds.
  assert.equal(uptimeFraction(intervals, t(0), t(500)), 2 / 3);
  // Clipped to the window 250..400: 50 down, 100 up.
  assert.equal(uptimeFraction(intervals, t(250), t(400)), 100 / 150);
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
