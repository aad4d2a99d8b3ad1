/**
 * Waiting in background jobs: a pause that ends early when its signal aborts, and polling a
 * condition against a deadline.
 */
import { ErrorCode, LspError } from '@blgv/core';

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** What is awaited, for the timeout message. */
  readonly what: string;
  readonly deadline: Date;
  readonly intervalMs: number;
  readonly signal: AbortSignal;
}

/**
 * Calls `check` until it returns something other than `undefined`; rejects with a `timeout`
 * {@link LspError} at the deadline and with `aborted` when the signal aborts. Errors thrown by
 * `check` end the wait.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  for (;;) {
    if (options.signal.aborted) throw new LspError(ErrorCode.Aborted, `stopped waiting for ${options.what}`);
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= options.deadline.getTime())
      throw new LspError(ErrorCode.Timeout, `timed out waiting for ${options.what}`);
    await pause(options.intervalMs, options.signal);
  }
}
