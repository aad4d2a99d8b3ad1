/**
 * Tenants' webhook endpoints (0012), the deliveries made of the event log for each, and every
 * attempt of each delivery.
 */
import type { TenantDeliveryState } from '@blgv/core';
import { type Kysely, sql } from 'kysely';
import { type Page, type PageRequest, readPage } from './keyset-page.ts';
import type { Schema } from './schema.ts';
import {
  type AttemptOutcome,
  type DeliveryWithAttempts,
  type DueDelivery,
  type NewWebhookDelivery,
  type NewWebhookEndpoint,
  toAttempt,
  toDelivery,
  toEndpoint,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
} from './webhook-records.ts';

/** Reads and writes webhook endpoints and deliveries. Pass a transaction to combine writes. */
export class WebhooksRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insertEndpoint(e: NewWebhookEndpoint): Promise<WebhookEndpointRecord> {
    const row = await this.#db
      .insertInto('webhook_endpoints')
      .values({
        id: e.id,
        tenant_id: e.tenantId,
        url: e.url,
        events: e.events,
        description: e.description,
        sealed_secret: e.sealedSecret,
        state: e.state,
        disabled_reason: e.disabledReason,
        cursor: e.cursor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEndpoint(row);
  }

  async endpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toEndpoint(row);
  }

  async endpoints(tenantId: string): Promise<WebhookEndpointRecord[]> {
    const rows = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .execute();
    return rows.map(toEndpoint);
  }

  /** Enabled endpoints of every tenant (the delivery job's work). */
  async enabledEndpoints(): Promise<WebhookEndpointRecord[]> {
    const rows = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('state', '=', 'enabled')
      .execute();
    return rows.map(toEndpoint);
  }

