/**
 * Tenants' webhook endpoints: registered with an `https` URL that passes the outbound policy
 * and the event types wanted; the secret is made here, shown once and kept sealed. An endpoint
 * receives events from the moment it is created. Everything is tenant-scoped: another tenant's
 * endpoint is not found.
 */
import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  invalidInput,
  LspError,
  type WebhookRetryPolicy,
  webhookDeliveryMachine,
  webhookPatternProblem,
} from '@blgv/core';
import { newWebhookSecret } from '@blgv/protocol';
import {
  type Database,
  type DeliveryWithAttempts,
  EventsRepository,
  LedgerRepository,
  type Page,
  type PageRequest,
  type WebhookEndpointRecord,
  WebhooksRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { applyStep } from '../machines/apply-step.ts';
import { checkWebhookUrl, type OutboundPolicy } from './outbound.ts';

/** What the service needs. */
export interface WebhookServiceDeps {
  readonly database: Database;
  readonly box: SecretBox;
  readonly policy: OutboundPolicy;
  readonly retry: WebhookRetryPolicy;
  readonly maxEndpointsPerTenant: number;
  readonly log: Logger;
}

/** What a tenant asks for. */
export interface NewWebhook {
  readonly url: string;
  readonly events: readonly string[];
  readonly description?: string | undefined;
}

/** A delivery with its attempts. */
export type DeliveryView = DeliveryWithAttempts;

/** Checks event-type patterns: `*`, `<kind>.*` or `<kind>.<state>` of known kinds and states. */
export function parseEventPatterns(events: readonly string[]): string[] {
  return events.map((p, i) => {
    const problem = webhookPatternProblem(p);
    if (problem) throw invalidInput(`events[${i}]`, problem);
    return p;
  });
}

/** Registers, reads and removes tenants' webhook endpoints. */
export class WebhookService {
  readonly #deps: WebhookServiceDeps;
  readonly #repo: WebhooksRepository;

  constructor(deps: WebhookServiceDeps) {
    this.#deps = deps;
    this.#repo = new WebhooksRepository(deps.database.db);
  }

  /** Registers an endpoint; answers it with its secret (shown this once). */
  async create(
    tenantId: string,
    request: NewWebhook,
  ): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
    const events = parseEventPatterns(request.events);
    // The limit before the URL's lookup (checked again under the tenant's lock below).
    await this.#refuseOverLimit(new WebhooksRepository(this.#deps.database.db), tenantId);
    const url = await checkWebhookUrl(request.url, this.#deps.policy);
    const secret = newWebhookSecret();
    const log = new EventsRepository(this.#deps.database.db);
    await log.sequence();
    const cursor = await log.latestPosition();
    const endpoint = await this.#deps.database.db.transaction().execute(async (tx) => {
      // Counted and inserted under the tenant's lock: concurrent requests cannot pass the limit.
      await new LedgerRepository(tx).lockTenant(tenantId);
      const repo = new WebhooksRepository(tx);
      await this.#refuseOverLimit(repo, tenantId);
      return repo.insertEndpoint({
        id: `wh_${randomBytes(8).toString('hex')}`,
        tenantId,
        url: url.toString(),
        events,
        description: request.description ?? null,
        sealedSecret: this.#deps.box.seal(secret),
        state: 'enabled',
        disabledReason: null,
        cursor,
      });
    });
    // The host only: a URL's path and query may carry the receiver's token.
    this.#deps.log.info({ tenantId, webhookId: endpoint.id, host: url.host }, 'webhook endpoint created');
    return { endpoint, secret };
  }

  /** Refuses (`tenant_limit_exceeded`) a tenant that has as many endpoints as it may. */
  async #refuseOverLimit(repo: WebhooksRepository, tenantId: string): Promise<void> {
    if ((await repo.countEndpoints(tenantId)) >= this.#deps.maxEndpointsPerTenant)
      throw new LspError(
        ErrorCode.TenantLimitExceeded,
        `at most ${this.#deps.maxEndpointsPerTenant} webhook endpoints per tenant`,
        { field: 'webhooks', limit: this.#deps.maxEndpointsPerTenant },
      );
  }

  list(tenantId: string): Promise<WebhookEndpointRecord[]> {
    return this.#repo.endpoints(tenantId);
  }

  /** The tenant's endpoint, or `not_found`. */
  async get(tenantId: string, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.#repo.endpoint(id);
    if (!endpoint || endpoint.tenantId !== tenantId)
      throw new LspError(ErrorCode.NotFound, `no webhook endpoint ${id}`);
    return endpoint;
  }

  /** Removes an endpoint and its delivery log. */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.#repo.deleteEndpoint(id);
  }

  /** Enables an endpoint again (after it was disabled for sustained failure). */
  async enable(tenantId: string, id: string): Promise<WebhookEndpointRecord> {
    await this.get(tenantId, id);
    await this.#deps.database.db.transaction().execute((tx) => new WebhooksRepository(tx).reenable(id));
    return this.get(tenantId, id);
  }

  /** A page of an endpoint's deliveries, newest (latest event) first, with every attempt. */
  async deliveries(tenantId: string, id: string, page: PageRequest): Promise<Page<DeliveryView>> {
    await this.get(tenantId, id);
    return this.#repo.deliveries(id, page);
  }

  /** Sends a delivered or given-up delivery again (a pending one is `conflict`). */
  async redeliver(tenantId: string, id: string, deliveryId: string): Promise<DeliveryView> {
    await this.get(tenantId, id);
    const delivery = /^\d{1,18}$/.test(deliveryId)
      ? await this.#repo.delivery(id, BigInt(deliveryId))
      : undefined;
    if (!delivery) throw new LspError(ErrorCode.NotFound, `no delivery ${deliveryId} of webhook ${id}`);
    const now = new Date();
    const event = { type: 'redeliver', at: now } as const;
    const step = await applyStep(
      webhookDeliveryMachine,
      { id: delivery.id.toString(), state: delivery.state },
      event,
      { policy: this.#deps.retry },
      {
        db: this.#deps.database.db,
        log: this.#deps.log,
        refused: (reason) => {
          throw new LspError(ErrorCode.Conflict, reason, { field: 'deliveryId' });
        },
        persist: (step, db) =>
          new WebhooksRepository(db).redeliver(delivery.id, delivery.state, step.nextAttemptAt ?? now),
        effects: {},
      },
    );
    if (!step) throw new LspError(ErrorCode.Conflict, 'the delivery changed meanwhile; read it again');
    const view = await this.#repo.deliveryWithAttempts(id, delivery.id);
    if (!view) throw new LspError(ErrorCode.NotFound, `no delivery ${deliveryId} of webhook ${id}`);
    return view;
  }
}
