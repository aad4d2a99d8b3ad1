/**
 * The client's REST webhook calls (`/v1/webhooks`).
 */
import type {
  CreateWebhookBody,
  WebhookDeliveriesQuery,
  WebhookDeliveriesResponse,
  WebhookDelivery,
  WebhookResponse,
  WebhooksResponse,
} from '@blgv/protocol';
import { pageQuery, queryString } from './query-string.ts';
import type { SignedTransport } from './signed-transport.ts';

/**
 * REST webhooks (`/v1/webhooks`): `create` answers the endpoint with its `secret` (shown this
 * once); check what arrives with {@link verifyWebhook}.
 */
export function webhooksApi(t: SignedTransport) {
  return {
    create: (body: CreateWebhookBody): Promise<WebhookResponse> => t.call('POST', '/v1/webhooks', body),
    list: (): Promise<WebhooksResponse> => t.call('GET', '/v1/webhooks'),
    get: (id: string): Promise<WebhookResponse> => t.call('GET', `/v1/webhooks/${encodeURIComponent(id)}`),
    remove: (id: string): Promise<void> => t.call('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`),
    enable: (id: string): Promise<WebhookResponse> =>
      t.call('POST', `/v1/webhooks/${encodeURIComponent(id)}/enable`),
    /**
     * A page of an endpoint's delivery log, newest first (`limit` default 100, at most 500); read
     * on with `cursor` set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
     */
    deliveries: (
      id: string,
      query: WebhookDeliveriesQuery | number = {},
    ): Promise<WebhookDeliveriesResponse> =>
      t.call('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries${queryString(pageQuery(query))}`),
    redeliver: (id: string, deliveryId: string): Promise<WebhookDelivery> =>
      t.call(
        'POST',
        `/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
      ),
  };
}

/** What {@link webhooksApi} answers. */
export type WebhooksApi = ReturnType<typeof webhooksApi>;
