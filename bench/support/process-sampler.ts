/**
 * What a process holds, read from `/proc/<pid>` (Linux): its resident memory (`VmRSS` in
 * `status`) and its open file descriptors (the entries of `fd`), sampled over a run, and how a
 * late window of samples compares with an early one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { median } from './stats.ts';

/** One reading of a process. */
export interface ProcessSample {
  /** Milliseconds since the run started. */
  readonly atMs: number;
  readonly rssBytes: number;
  readonly fds: number;
}

/** Reads `pid`'s resident memory and open file descriptors now. */
export function readProcess(pid: number, atMs: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return { atMs, rssBytes: Number(kb) * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The median of `pick` over the samples taken in `[fromMs, toMs]` (NaN when there are none). */
export function windowMedian<S extends { readonly atMs: number }>(
  samples: readonly S[],
  fromMs: number,
  toMs: number,
  pick: (s: S) => number,
): number {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map(pick);
  return inside.length === 0 ? Number.NaN : median(inside);
}

/** How much `end` is above `start`, in percent of `start`. */
export function growthPct(start: number, end: number): number {
  return ((end - start) / start) * 100;
}
