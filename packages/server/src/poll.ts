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

/** Resolves once `signal` aborts (at once when it has): what a job that only serves waits on. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
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

/**
 * A pause that something else can cut short: a loop waits on it between scans, and code that
 * just gave the loop work wakes it (in this process; other replicas' work waits for the scan).
 */
export class Wakeup {
  #wake: (() => void) | undefined;
  #pending = false;

  /** Ends the current wait now (or the next one at once, when none is under way). */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  /** Resolves after `ms`, on {@link wake}, or when `signal` aborts (never rejects). */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    const woken = new AbortController();
    this.#wake = () => woken.abort();
    try {
      await pause(ms, AbortSignal.any([signal, woken.signal]));
    } finally {
      this.#wake = undefined;
    }
  }
}

/** Wakeups by key: a caller waits on one subject (a request id) until it is told it moved. */
export class KeyedWakeup {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Ends every wait on `key` now. */
  wake(key: string): void {
    for (const done of this.#waiters.get(key) ?? []) done();
  }

  /** Resolves on {@link wake} of `key` or after `ms` (never rejects). */
  async wait(key: string, ms: number): Promise<void> {
    const woken = new AbortController();
    const done = () => woken.abort();
    const set = this.#waiters.get(key) ?? new Set();
    set.add(done);
    this.#waiters.set(key, set);
    try {
      await pause(ms, woken.signal);
    } finally {
      set.delete(done);
      if (set.size === 0) this.#waiters.delete(key);
    }
  }
}
