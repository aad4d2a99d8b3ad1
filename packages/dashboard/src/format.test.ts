import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  countOf,
  formatMs,
  formatMsat,
  formatPercent,
  formatSat,
  msatToChartSat,
  perDay,
  windowDays,
} from './format.ts';

test('msat amounts become sat text from the bigint, msat kept and trailing zeros dropped', () => {
  assert.equal(formatMsat('0'), '0 sat');
  assert.equal(formatMsat('2000000'), '2,000 sat');
  assert.equal(formatMsat('12345'), '12.345 sat');
  assert.equal(formatMsat('1010'), '1.01 sat');
  assert.equal(formatMsat(-1500n), '-1.5 sat');
  // Past 2^53: no float in the way.
  assert.equal(formatMsat('123456789012345678901'), '123,456,789,012,345,678.901 sat');
  assert.equal(formatSat(1_234_567), '1,234,567 sat');
  assert.equal(formatSat(-5n), '-5 sat');
  assert.equal(msatToChartSat('12345'), 12.345);
});

test('percentages and durations, with a dash when unknown', () => {
  assert.equal(formatPercent(1), '100%');
  assert.equal(formatPercent(0.99834), '99.8%');
  assert.equal(formatPercent(0), '0%');
  assert.equal(formatPercent(null), '—');
  assert.equal(formatMs(850), '850 ms');
  assert.equal(formatMs(2_400), '2.4 s');
  assert.equal(formatMs(null), '—');
  assert.equal(countOf(1, 'forward'), '1 forward');
  assert.equal(countOf(1200, 'entry', 'entries'), '1,200 entries');
});

test("a window's days run from the day it starts to today (UTC)", () => {
  const now = new Date('2026-03-10T08:00:00Z');
  assert.deepEqual(windowDays('24h', now), ['2026-03-09', '2026-03-10']);
  assert.equal(windowDays('7d', now).length, 8);
  assert.equal(windowDays('1y', now)[0], '2025-03-10');
  assert.equal(windowDays('1y', now).at(-1), '2026-03-10');
});

test('per-day values fill missing days with zero and keep rows outside the days', () => {
  const days = ['2026-03-09', '2026-03-10'];
  const rows = [
    { day: '2026-03-10', n: 3 },
    { day: '2026-03-11', n: 1 },
  ];
  assert.deepEqual(
    perDay(days, rows, (r) => r.n, 0),
    { labels: ['2026-03-09', '2026-03-10', '2026-03-11'], values: [0, 3, 1] },
  );
});
