/**
 * Quotes of a payment's routing cost (`POST /v1/routing/quote`): LND's estimate turned into
 * what a tenant is told, and the per-tenant limit on how often it may ask. Pure: no I/O, the
 * clock is passed in.
 */
import type { Pubkey } from '../ids.ts';
import type { RouteFeeEstimate } from '../lightning/ports/route-estimation.ts';
import { type Msat, msatToSatCeil, type Sat } from '../money.ts';

/** How a quote was made: LND's in-memory graph, or a probe of the invoice. */
export type QuoteMode = 'graph' | 'probe';

/** The expected cost of a payment, before it is made. */
export interface RouteQuote {
  readonly mode: QuoteMode;
  readonly destination: Pubkey;
  /** What the destination receives. */
  readonly amount: Msat;
  /** What the hops are expected to take. */
  readonly fee: Msat;
  /** {@link fee} rounded up to whole sat. */
  readonly feeSat: Sat;
  /** Blocks from now until the payment's HTLC would time out at the first hop (the route's total time lock). */
  readonly timeLockDelta: number;
  /** HTLCs the payment is expected to take (LND's estimation is single-path: 1). */
  readonly parts: number;
  /** Mission control's odds (0..1) that the route carries the payment; `null` when LND finds no route. */
  readonly successProbability: number | null;
}

/** Builds a quote from LND's estimate; `blockHeight` is the node's current height. */
export function routeQuoteFrom(input: {
  readonly mode: QuoteMode;
  readonly destination: Pubkey;
  readonly amount: Msat;
  readonly estimate: RouteFeeEstimate;
  readonly blockHeight: number;
  readonly successProbability: number | undefined;
}): RouteQuote {
  const { estimate } = input;
  return {
    mode: input.mode,
    destination: input.destination,
    amount: input.amount,
    fee: estimate.fee,
    feeSat: msatToSatCeil(estimate.fee),
    // LND reports an absolute height; a route of our own channel alone is at least 0 blocks.
    timeLockDelta: Math.max(0, estimate.totalTimeLock - input.blockHeight),
    parts: 1,
    successProbability:
      input.successProbability === undefined ? null : Math.min(1, Math.max(0, input.successProbability)),
  };
}

/** A map of per-key state is swept once it holds this many keys (and then at twice what survived). */
export const RATE_MAP_PRUNE_FLOOR = 1_024;

/**
 * At most `limit` requests per key in every window of `windowMs` (fixed windows, counted from
 * a key's first request in the window). Forgets keys whose window has passed: once the map
 * holds {@link RATE_MAP_PRUNE_FLOOR} keys, and then whenever it doubles what the last sweep left, so the
 * sweeps cost O(1) per request and the map holds about twice the keys of live windows.
 */
export class FixedWindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { start: number; count: number }>();
  #pruneAt = RATE_MAP_PRUNE_FLOOR;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Keys held now (live windows, and passed ones not swept yet). */
  get size(): number {
    return this.#windows.size;
  }

  /**
   * Counts one request of `key` at `now` (ms) and says whether it is allowed; when it is not,
   * `retryAfterMs` is how long until the key's window ends.
   */
  take(
    key: string,
    now: number,
  ): { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number } {
    if (this.#windows.size >= this.#pruneAt) this.#prune(now);
    let w = this.#windows.get(key);
    if (!w || now - w.start >= this.#windowMs) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    if (w.count >= this.#limit) return { allowed: false, retryAfterMs: w.start + this.#windowMs - now };
    w.count += 1;
    return { allowed: true };
  }

  #prune(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(key);
    this.#pruneAt = Math.max(RATE_MAP_PRUNE_FLOOR, 2 * this.#windows.size);
  }
}
