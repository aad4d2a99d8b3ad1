/**
 * Tenants' REST webhooks (`/v1/webhooks`): register an endpoint (its secret shown once), list,
 * read, remove, enable again, read its delivery log and redeliver. Tenant-scoped: another
 * tenant's endpoint is not found.
 */
import {
  CreateWebhookBody,
  DELIVERY_PAGE,
  IdParams,
  nextCursor,
  pageRequest,
  WebhookDeliveriesQuery,
  WebhookDeliveriesResponse,
  WebhookDelivery,
  WebhookResponse,
  WebhooksResponse,
} from '@blgv/protocol';
import type { WebhookEndpointRecord } from '@blgv/store';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { DeliveryView, WebhookService } from './webhook-service.ts';

const errors = errorResponses(400, 401, 404, 409, 422);
const tags = ['webhooks'];
type Params = { id: string };
const DeliveryParams = Type.Object(
  { id: Type.String({ maxLength: 100 }), deliveryId: Type.String({ maxLength: 20 }) },
  { additionalProperties: false },
);

function endpointWire(e: WebhookEndpointRecord, secret?: string): WebhookResponse {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    status: e.state,
    disabledReason: e.disabledReason,
    createdAt: e.createdAt.toISOString(),
    ...(secret ? { secret } : {}),
  };
}

function deliveryWire(d: DeliveryView): WebhookDelivery {
  return {
    id: d.id.toString(),
    messageId: d.messageId,
    eventType: d.eventType,
    cursor: d.eventPosition.toString(),
    status: d.state,
    attempts: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      at: a.at.toISOString(),
      status: a.status,
      error: a.error,
      durationMs: a.durationMs,
    })),
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}

/** Registers the webhook routes. */
export function registerWebhookRoutes(app: FastifyInstance, webhooks: WebhookService): void {
  app.post<{ Body: CreateWebhookBody }>(
    '/v1/webhooks',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksCreate',
        summary: 'Register a webhook endpoint',
        description:
          'The LSP POSTs each event of the tenant whose type (`<subject kind>.<state>`, e.g. `payment.succeeded`; see docs/webhooks.md) matches one of `events`, from now on, signed the Standard Webhooks way with the `secret` of the answer (shown this once). The URL must be https and (unless the operator allows it) resolve to public addresses only: else `webhook_url_refused` (422).',
        tags,
        body: CreateWebhookBody,
        response: { 201: WebhookResponse, ...errors },
      },
    },
    async (req, reply) => {
      const { endpoint, secret } = await webhooks.create(principalOf(req).tenantId, req.body);
      return reply.code(201).send(endpointWire(endpoint, secret));
    },
  );

  app.get(
    '/v1/webhooks',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksList',
        summary: "The tenant's webhook endpoints",
        tags,
        response: { 200: WebhooksResponse, ...errors },
      },
    },
    async (req) => ({
      webhooks: (await webhooks.list(principalOf(req).tenantId)).map((e) => endpointWire(e)),
    }),
  );

  app.get<{ Params: Params }>(
    '/v1/webhooks/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksGet',
        summary: 'One webhook endpoint',
        tags,
        params: IdParams,
        response: { 200: WebhookResponse, ...errors },
      },
    },
    async (req) => endpointWire(await webhooks.get(principalOf(req).tenantId, req.params.id)),
  );

  app.delete<{ Params: Params }>(
    '/v1/webhooks/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksRemove',
        summary: 'Remove a webhook endpoint and its delivery log',
        tags,
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await webhooks.remove(principalOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Params }>(
    '/v1/webhooks/:id/enable',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksEnable',
        summary: 'Enable an endpoint again',
        description:
          'An endpoint is disabled when a delivery got no 2xx within the retry window (`disabledReason` says which). Enabled again, it resumes with the deliveries still pending, then the events since.',
        tags,
        params: IdParams,
        response: { 200: WebhookResponse, ...errors },
      },
    },
    async (req) => endpointWire(await webhooks.enable(principalOf(req).tenantId, req.params.id)),
  );

  app.get<{ Params: Params; Querystring: WebhookDeliveriesQuery }>(
    '/v1/webhooks/:id/deliveries',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksDeliveries',
        summary: "An endpoint's delivery log, newest first, a page at a time",
        description:
          "Newest (latest event) first: each event sent (or being sent) and every attempt, with the status answered or the error. Pass the answer's `nextCursor` as `cursor` for the next (older) page; it is null on the last one. Deliveries made meanwhile never shift a page.",
        tags,
        params: IdParams,
        querystring: WebhookDeliveriesQuery,
        response: { 200: WebhookDeliveriesResponse, ...errors },
      },
    },
    async (req) => {
      const page = await webhooks.deliveries(
        principalOf(req).tenantId,
        req.params.id,
        pageRequest(req.query, DELIVERY_PAGE),
      );
      return { deliveries: page.items.map(deliveryWire), nextCursor: nextCursor(page.next) };
    },
  );

  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'webhooksRedeliver',
        summary: 'Send a delivery again',
        description:
          'A delivered or given-up delivery is sent again (same `webhook-id`, new timestamp and signature). One still pending is `conflict` (409).',
        tags,
        params: DeliveryParams,
        response: { 200: WebhookDelivery, ...errors },
      },
    },
    async (req) =>
      deliveryWire(await webhooks.redeliver(principalOf(req).tenantId, req.params.id, req.params.deliveryId)),
  );
}
