/**
 * LSPS5 (0013): the webhooks client nodes registered, per-method notification cooldowns, what
 * retention needs to know about each client, and the outbox of notifications.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { Lsps5NotificationState, Lsps5NotificationsTable, Lsps5WebhooksTable } from './tables/lsps5.ts';

/** A webhook as stored; each field is its column's, camelCased. */
export interface Lsps5WebhookRecord {
  readonly id: string;
  /** Who registered it: the client node itself, or a tenant. */
  readonly ownerKind: 'node' | 'tenant';
  readonly owner: string;
  /** The client node it is for. */
  readonly clientPubkey: string;
  readonly appName: string;
  readonly url: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A notification as stored; each field is its column's, camelCased. */
export interface Lsps5NotificationRecord {
  readonly id: bigint;
  readonly webhookId: string;
  readonly clientPubkey: string;
  readonly method: string;
  readonly body: string;
  readonly state: Lsps5NotificationState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

/** A notification due now, with its webhook's URL. */
export interface DueLsps5Notification extends Lsps5NotificationRecord {
  readonly url: string;
}

/** Who registered webhooks, for which client node. */
export interface Lsps5Registrant {
  readonly ownerKind: 'node' | 'tenant';
  readonly owner: string;
  readonly client: string;
}

/** A notification to add to the outbox. */
export interface NewLsps5Notification {
  readonly webhookId: string;
  readonly client: string;
  readonly method: string;
  readonly body: string;
}

/** Reads and writes LSPS5 state. Pass a transaction to combine writes. */
export class Lsps5Repository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Serialises changes to one registrant's webhooks until the transaction ends. */
  async lock(r: Lsps5Registrant): Promise<void> {
    const key = `lsps5:${r.ownerKind}:${r.owner}:${r.client}`;
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(this.#db);
  }

  /** A registrant's webhooks, oldest first. */
  async webhooks(r: Lsps5Registrant): Promise<Lsps5WebhookRecord[]> {
    const rows = await this.#db
      .selectFrom('lsps5_webhooks')
      .selectAll()
      .where('owner_kind', '=', r.ownerKind)
      .where('owner', '=', r.owner)
      .where('client_pubkey', '=', r.client)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toWebhook);
  }

  /**
   * Every webhook of a client node, whoever registered it. With `forShare`, their rows stay
   * locked until the transaction ends, so a URL replaced meanwhile waits for what this
   * transaction queues (and then drops it), keeping `webhook_registered` first.
   */
  async webhooksOfClient(
    client: string,
    options: { forShare?: boolean } = {},
  ): Promise<Lsps5WebhookRecord[]> {
    const q = this.#db
      .selectFrom('lsps5_webhooks')
      .selectAll()
      .where('client_pubkey', '=', client)
      .orderBy('created_at')
      .orderBy('id');
    return (await (options.forShare ? q.forShare() : q).execute()).map(toWebhook);
  }