  async countEndpoints(tenantId: string): Promise<number> {
    const r = await this.#db
      .selectFrom('webhook_endpoints')
      .select(sql<string>`count(*)`.as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.#db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
  }

  /**
   * Enables an endpoint again: its pending deliveries start a new retry window, due now.
   */
  async reenable(id: string): Promise<void> {
    await this.setEndpointState(id, 'enabled', null);
    await this.#db
      .updateTable('webhook_deliveries')
      .set({ first_attempt_at: null, next_attempt_at: sql`now()` })
      .where('endpoint_id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Enables or disables an endpoint (with why, when disabled). */
  async setEndpointState(id: string, state: 'enabled' | 'disabled', reason: string | null): Promise<void> {
    await this.#db
      .updateTable('webhook_endpoints')
      .set({ state, disabled_reason: reason, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Adds the deliveries of events up to `cursor` and moves the endpoint's cursor there, only
   * if it still is at `from` (another replica may have done it): false when it was not.
   */
  async enqueue(
    endpointId: string,
    from: bigint,
    cursor: bigint,
    deliveries: readonly NewWebhookDelivery[],
  ): Promise<boolean> {
    const moved = await this.#db
      .updateTable('webhook_endpoints')
      .set({ cursor })
      .where('id', '=', endpointId)
      .where('cursor', '=', from)
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) return false;
    if (deliveries.length > 0) {
      await this.#db
        .insertInto('webhook_deliveries')
        .values(
          deliveries.map((d) => ({
            endpoint_id: endpointId,
            message_id: d.messageId,
            event_position: d.eventPosition,
            event_type: d.eventType,
            subject: d.subject,
            body: d.body,
            state: 'pending' as const,
          })),
        )
        .onConflict((oc) => oc.columns(['endpoint_id', 'event_position']).doNothing())
        .execute();
    }
    return true;
  }

  /**
   * Pending deliveries of enabled endpoints due now whose subject has no earlier pending
   * delivery at the same endpoint (a subject's events go out in order), oldest first: at most
   * `perEndpoint` of any one endpoint, so a backlog at one receiver does not fill the batch.
   */
  async due(limit: number, perEndpoint = limit): Promise<DueDelivery[]> {
    const rows = await this.#db
      .with('ranked', (db) =>
        db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
          .selectAll('d')
          .select(['e.url', 'e.sealed_secret'])
          .where('d.state', '=', 'pending')
          .where('e.state', '=', 'enabled')
          .where('d.next_attempt_at', '<=', sql<Date>`now()`)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('webhook_deliveries as earlier')
                  .select(sql`1`.as('one'))
                  .whereRef('earlier.endpoint_id', '=', 'd.endpoint_id')
                  .whereRef('earlier.subject', '=', 'd.subject')
                  .whereRef('earlier.event_position', '<', 'd.event_position')
                  .where('earlier.state', '=', 'pending'),
              ),
            ),
          )
          .select(
            sql<number>`row_number() over (partition by d.endpoint_id order by d.next_attempt_at, d.id)`.as(
              'rank',
            ),
          ),
      )
      .selectFrom('ranked')
      .selectAll()
      .where('rank', '<=', perEndpoint)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...toDelivery(r), url: r.url, sealedSecret: r.sealed_secret }));
  }

  /**
   * Records attempt `attempt` of a delivery and its new state, only if the delivery still has
   * `attempt - 1` attempts (so two senders never both record one): false when it had moved.
   */
  async recordAttempt(delivery: WebhookDeliveryRecord, outcome: AttemptOutcome): Promise<boolean> {
    const attempt = delivery.attempts + 1;
    const r = await this.#db
      .updateTable('webhook_deliveries')
      .set({
        state: outcome.state,
        attempts: attempt,
        first_attempt_at: delivery.firstAttemptAt ?? outcome.at,
        last_status: outcome.status ?? null,
        last_error: outcome.error ?? null,
        ...(outcome.nextAttemptAt ? { next_attempt_at: outcome.nextAttemptAt } : {}),
        ...(outcome.state === 'delivered' ? { delivered_at: outcome.at } : {}),
      })
      .where('id', '=', delivery.id)
      .where('attempts', '=', delivery.attempts)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    await this.#db
      .insertInto('webhook_attempts')
      .values({
        delivery_id: delivery.id,
        attempt,
        at: outcome.at,
        status: outcome.status ?? null,
        error: outcome.error ?? null,
        duration_ms: outcome.durationMs,
      })
      .execute();
    return true;
  }

  async delivery(endpointId: string, id: bigint): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  /**
   * Removes finished deliveries (delivered, or given up) made before `before` and not attempted
   * since, with their attempts, at most `limit` in one statement (the caller repeats while it
   * removes that many). Pending deliveries stay whatever their age. Returns how many went.
   */
  async pruneFinished(before: Date, limit: number): Promise<number> {
    const r = await sql<{ id: bigint }>`
      delete from webhook_deliveries where id in (
        select d.id from webhook_deliveries d
        where d.state in ('delivered', 'failed') and d.created_at < ${before}
          and not exists (
            select 1 from webhook_attempts a where a.delivery_id = d.id and a.at >= ${before}
          )
        limit ${limit}
      )
      returning id`.execute(this.#db);
    return r.rows.length;
  }

  /** Puts a finished delivery back to pending, due at `at`. */
  async redeliver(id: bigint, from: TenantDeliveryState, at: Date): Promise<boolean> {
    const r = await this.#db
      .updateTable('webhook_deliveries')
      .set({ state: 'pending', next_attempt_at: at, first_attempt_at: null })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * A page of an endpoint's deliveries, newest (latest event) first, with their attempts: keyed
   * by the event's position, which only grows at an endpoint.
   */
  async deliveries(endpointId: string, page: PageRequest): Promise<Page<DeliveryWithAttempts>> {
    const q = this.#db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
    const shown = await readPage(q, 'event_position', page, toDelivery);
    return { items: await this.#withAttempts(shown.items), next: shown.next };
  }

  /** One delivery of an endpoint with its attempts. */
  async deliveryWithAttempts(endpointId: string, id: bigint): Promise<DeliveryWithAttempts | undefined> {
    const row = await this.delivery(endpointId, id);
    return row && (await this.#withAttempts([row]))[0];
  }

  /** `deliveries` with every attempt of each, in attempt order. */
  async #withAttempts(deliveries: WebhookDeliveryRecord[]): Promise<DeliveryWithAttempts[]> {
    if (deliveries.length === 0) return [];
    const rows = await this.#db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where(
        'delivery_id',
        'in',
        deliveries.map((d) => d.id),
      )
      .orderBy('attempt')
      .execute();
    const attempts = rows.map(toAttempt);
    return deliveries.map((d) => ({ ...d, attemptLog: attempts.filter((a) => a.deliveryId === d.id) }));
  }
}
