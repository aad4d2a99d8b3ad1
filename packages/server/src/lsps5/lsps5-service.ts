/**
 * The LSPS5 methods (bLIP-55): `set_webhook` (insert-or-replace under `app_name`, at most
 * `max_webhooks` per registrant and `maxTotalWebhooks` in all, persisted before the answer,
 * `webhook_registered` queued for a new or changed webhook only), `list_webhooks` and
 * `remove_webhook`. Over peer messages the client node is the sender and, unless
 * `requireRelationship` is off, must have a channel with the LSP or an order; over HTTP a tenant
 * names it (`client_node_pubkey`), must serve it, and sees only the webhooks it registered
 * itself. A request is validated first, then held to these bounds, then carried out.
 */
import { randomUUID } from 'node:crypto';
import { type ChannelsPort, parsePubkey } from '@blgv/core';
import {
  type ListWebhooksParams,
  type ListWebhooksResult,
  Lsps0Error,
  Lsps5Error,
  Lsps5Method,
  lsps5NotificationBody,
  type RemoveWebhookParams,
  type SetWebhookParams,
  type SetWebhookResult,
} from '@blgv/protocol';
import { type Database, type Lsps5Registrant, Lsps5Repository } from '@blgv/store';
import type { Logger } from 'pino';
import type { OrderOwner } from '../lsps0/order-owner.ts';
import { RpcError } from '../lsps0/rpc-error.ts';
import type { Wakeup } from '../poll.ts';
import type { OutboundPolicy } from '../webhooks/outbound.ts';
import { checkAppName, checkLsps5Webhook, parseLsps5Webhook } from './webhook-rules.ts';

