/**
 * Tenants' REST webhooks on the wire (`/v1/webhooks`): an endpoint (URL, the event types it
 * wants), its secret (shown once), and the log of its deliveries with every attempt.
 */
import { type Static, Type } from '@sinclair/typebox';
import { DELIVERY_PAGE, NextCursor, PageQuery } from './paging.ts';

/** `POST /v1/webhooks`. */
export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'an https URL the LSP POSTs events to' }),
    events: Type.Array(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: '`*`, `<subject kind>.*` or `<subject kind>.<state>`, e.g. `payment.succeeded`',
      }),
      { minItems: 1, maxItems: 50, description: 'the event types this endpoint receives' },
    ),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

/** An endpoint as the API shows it. */
export const WebhookResponse = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  /** `whsec_...`: in the creation answer only. */
  secret: Type.Optional(Type.String()),
});
export type WebhookResponse = Static<typeof WebhookResponse>;

export const WebhooksResponse = Type.Object({ webhooks: Type.Array(WebhookResponse) });
export type WebhooksResponse = Static<typeof WebhooksResponse>;

/** One attempt of a delivery. */
export const WebhookAttempt = Type.Object({
  attempt: Type.Integer(),
  at: Type.String(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer(),
});

/** One event sent (or being sent) to an endpoint. */
export const WebhookDelivery = Type.Object({
  id: Type.String(),
  /** `webhook-id` of the message: the same on every attempt. */
  messageId: Type.String(),
  eventType: Type.String(),
  /** The event-log cursor of the event (`GET /v1/events`). */
  cursor: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Array(WebhookAttempt),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;

/**
 * `GET /v1/webhooks/:id/deliveries`: an endpoint's deliveries, newest (latest event) first, a
 * page at a time; a page's `nextCursor` is the `cursor` of its last delivery.
 */
export const WebhookDeliveriesResponse = Type.Object({
  deliveries: Type.Array(WebhookDelivery),
  nextCursor: NextCursor,
});
export type WebhookDeliveriesResponse = Static<typeof WebhookDeliveriesResponse>;

/** `?limit=&cursor=` of `GET /v1/webhooks/:id/deliveries`. */
export const WebhookDeliveriesQuery = PageQuery(DELIVERY_PAGE, 'deliveries');
export type WebhookDeliveriesQuery = Static<typeof WebhookDeliveriesQuery>;

/** The body every webhook POSTs (signed as sent). */
export interface WebhookMessage {
  /** `<subject kind>.<state>`, e.g. `payment.succeeded`. */
  readonly type: string;
  /** When the event happened (ISO 8601). */
  readonly timestamp: string;
  readonly data: {
    readonly cursor: string;
    readonly subjectKind: string;
    readonly subjectId: string;
    readonly state: string;
    readonly facts: Record<string, unknown>;
  };
}