  /**
   * True when the tenant has something with the client node: an LSPS1 order or a JIT channel
   * it bought for it, a channel it bought to it, or the node is its hosted node. Only then may
   * it register LSPS5 webhooks for the node (they learn when the node is paid).
   */
  async tenantServes(tenantId: string, client: string): Promise<boolean> {
    const r = await sql<{ serves: boolean }>`select (
        exists (select 1 from lsps1_orders where owner_kind = 'tenant' and owner = ${tenantId} and client_pubkey = ${client})
        or exists (select 1 from lsps2_jit_channels where owner_kind = 'tenant' and owner = ${tenantId} and client_pubkey = ${client})
        or exists (select 1 from channel_requests where tenant_id = ${tenantId}::uuid and client_pubkey = ${client})
        or exists (select 1 from hosted_nodes where tenant_id = ${tenantId}::uuid and pubkey = ${client})
      ) as serves`.execute(this.#db);
    return r.rows[0]?.serves === true;
  }

  /**
   * True when the LSP has had business with the client node itself: an LSPS1 order or an LSPS2
   * buy for it, a channel bought to it, or it is a hosted node (whoever asked for them).
   */
  async clientKnown(client: string): Promise<boolean> {
    const r = await sql<{ known: boolean }>`select (
        exists (select 1 from lsps1_orders where client_pubkey = ${client})
        or exists (select 1 from lsps2_jit_channels where client_pubkey = ${client})
        or exists (select 1 from channel_requests where client_pubkey = ${client})
        or exists (select 1 from hosted_nodes where pubkey = ${client})
      ) as known`.execute(this.#db);
    return r.rows[0]?.known === true;
  }

  /**
   * Serialises adding webhooks across all registrants until the transaction ends (taken after
   * {@link lock}, so the overall count read next holds until the insert commits).
   */
  async lockInserts(): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext('lsps5:insert'))`.execute(this.#db);
  }

  /** Webhooks stored, of every registrant. */
  async countAll(): Promise<number> {
    const r = await this.#db
      .selectFrom('lsps5_webhooks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Client nodes that have at least one webhook. */
  async clients(): Promise<string[]> {
    const rows = await this.#db.selectFrom('lsps5_webhooks').select('client_pubkey').distinct().execute();
    return rows.map((r) => r.client_pubkey);
  }

  async insertWebhook(
    r: Lsps5Registrant,
    w: { readonly id: string; readonly appName: string; readonly url: string },
  ): Promise<void> {
    await this.#db
      .insertInto('lsps5_webhooks')
      .values({
        id: w.id,
        owner_kind: r.ownerKind,
        owner: r.owner,
        client_pubkey: r.client,
        app_name: w.appName,
        url: w.url,
      })
      .execute();
  }

  /** Points a webhook at a new URL; what was still pending for the old one is dropped. */
  async replaceUrl(id: string, url: string): Promise<void> {
    await this.#db
      .updateTable('lsps5_webhooks')
      .set({ url, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    await this.#db
      .updateTable('lsps5_notifications')
      .set({ state: 'dropped', last_error: 'the webhook URL was replaced', finished_at: sql`now()` })
      .where('webhook_id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Removes a webhook (and its notifications). */
  async deleteWebhook(id: string): Promise<void> {
    await this.#db.deleteFrom('lsps5_webhooks').where('id', '=', id).execute();
  }

  async enqueue(notifications: readonly NewLsps5Notification[]): Promise<void> {
    if (notifications.length === 0) return;
    await this.#db
      .insertInto('lsps5_notifications')
      .values(
        notifications.map((n) => ({
          webhook_id: n.webhookId,
          client_pubkey: n.client,
          method: n.method,
          body: n.body,
          state: 'pending' as const,
        })),
      )
      .execute();
  }

  /**
   * Takes the cooldown of `method` for `client`: true (and the cooldown starts now) when none
   * was running, false when one sent within `seconds` still runs. Atomic: of two concurrent
   * callers, one wins.
   */
  async takeCooldown(client: string, method: string, seconds: number): Promise<boolean> {
    const r = await sql<{ client_pubkey: string }>`
      insert into lsps5_cooldowns (client_pubkey, method, sent_at) values (${client}, ${method}, now())
      on conflict (client_pubkey, method) do update set sent_at = now()
        where lsps5_cooldowns.sent_at <= now() - make_interval(secs => ${seconds})
      returning client_pubkey`.execute(this.#db);
    return r.rows.length > 0;
  }

  /** Ends every cooldown of a client (it came online and went offline again). */
  async clearCooldowns(client: string): Promise<void> {
    await this.#db.deleteFrom('lsps5_cooldowns').where('client_pubkey', '=', client).execute();
  }

  /**
   * Pending notifications due now, oldest first, at most one per webhook and only the oldest
   * pending one of it (a webhook gets its notifications in order: `webhook_registered` first),
   * leaving out `excluding` (those being sent now: the batch is filled with others, not with
   * what hangs at a slow webhook).
   */
  async due(limit: number, excluding: readonly bigint[] = []): Promise<DueLsps5Notification[]> {
    const rows = await this.#db
      .selectFrom('lsps5_notifications as n')
      .innerJoin('lsps5_webhooks as w', 'w.id', 'n.webhook_id')
      .selectAll('n')
      .select('w.url')
      .where('n.state', '=', 'pending')
      .where('n.next_attempt_at', '<=', sql<Date>`now()`)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('lsps5_notifications as earlier')
              .select(sql`1`.as('one'))
              .whereRef('earlier.webhook_id', '=', 'n.webhook_id')
              .whereRef('earlier.id', '<', 'n.id')
              .where('earlier.state', '=', 'pending'),
          ),
        ),
      )
      .$if(excluding.length > 0, (q) => q.where('n.id', 'not in', [...excluding]))
      .orderBy('n.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...toNotification(r), url: r.url }));
  }

  /**
   * Records an attempt of a notification, only if it still has the attempts it was read with
   * (so two senders never both record one): false when it had moved.
   */
  async recordAttempt(
    n: Lsps5NotificationRecord,
    outcome: {
      readonly state: Lsps5NotificationState;
      readonly status: number | undefined;
      readonly error: string | undefined;
      readonly nextAttemptAt: Date | undefined;
      readonly countsAsAttempt: boolean;
    },
  ): Promise<boolean> {
    const r = await this.#db
      .updateTable('lsps5_notifications')
      .set({
        state: outcome.state,
        attempts: n.attempts + (outcome.countsAsAttempt ? 1 : 0),
        last_status: outcome.status ?? null,
        last_error: outcome.error ?? null,
        ...(outcome.nextAttemptAt ? { next_attempt_at: outcome.nextAttemptAt } : {}),
        ...(outcome.state !== 'pending' ? { finished_at: sql<Date>`now()` } : {}),
      })
      .where('id', '=', n.id)
      .where('attempts', '=', n.attempts)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Records whether each client node has a channel now: one that has none keeps the earliest
   * moment it was seen without (`no_channel_since`); one that has one gets null.
   */
  async recordChannels(clients: ReadonlyMap<string, boolean>): Promise<void> {
    for (const [client, hasChannel] of clients) {
      await this.#db
        .insertInto('lsps5_clients')
        .values({ client_pubkey: client, no_channel_since: hasChannel ? null : sql<Date>`now()` })
        .onConflict((oc) =>
          oc.column('client_pubkey').doUpdateSet({
            no_channel_since: hasChannel ? null : sql<Date>`coalesce(lsps5_clients.no_channel_since, now())`,
          }),
        )
        .execute();
    }
  }

  /**
   * Removes notifications finished (delivered, given up or dropped) before `before`, at most
   * `limit` in one statement (the caller repeats while it removes that many). Pending ones stay.
   * Returns how many went.
   */
  async pruneFinishedNotifications(before: Date, limit: number): Promise<number> {
    const r = await sql<{ id: bigint }>`
      delete from lsps5_notifications where id in (
        select id from lsps5_notifications
        where state <> 'pending' and coalesce(finished_at, created_at) < ${before}
        limit ${limit}
      )
      returning id`.execute(this.#db);
    return r.rows.length;
  }

  /**
   * Removes the webhooks kept long enough: their client has had no channel for `seconds` and
   * they were set at least `seconds` ago. Returns how many went.
   */
  async prune(seconds: number): Promise<number> {
    const r = await sql<{ id: string }>`
      delete from lsps5_webhooks w using lsps5_clients c
      where c.client_pubkey = w.client_pubkey
        and c.no_channel_since is not null
        and c.no_channel_since <= now() - make_interval(secs => ${seconds})
        and w.updated_at <= now() - make_interval(secs => ${seconds})
      returning w.id`.execute(this.#db);
    return r.rows.length;
  }
}

function toWebhook(r: Selectable<Lsps5WebhooksTable>): Lsps5WebhookRecord {
  return {
    id: r.id,
    ownerKind: r.owner_kind,
    owner: r.owner,
    clientPubkey: r.client_pubkey,
    appName: r.app_name,
    url: r.url,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toNotification(r: Selectable<Lsps5NotificationsTable>): Lsps5NotificationRecord {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    clientPubkey: r.client_pubkey,
    method: r.method,
    body: r.body,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}
