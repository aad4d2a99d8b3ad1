/**
 * The arithmetic of node metrics (the spec's `NodeMetrics`), pure: the windows metrics are asked
 * over, uptime from up/down intervals, and the payment success rate.
 */

/** The windows metrics are computed over. */
export const METRICS_WINDOWS = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '1y': 365 * 86_400_000,
} as const;

/** A metrics window by name. */
export type MetricsWindow = keyof typeof METRICS_WINDOWS;

/** The start of `window` ending at `now`. */
export function windowStart(window: MetricsWindow, now: Date): Date {
  return new Date(now.getTime() - METRICS_WINDOWS[window]);
}

/** A stretch of time the monitor saw a node up, or down, from one check to the last of a run. */
export interface CheckInterval {
  readonly up: boolean;
  readonly since: Date;
  readonly until: Date;
}

/**
 * The fraction of `[from, to]` a node answered, from its check intervals (oldest first). Each
 * interval lasts until the next one starts (the node was seen in that state up to the change),
 * the last until its final check. Time no check covers (before the node existed, or while no
 * monitor ran) counts neither way. `undefined` when nothing in the window was checked.
 */
export function uptimeFraction(
  intervals: readonly CheckInterval[],
  from: Date,
  to: Date,
): number | undefined {
  let up = 0;
  let seen = 0;
  intervals.forEach((interval, i) => {
    const next = intervals[i + 1];
    const start = Math.max(interval.since.getTime(), from.getTime());
    const end = Math.min(next ? next.since.getTime() : interval.until.getTime(), to.getTime());
    if (end <= start) return;
    seen += end - start;
    if (interval.up) up += end - start;
  });
  if (seen > 0) return up / seen;
  // Only instants were checked (one check so far): the state seen then.
  const last = intervals.filter((i) => i.until >= from && i.since <= to).at(-1);
  return last === undefined ? undefined : last.up ? 1 : 0;
}

/** Succeeded / (succeeded + failed); `undefined` when no payment ended. */
export function successRate(outcomes: {
  readonly succeeded: number;
  readonly failed: number;
}): number | undefined {
  const ended = outcomes.succeeded + outcomes.failed;
  return ended === 0 ? undefined : outcomes.succeeded / ended;
}
