/**
 * Waiting on conditions against a deadline: the only way tests and the harness wait.
 */

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  readonly what: string;
  /** Give up after this many milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  /** Poll interval (default 100 ms). */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Thrown from a {@link waitFor} check when waiting longer cannot help (the awaited process has
 * exited): the wait ends at once with this error instead of at its deadline.
 */
export class WaitAbandoned extends Error {}

/**
 * Polls `check` until it returns something other than `undefined`/`false` and returns that,
 * or throws naming `what` and the last error once the deadline passes. A check that throws
 * {@link WaitAbandoned} ends the wait at once with that error.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      lastError = undefined;
    } catch (err) {
      if (err instanceof WaitAbandoned) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms waiting for ${options.what}${why}`);
    }
    // Poll interval of a deadline-bounded wait.
    await new Promise((r) => setTimeout(r, interval));
  }
}
