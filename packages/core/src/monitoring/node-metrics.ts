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

/**
 * A stretch of time a node was seen up (or down): from the check that saw the state first to the
 * last check that saw it again, with no longer silence between two checks than
 * {@link checkGapMs} (a longer one starts a new stretch).
 */
export interface CheckInterval {
  readonly up: boolean;
  readonly since: Date;
  readonly until: Date;
}

/**
 * The longest silence between two checks of a node still read as one watched stretch, for checks
 * every `intervalMs`: three intervals, at least 30 s (a check may wait on a slow node).
 */
export function checkGapMs(intervalMs: number): number {
  return Math.max(3 * intervalMs, 30_000);
}

/**
 * The fraction of `[from, to]` a node answered, from its check intervals: time inside the
 * intervals counts, time between them (the moment of a change, or a stretch nobody checked:
 * before the node existed, while no monitor ran) counts neither way. `undefined` when nothing in
 * the window was checked.
 */
export function uptimeFraction(
  intervals: readonly CheckInterval[],
  from: Date,
  to: Date,
): number | undefined {
  let up = 0;
  let seen = 0;
  for (const interval of intervals) {
    const start = Math.max(interval.since.getTime(), from.getTime());
    const end = Math.min(interval.until.getTime(), to.getTime());
    if (end <= start) continue;
    seen += end - start;
    if (interval.up) up += end - start;
  }
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
