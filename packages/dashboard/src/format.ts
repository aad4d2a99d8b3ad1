/**
 * How the dashboard shows figures, pure and without the DOM (the browser test formats the API's
 * answers with the same functions to find them on the page). Money stays a bigint until it is
 * text; only chart points become numbers.
 */
import { METRICS_WINDOWS, type MetricsWindow } from '@blgv/core';

const DAY_MS = 86_400_000;

/** Digits grouped by thousands: `1234567` -> `1,234,567`. */
function grouped(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A whole number of sat: `1,234,567 sat`. */
export function formatSat(amount: number | bigint): string {
  const n = BigInt(amount);
  return `${n < 0n ? '-' : ''}${grouped((n < 0n ? -n : n).toString())} sat`;
}

/** An msat amount (a bigint or the API's decimal string) in sat, msat kept: `12.345 sat`. */
export function formatMsat(amount: bigint | string): string {
  const n = BigInt(amount);
  const abs = n < 0n ? -n : n;
  const frac = (abs % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${n < 0n ? '-' : ''}${grouped((abs / 1000n).toString())}${frac ? `.${frac}` : ''} sat`;
}

/** An msat amount as a chart point in sat (a number: charts plot numbers, text keeps the bigint). */
export function msatToChartSat(amount: bigint | string): number {
  return Number(BigInt(amount)) / 1000;
}

/** A fraction as a percentage with one decimal (`0.9984` -> `99.8%`); `—` when unknown. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '—';
  return `${(Math.round(fraction * 1000) / 10).toFixed(1).replace(/\.0$/, '')}%`;
}

/** A duration in milliseconds: `850 ms`, `2.4 s`; `—` when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
}

/** A count with grouped digits. */
export function formatCount(n: number): string {
  return grouped(String(n));
}

/** A count and its noun: `1 forward`, `2 forwards` (`many` for irregular plurals). */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** `YYYY-MM-DD` (UTC) of a time. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Every UTC day `window` ending at `now` touches, oldest first (the charts' x axis). */
export function windowDays(window: MetricsWindow, now: Date): string[] {
  const days: string[] = [];
  const start = now.getTime() - METRICS_WINDOWS[window];
  for (let t = start - (start % DAY_MS); t <= now.getTime(); t += DAY_MS) days.push(utcDay(new Date(t)));
  return days;
}

/**
 * Values per day over `days` from rows keyed by day (days without a row are `zero`); rows on
 * days outside `days` (a clock apart from the server's) are added at the end, so none is lost.
 */
export function perDay<R extends { readonly day: string }, V>(
  days: readonly string[],
  rows: readonly R[],
  value: (row: R) => V,
  zero: V,
): { labels: string[]; values: V[] } {
  const byDay = new Map(rows.map((r) => [r.day, value(r)]));
  const labels = [...days, ...rows.map((r) => r.day).filter((d) => !days.includes(d))].sort();
  return { labels, values: labels.map((d) => byDay.get(d) ?? zero) };
}
