/**
 * Retrying a step until it succeeds: runners call it for every effect of a state machine, so
 * one LND or database error delays a machine but never leaves it stranded until a restart.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { pause } from '../poll.ts';

/** Options of {@link retryUntilDone}. */
export interface RetryOptions {
  /** What is being done, for the logs. */
  readonly what: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** First delay after a failure (default 500 ms); doubles up to `maxDelayMs`. */
  readonly minDelayMs?: number;
  /** Longest delay between tries (default 30 s). */
  readonly maxDelayMs?: number;
  /** Log fields naming the subject (an order id, a payment hash). */
  readonly subject?: Record<string, unknown>;
}

/**
 * Runs `step` until it resolves, waiting with exponential backoff (and jitter) after each
 * failure. Rejects only when `signal` aborts (with its reason).
 */
export async function retryUntilDone<T>(step: () => Promise<T>, options: RetryOptions): Promise<T> {
  let delay = options.minDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted();
    try {
      return await step();
    } catch (err) {
      if (options.signal.aborted) throw options.signal.reason;
      options.log.warn(
        {
          ...options.subject,
          err: errorMessage(err),
          attempt,
          retryInMs: delay,
        },
        `${options.what} failed; retrying`,
      );
      await pause(delay + Math.floor(Math.random() * (delay / 4)), options.signal);
      delay = Math.min(delay * 2, max);
    }
  }
}

/** The outcome of waiting for one promise against a shared deadline. */
export type Settled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

/**
 * Waits for every promise until `deadline` aborts; those still unsettled then count as failed
 * with the deadline's reason.
 */
export function settleBy<T>(promises: readonly Promise<T>[], deadline: AbortSignal): Promise<Settled<T>[]> {
  const expired = new Promise<never>((_, reject) => {
    if (deadline.aborted) reject(deadline.reason);
    else deadline.addEventListener('abort', () => reject(deadline.reason), { once: true });
  });
  expired.catch(() => {});
  return Promise.all(
    promises.map((p) =>
      Promise.race([p, expired]).then(
        (value): Settled<T> => ({ ok: true, value }),
        (error: unknown): Settled<T> => ({ ok: false, error }),
      ),
    ),
  );
}
