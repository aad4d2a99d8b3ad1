/**
 * Decides whether a client node is told something through its LSPS5 webhooks, and queues the
 * notification in the outbox (the `lsps5` job sends it). bLIP-55: event notifications go to all
 * the client's webhooks (whoever registered them), only while it is not connected, and one
 * method at most once per cooldown (cleared when the client comes online and goes offline).
 */
import type { ChannelsPort, Pubkey, Scid } from '@blgv/core';
import { type Lsps5Method, lsps5NotificationBody } from '@blgv/protocol';
import { type Database, Lsps5Repository } from '@blgv/store';
import type { Logger } from 'pino';
import type { AwaitedClient, ClientWaker } from '../lsps2/client-waker.ts';
import type { Wakeup } from '../poll.ts';
import type { PeerPresence } from './peer-presence.ts';

/** What became of a notification. */
export type NotifyOutcome = 'queued' | 'no_webhooks' | 'connected' | 'cooldown';

/** How long the map of channels to their client is reused. */
const CHANNEL_MAP_MS = 5_000;

/** Queues LSPS5 event notifications; wakes the clients of JIT payments. */
export class Lsps5Notifier implements ClientWaker {
  readonly #database: Database;
  readonly #lightning: Pick<ChannelsPort, 'listChannels'>;
  readonly #presence: PeerPresence;
  readonly #cooldownSeconds: number;
  readonly #wakeMs: number;
  readonly #wakeGraceMs: number;
  readonly #outbox: Wakeup;
  readonly #log: Logger;
  #channels: { readonly at: number; readonly byScid: Map<bigint, Pubkey> } | undefined;

  constructor(deps: {
    database: Database;
    lightning: Pick<ChannelsPort, 'listChannels'>;
    presence: PeerPresence;
    cooldownSeconds: number;
    /** How long a JIT payment waits for its client to come online. */
    wakeSeconds: number;
    /** How long after a woken client connects an open it refuses is tried again. */
    wakeGraceSeconds: number;
    /** Woken when something is queued. */
    outbox: Wakeup;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#presence = deps.presence;
    this.#cooldownSeconds = deps.cooldownSeconds;
    this.#wakeMs = deps.wakeSeconds * 1000;
    this.#wakeGraceMs = deps.wakeGraceSeconds * 1000;
    this.#outbox = deps.outbox;
    this.#log = deps.log;
  }

  /**
   * Tells `client`'s webhooks `method` (not `webhook_registered`, which goes only to the new
   * webhook), unless it has none, is connected, or the method's cooldown runs.
   */
  async notify(
    client: Pubkey,
    method: Lsps5Method,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<NotifyOutcome> {
    const repo = new Lsps5Repository(this.#database.db);
    if ((await repo.webhooksOfClient(client)).length === 0) return 'no_webhooks';
    if (await this.#presence.isOnline(client, signal)) return 'connected';
    const body = lsps5NotificationBody(method, params);
    const queued = await this.#database.db.transaction().execute(async (tx) => {
      const r = new Lsps5Repository(tx);
      if (!(await r.takeCooldown(client, method, this.#cooldownSeconds))) return 0;
      const webhooks = await r.webhooksOfClient(client, { forShare: true });
      await r.enqueue(webhooks.map((w) => ({ webhookId: w.id, client, method, body })));
      return webhooks.length;
    });
    if (queued === 0) return 'cooldown';
    this.#log.info({ client, method, webhooks: queued }, 'LSPS5 notification queued');
    this.#outbox.wake();
    return 'queued';
  }

  /**
   * An HTLC arrived for `client` (a JIT channel of it), or for the channel `outgoingScid` when
   * the client is not known: `payment_incoming` if its client sleeps. Never throws (logged).
   */
  htlcArrived(outgoingScid: Scid, client: Pubkey | undefined, signal: AbortSignal): void {
    void (async () => {
      const to = client ?? (await this.#clientOf(outgoingScid, signal));
      if (!to) return;
      const outcome = await this.notify(to, 'lsps5.payment_incoming', {}, signal);
      this.#log.debug({ client: to, outcome }, 'payment_incoming');
    })().catch((err: unknown) => this.#log.warn({ err }, 'could not queue payment_incoming'));
  }

  /**
   * Waits (up to `wakeSeconds`) for a client that has webhooks to connect; one without any is
   * not waited for, since nothing wakes it. One that comes has `wakeGraceSeconds` in which an
   * open it refuses is tried again (its wallet may still be starting its channel acceptor).
   */
  async awaitClient(client: Pubkey, signal: AbortSignal): Promise<AwaitedClient> {
    if (await this.#presence.isOnline(client, signal)) return { online: true };
    const webhooks = await new Lsps5Repository(this.#database.db).webhooksOfClient(client);
    if (webhooks.length === 0 || this.#wakeMs === 0) return { online: false };
    this.#log.info({ client, waitMs: this.#wakeMs }, 'waiting for the client to come online');
    if (!(await this.#presence.waitOnline(client, this.#wakeMs, signal))) return { online: false };
    return { online: true, retryRefusalsUntil: Date.now() + this.#wakeGraceMs };
  }

  /** The peer of the channel with `scid` (confirmed or alias), from a map kept a few seconds. */
  async #clientOf(scid: Scid, signal: AbortSignal): Promise<Pubkey | undefined> {
    if (!this.#channels || Date.now() - this.#channels.at > CHANNEL_MAP_MS) {
      const byScid = new Map<bigint, Pubkey>();
      for (const c of await this.#lightning.listChannels(signal)) {
        byScid.set(c.scid, c.remotePubkey);
        for (const a of c.aliasScids) byScid.set(a, c.remotePubkey);
      }
      this.#channels = { at: Date.now(), byScid };
    }
    return this.#channels.byScid.get(scid);
  }
}
