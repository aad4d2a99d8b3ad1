/**
 * The `webhooks` job (one replica at a time, under its lease). Each tick it
 *
 * 1. hands every enabled endpoint the events of its tenant after the endpoint's cursor that it
 *    wants, as deliveries, moving the cursor in the same transaction (so a restart or another
 *    replica neither loses nor repeats one);
 * 2. tops up the sends of the deliveries that are due (`send-pool.ts`: none waits for another),
 *    at most one per subject and endpoint at a time (a subject's events arrive in order),
 *    signed the Standard Webhooks way, and records each
 *    attempt: a 2xx delivers; anything else is retried with backoff and jitter until the retry
 *    window ends, when the delivery is given up and the endpoint disabled.
 */
import { type WebhookRetryPolicy, webhookDeliveryMachine, webhookWants } from '@blgv/core';
import { signWebhook, WEBHOOK_HEADERS, type WebhookMessage } from '@blgv/protocol';
import {
  type Database,
  type DueDelivery,
  EventsRepository,
  type LspEvent,
  WebhooksRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { every } from '../jobs/job-runner.ts';
import { applyStep } from '../machines/apply-step.ts';
import { type OutboundPolicy, postWebhook } from './outbound.ts';
import { SendPool } from './send-pool.ts';

/** Events read per endpoint per tick. */
const EVENTS_PAGE = 500;

/** What the job needs. */
export interface WebhookDeliveryDeps {
  readonly database: Database;
  readonly box: SecretBox;
  readonly policy: OutboundPolicy;
  readonly retry: WebhookRetryPolicy;
  readonly intervalMs: number;
  readonly concurrency: number;
  readonly log: Logger;
}

/** The type of an event: `<subject kind>.<state>`. */
export function eventType(event: Pick<LspEvent, 'subjectKind' | 'state'>): string {
  return `${event.subjectKind}.${event.state}`;
}

/** The body POSTed for an event. */
export function webhookMessage(event: LspEvent): WebhookMessage {
  return {
    type: eventType(event),
    timestamp: event.at.toISOString(),
    data: {
      cursor: event.position.toString(),
      subjectKind: event.subjectKind,
      subjectId: event.subjectId,
      state: event.state,
      facts: event.facts,
    },
  };
}

/**
 * Runs the job until `signal` aborts: every tick hands out new events and tops up the sends
 * ({@link SendPool}: `concurrency` at a time, a quarter of them to one endpoint at most, none
 * waiting for another; nothing started once the signal aborts). On abort it waits for the
 * sends in flight (each ends within `policy.timeoutMs`).
 */
export async function deliverWebhooks(deps: WebhookDeliveryDeps, signal: AbortSignal): Promise<void> {
  const pool = sendPool(deps, signal);
  try {
    await every(
      deps.intervalMs,
      async () => {
        await fanOut(deps);
        await pool.fill();
      },
      signal,
    );
  } finally {
    await pool.stop();
  }
}

/**
 * The sends of due deliveries: an endpoint gets at most a quarter of the `concurrency` slots,
 * so a receiver slow to answer (up to `timeoutMs`) or with a backlog holds only its own.
 */
function sendPool(deps: WebhookDeliveryDeps, signal: AbortSignal): SendPool<DueDelivery> {
  return new SendPool<DueDelivery>({
    read: (limit, perKey) => new WebhooksRepository(deps.database.db).due(limit, perKey),
    id: (d) => d.id.toString(),
    key: (d) => d.endpointId,
    exclusive: (d) => `${d.endpointId} ${d.subject}`,
    send: (d) => sendOne(deps, d),
    failed: (err, d) =>
      d
        ? deps.log.warn({ err, webhookId: d.endpointId, deliveryId: d.id.toString() }, 'webhook send failed')
        : deps.log.warn({ err }, 'reading due webhook deliveries failed; next tick'),
    concurrency: deps.concurrency,
    perKey: Math.max(1, Math.floor(deps.concurrency / 4)),
    signal,
  });
}

async function fanOut(deps: WebhookDeliveryDeps): Promise<void> {
  const events = new EventsRepository(deps.database.db);
  await events.sequence();
  for (const endpoint of await new WebhooksRepository(deps.database.db).enabledEndpoints()) {
    const page = await events.list({
      after: endpoint.cursor,
      tenantId: endpoint.tenantId,
      limit: EVENTS_PAGE,
    });
    const last = page.at(-1);
    if (!last) continue;
    const deliveries = page
      .filter((e) => webhookWants(endpoint.events, eventType(e)))
      .map((e) => ({
        messageId: `evt_${e.position}`,
        eventPosition: e.position,
        eventType: eventType(e),
        subject: `${e.subjectKind}:${e.subjectId}`,
        body: JSON.stringify(webhookMessage(e)),
      }));
    await deps.database.db
      .transaction()
      .execute((tx) =>
        new WebhooksRepository(tx).enqueue(endpoint.id, endpoint.cursor, last.position, deliveries),
      );
  }
}

async function sendOne(deps: WebhookDeliveryDeps, d: DueDelivery): Promise<void> {
  const secret = deps.box.open(d.sealedSecret);
  const sentAt = Math.floor(Date.now() / 1000);
  const result = await postWebhook(
    new URL(d.url),
    d.body,
    {
      [WEBHOOK_HEADERS.id]: d.messageId,
      [WEBHOOK_HEADERS.timestamp]: String(sentAt),
      [WEBHOOK_HEADERS.signature]: signWebhook(secret, d.messageId, sentAt, d.body),
    },
    deps.policy,
  );
  const at = new Date();
  const event = {
    type: 'attempted',
    ok: result.ok,
    at,
    attemptsBefore: d.attempts,
    firstAttemptAt: d.firstAttemptAt ?? at,
  } as const;
  const reason = `delivery ${d.id} (${d.eventType}) got no 2xx within ${deps.retry.windowMs / 1000} s; last: ${result.ok ? '' : result.error}`;
  // The attempt, the delivery's new state and (when given up) the endpoint's: all or nothing.
  const step = await applyStep(
    webhookDeliveryMachine,
    { id: d.id.toString(), state: 'pending' },
    event,
    { policy: deps.retry },
    {
      db: deps.database.db,
      atomic: true,
      quiet: true,
      log: deps.log,
      persist: async (step, tx) => {
        if (step.state === 'dropped') return false; // an attempt never drops a delivery
        const repo = new WebhooksRepository(tx);
        const moved = await repo.recordAttempt(d, {
          state: step.state,
          status: result.status,
          error: result.ok ? undefined : result.error,
          durationMs: result.durationMs,
          at,
          nextAttemptAt: step.nextAttemptAt,
        });
        if (moved && step.gaveUp) await repo.setEndpointState(d.endpointId, 'disabled', reason);
        return moved;
      },
      effects: {},
    },
  );
  const recorded = step !== undefined;
  const log = {
    webhookId: d.endpointId,
    deliveryId: d.id.toString(),
    type: d.eventType,
    attempt: d.attempts + 1,
  };
  if (!recorded) return;
  if (result.ok) deps.log.debug({ ...log, status: result.status }, 'webhook delivered');
  else deps.log.info({ ...log, status: result.status, error: result.error }, 'webhook attempt failed');
  if (step.gaveUp) deps.log.warn({ ...log, reason }, 'webhook endpoint disabled');
}