/** The LSPS5 methods. */
export class Lsps5Service {
  readonly #database: Database;
  readonly #policy: OutboundPolicy;
  readonly #maxWebhooks: number;
  readonly #maxTotal: number;
  readonly #lightning: Pick<ChannelsPort, 'listChannels' | 'pendingChannels'> | undefined;
  readonly #outbox: Wakeup;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    policy: OutboundPolicy;
    /** Webhooks one registrant may have for one client node (`max_webhooks`). */
    maxWebhooks: number;
    /** Webhooks of all registrants together. */
    maxTotalWebhooks: number;
    /**
     * The LSP node's channels: a client node registering for itself must have one (open or
     * pending) or an order. Without it, any node may register.
     */
    requireRelationship?: Pick<ChannelsPort, 'listChannels' | 'pendingChannels'>;
    /** Woken when a notification is queued. */
    outbox: Wakeup;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#policy = deps.policy;
    this.#maxWebhooks = deps.maxWebhooks;
    this.#maxTotal = deps.maxTotalWebhooks;
    this.#lightning = deps.requireRelationship;
    this.#outbox = deps.outbox;
    this.#log = deps.log;
  }

  /** `lsps5.set_webhook`. */
  async setWebhook(caller: OrderOwner, p: SetWebhookParams): Promise<SetWebhookResult> {
    const who = registrant(caller, p.client_node_pubkey, 'set_webhook');
    checkAppName(p.app_name);
    parseLsps5Webhook(p.webhook);
    // Who asks before any lookup: a peer with no relationship learns nothing of the LSP's DNS.
    await this.#checkRelationship(who);
    await checkLsps5Webhook(p.webhook, this.#policy);
    const max = this.#maxWebhooks;
    const result = await this.#database.db.transaction().execute(async (tx) => {
      const repo = new Lsps5Repository(tx);
      await repo.lock(who);
      const existing = await repo.webhooks(who);
      const same = existing.find((w) => w.appName === p.app_name);
      if (same?.url === p.webhook)
        return { num_webhooks: existing.length, max_webhooks: max, no_change: true };
      let id: string;
      if (same) {
        id = same.id;
        await repo.replaceUrl(id, p.webhook);
      } else {
        if (existing.length >= max)
          throw new RpcError(Lsps5Error.TooManyWebhooks, 'too_many_webhooks', { max_webhooks: max });
        await repo.lockInserts();
        if ((await repo.countAll()) >= this.#maxTotal)
          throw new RpcError(Lsps5Error.TooManyWebhooks, 'too_many_webhooks', {
            max_webhooks: max,
            message: 'the LSP holds as many webhooks as it takes now; try again later',
          });
        id = randomUUID();
        await repo.insertWebhook(who, { id, appName: p.app_name, url: p.webhook });
      }
      // Only to this webhook, and before anything else to it (the outbox keeps its order).
      await repo.enqueue([
        {
          webhookId: id,
          client: who.client,
          method: Lsps5Method.WebhookRegistered,
          body: lsps5NotificationBody(Lsps5Method.WebhookRegistered),
        },
      ]);
      return {
        num_webhooks: existing.length + (same ? 0 : 1),
        max_webhooks: max,
        no_change: false,
      };
    });
    if (!result.no_change) {
      this.#log.info({ client: who.client, owner: who.ownerKind, appName: p.app_name }, 'LSPS5 webhook set');
      this.#outbox.wake();
    }
    return result;
  }

  /**
   * Refuses (`client_rejected`) a tenant that does not serve the client node (it would learn
   * when the node is paid), and, with `requireRelationship`, a node with neither an order nor
   * a channel (open or pending) with the LSP: registrations cost storage and a POST per event.
   */
  async #checkRelationship(who: Lsps5Registrant): Promise<void> {
    const repo = new Lsps5Repository(this.#database.db);
    if (who.ownerKind === 'tenant') {
      if (await repo.tenantServes(who.owner, who.client)) return;
      throw new RpcError(Lsps0Error.ClientRejected, 'client_rejected', {
        message: `this tenant has no LSPS1 order, JIT channel, channel or hosted node for ${who.client}: it may register webhooks only for nodes it serves`,
      });
    }
    const lightning = this.#lightning;
    if (!lightning || (await repo.clientKnown(who.client))) return;
    const signal = AbortSignal.timeout(10_000);
    const [open, pending] = await Promise.all([
      lightning.listChannels(signal),
      lightning.pendingChannels(signal),
    ]);
    if ([...open, ...pending].some((c) => c.remotePubkey === who.client)) return;
    throw new RpcError(Lsps0Error.ClientRejected, 'client_rejected', {
      message:
        'webhooks are kept only for nodes with a channel with this LSP or an LSPS1 order or LSPS2 buy: open a channel or buy one first',
    });
  }

  /** `lsps5.list_webhooks`: the caller's app names for the client, oldest first. */
  async listWebhooks(caller: OrderOwner, p: ListWebhooksParams): Promise<ListWebhooksResult> {
    const who = registrant(caller, p.client_node_pubkey, 'list_webhooks');
    const webhooks = await new Lsps5Repository(this.#database.db).webhooks(who);
    return { app_names: webhooks.map((w) => w.appName), max_webhooks: this.#maxWebhooks };
  }

  /** `lsps5.remove_webhook`: `{}`, or 1010 `app_name_not_found`. */
  async removeWebhook(caller: OrderOwner, p: RemoveWebhookParams): Promise<Record<string, never>> {
    const who = registrant(caller, p.client_node_pubkey, 'remove_webhook');
    const removed = await this.#database.db.transaction().execute(async (tx) => {
      const repo = new Lsps5Repository(tx);
      await repo.lock(who);
      const found = (await repo.webhooks(who)).find((w) => w.appName === p.app_name);
      if (found) await repo.deleteWebhook(found.id);
      return found !== undefined;
    });
    if (!removed)
      throw new RpcError(Lsps5Error.AppNameNotFound, 'app_name_not_found', {
        message: `no webhook registered under app_name ${JSON.stringify(p.app_name)}`,
      });
    this.#log.info({ client: who.client, appName: p.app_name }, 'LSPS5 webhook removed');
    return {};
  }
}

/** Who registers, for which client node: the sender itself, or a tenant naming the node. */
function registrant(caller: OrderOwner, clientNode: string | undefined, method: string): Lsps5Registrant {
  if (caller.kind === 'node') return { ownerKind: 'node', owner: caller.pubkey, client: caller.pubkey };
  if (!clientNode)
    throw new RpcError(-32602, 'invalid params', {
      property: 'client_node_pubkey',
      message: `over HTTP, lsps5.${method} needs client_node_pubkey: the client node the webhooks are for`,
    });
  return { ownerKind: 'tenant', owner: caller.tenantId, client: parsePubkey(clientNode) };
}
