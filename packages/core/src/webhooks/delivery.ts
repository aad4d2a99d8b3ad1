/**
 * A webhook delivery (one event to one endpoint) and its retries, in the one shape of every
 * machine:
 *
 *   pending --attempted(ok)--> delivered
 *   pending --attempted(failed, within the window)--> pending (next attempt after a backoff)
 *   pending --attempted(failed, window over)--> failed (given up: the endpoint is disabled)
 *   delivered | failed --redeliver--> pending (asked by the tenant)
 *
 * The backoff doubles from `baseDelayMs` up to `maxDelayMs`, with full jitter (a random delay
 * between half and all of it), so receivers coming back are not hit by every sender at once.
 */
import { type Moved, moved, refuse, type Step } from '../machine.ts';

/** Where a delivery is. */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** What happens to a delivery. */
export type WebhookDeliveryEvent =
  | {
      readonly type: 'attempted';
      readonly ok: boolean;
      readonly at: Date;
      /** Attempts made before this one. */
      readonly attemptsBefore: number;
      /** When the first attempt was made (this one, for the first). */
      readonly firstAttemptAt: Date;
    }
  | { readonly type: 'redeliver'; readonly at: Date };

/** What a step records. */
export interface WebhookDeliveryFacts {
  /** When to try again (pending only). */
  readonly nextAttemptAt?: Date;
  /** The endpoint gave no 2xx within the retry window. */
  readonly gaveUp?: boolean;
}

/** How deliveries are retried. */
export interface WebhookRetryPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How long after the first attempt a delivery is still retried. */
  readonly windowMs: number;
}

/** The delay before attempt `attemptsBefore + 1`, jittered with `random()` in [0, 1). */
export function webhookRetryDelayMs(
  attemptsBefore: number,
  policy: WebhookRetryPolicy,
  random: () => number = Math.random,
): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptsBefore - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** The transition function; `random` jitters the backoff. */
export function nextWebhookDeliveryState(
  state: WebhookDeliveryState,
  event: WebhookDeliveryEvent,
  policy: WebhookRetryPolicy,
  random: () => number = Math.random,
): Step<WebhookDeliveryState, never, WebhookDeliveryFacts> {
  const go = (
    to: WebhookDeliveryState,
    facts: WebhookDeliveryFacts = {},
  ): Moved<WebhookDeliveryState, never, WebhookDeliveryFacts> => moved(to, [], facts);
  switch (event.type) {
    case 'attempted': {
      if (state !== 'pending') return refuse(state, event.type);
      if (event.ok) return go('delivered');
      const attempts = event.attemptsBefore + 1;
      const next = new Date(event.at.getTime() + webhookRetryDelayMs(attempts, policy, random));
      if (next.getTime() - event.firstAttemptAt.getTime() > policy.windowMs)
        return go('failed', { gaveUp: true });
      return go('pending', { nextAttemptAt: next });
    }
    case 'redeliver':
      return state === 'pending'
        ? refuse(state, event.type, 'the delivery is still being attempted')
        : go('pending', { nextAttemptAt: event.at });
  }
}

/** True when the event type `type` (`<subject kind>.<state>`) matches one of `patterns`. */
export function webhookWants(patterns: readonly string[], type: string): boolean {
  const kind = type.slice(0, type.indexOf('.'));
  return patterns.some((p) => p === '*' || p === type || p === `${kind}.*`);
}
