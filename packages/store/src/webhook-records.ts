/**
 * Webhook endpoints, deliveries and attempts as the store hands them out (records), and the rows
 * they are read from.
 */
import type { TenantDeliveryState } from '@blgv/core';
import type { Selectable } from 'kysely';
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from './tables/webhooks.ts';

/** An endpoint as stored; each field is its column's, camelCased. */
export interface WebhookEndpointRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  /** The event-type patterns it wants. */
  readonly events: string[];
  readonly description: string | null;
  readonly sealedSecret: string;
  readonly state: 'enabled' | 'disabled';
  readonly disabledReason: string | null;
  /** The position in the event log up to which its deliveries are made. */
  readonly cursor: bigint;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new endpoint. */
export type NewWebhookEndpoint = Omit<WebhookEndpointRecord, 'createdAt' | 'updatedAt'>;

/** A delivery as stored; each field is its column's, camelCased. */
export interface WebhookDeliveryRecord {
  readonly id: bigint;
  readonly endpointId: string;
  readonly messageId: string;
  readonly eventPosition: bigint;
  readonly eventType: string;
  readonly subject: string;
  readonly body: string;
  readonly state: TenantDeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly firstAttemptAt: Date | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
}

/** A delivery to add (of one event). */
export type NewWebhookDelivery = Pick<
  WebhookDeliveryRecord,
  'messageId' | 'eventPosition' | 'eventType' | 'subject' | 'body'
>;

/** An attempt as stored; each field is its column's, camelCased. */
export interface WebhookAttemptRecord {
  readonly deliveryId: bigint;
  readonly attempt: number;
  readonly at: Date;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** A delivery with every attempt of it, in attempt order. */
export interface DeliveryWithAttempts extends WebhookDeliveryRecord {
  readonly attemptLog: WebhookAttemptRecord[];
}

/** A delivery due now, with what sending it needs. */
export interface DueDelivery extends WebhookDeliveryRecord {
  readonly url: string;
  readonly sealedSecret: string;
}

/** What one attempt came to. */
export interface AttemptOutcome {
  readonly state: TenantDeliveryState;
  readonly status: number | undefined;
  readonly error: string | undefined;
  readonly durationMs: number;
  readonly at: Date;
  readonly nextAttemptAt: Date | undefined;
}

/** An endpoint row as its record. */
export function toEndpoint(r: Selectable<WebhookEndpointsTable>): WebhookEndpointRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    url: r.url,
    events: r.events,
    description: r.description,
    sealedSecret: r.sealed_secret,
    state: r.state,
    disabledReason: r.disabled_reason,
    cursor: r.cursor,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A delivery row as its record. */
export function toDelivery(r: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    messageId: r.message_id,
    eventPosition: r.event_position,
    eventType: r.event_type,
    subject: r.subject,
    body: r.body,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    firstAttemptAt: r.first_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    createdAt: r.created_at,
  };
}

/** An attempt row as its record. */
export function toAttempt(r: Selectable<WebhookAttemptsTable>): WebhookAttemptRecord {
  return {
    deliveryId: r.delivery_id,
    attempt: r.attempt,
    at: r.at,
    status: r.status,
    error: r.error,
    durationMs: r.duration_ms,
  };
}
