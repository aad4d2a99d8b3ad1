/**
 * The statistics benchmarks print: medians and nearest-rank percentiles of samples, and sums.
 */

/** The median of `xs` (the mean of the middle two when even); NaN when empty. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile (with 10 samples, p95 is the slowest); NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

/** The sum of `xs` (0 when empty). */
export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
