/**
 * A webhook delivery (one event to one endpoint) and its retries, in the one shape of every
 * machine:
 *
 *   pending --attempted(ok)--> delivered
 *   pending --attempted(failed, within the window)--> pending (next attempt after a backoff)
 *   pending --attempted(failed, window over)--> failed (given up: the endpoint is disabled)
 *   delivered | failed --redeliver--> pending (asked by the tenant)
 *   pending --dropped--> dropped (no longer worth sending: an LSPS5 client came online)
 *
 * Tenants' webhooks and LSPS5 notifications both go through it; their policies differ: a
 * tenant's delivery is retried within a time window with jitter, an LSPS5 notification up to a
 * number of attempts, doubling without jitter.
 *
 * The backoff doubles from `baseDelayMs` up to `maxDelayMs`, with full jitter (a random delay
 * between half and all of it), so receivers coming back are not hit by every sender at once.
 */
import { type Machine, type Moved, moved, refuse, type Step, states } from '../machine.ts';

/** Where a delivery is. */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed' | 'dropped';

/** The states a tenant's webhook delivery can be in (only LSPS5 notifications are dropped). */
export type TenantDeliveryState = Exclude<WebhookDeliveryState, 'dropped'>;

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
  | { readonly type: 'redeliver'; readonly at: Date }
  | { readonly type: 'dropped' };

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
  /** At most this many attempts (default: no limit but the window). */
  readonly maxAttempts?: number;
  /** Randomise each delay between half and all of it (default true). */
  readonly jitter?: boolean;
}

/** The delay before attempt `attemptsBefore + 1`, jittered with `random()` in [0, 1). */
export function webhookRetryDelayMs(
  attemptsBefore: number,
  policy: WebhookRetryPolicy,
  random: () => number = Math.random,
): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptsBefore - 1));
  return policy.jitter === false ? full : Math.round(full / 2 + (random() * full) / 2);
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
      if (policy.maxAttempts !== undefined && attempts >= policy.maxAttempts)
        return go('failed', { gaveUp: true });
      const next = new Date(event.at.getTime() + webhookRetryDelayMs(attempts, policy, random));
      if (next.getTime() - event.firstAttemptAt.getTime() > policy.windowMs)
        return go('failed', { gaveUp: true });
      return go('pending', { nextAttemptAt: next });
    }
    case 'redeliver':
      if (state === 'dropped') return refuse(state, event.type, 'the delivery was dropped');
      return state === 'pending'
        ? refuse(state, event.type, 'the delivery is still being attempted')
        : go('pending', { nextAttemptAt: event.at });
    case 'dropped':
      return state === 'pending' ? go('dropped') : refuse(state, event.type);
  }
}

/** The delivery machine, as data; its context is the retry policy (and the jitter's source). */
export const webhookDeliveryMachine: Machine<
  WebhookDeliveryState,
  WebhookDeliveryEvent,
  never,
  WebhookDeliveryFacts,
  { readonly policy: WebhookRetryPolicy; readonly random?: () => number }
> = {
  name: 'webhook_delivery',
  states: states<WebhookDeliveryState>({ pending: true, delivered: true, failed: true, dropped: true }),
  // Delivered and failed deliveries can be sent again when the tenant asks.
  final: ['dropped'],
  next: (state, event, c) => nextWebhookDeliveryState(state, event, c.policy, c.random),
};

/** True when the event type `type` (`<subject kind>.<state>`) matches one of `patterns`. */
export function webhookWants(patterns: readonly string[], type: string): boolean {
  const kind = type.slice(0, type.indexOf('.'));
  return patterns.some((p) => p === '*' || p === type || p === `${kind}.*`);
}
