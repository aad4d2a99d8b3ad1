/**
 * The LSPS5 methods (bLIP-55): `set_webhook` (insert-or-replace under `app_name`, at most
 * `max_webhooks`, persisted before the answer, `webhook_registered` queued for a new or changed
 * webhook only), `list_webhooks` and `remove_webhook`. Over peer messages the client node is
 * the sender; over HTTP a tenant names it (`client_node_pubkey`) and sees only the webhooks it
 * registered itself.
 */
import { randomUUID } from 'node:crypto';
import { parsePubkey } from '@blgv/core';
import {
  type ListWebhooksParams,
  type ListWebhooksResult,
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
import { checkAppName, checkLsps5Webhook } from './webhook-rules.ts';

/** The LSPS5 methods. */
export class Lsps5Service {
  readonly #database: Database;
  readonly #policy: OutboundPolicy;
  readonly #maxWebhooks: number;
  readonly #outbox: Wakeup;
  readonly #log: Logger;

  constructor(deps: {
    database: Database;
    policy: OutboundPolicy;
    maxWebhooks: number;
    /** Woken when a notification is queued. */
    outbox: Wakeup;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#policy = deps.policy;
    this.#maxWebhooks = deps.maxWebhooks;
    this.#outbox = deps.outbox;
    this.#log = deps.log;
  }

  /** `lsps5.set_webhook`. */
  async setWebhook(caller: OrderOwner, p: SetWebhookParams): Promise<SetWebhookResult> {
    const who = registrant(caller, p.client_node_pubkey, 'set_webhook');
    checkAppName(p.app_name);
    await checkLsps5Webhook(p.webhook, this.#policy);
    // A tenant learns when the node is paid: only for a node it serves, not any stranger's.
    if (
      who.ownerKind === 'tenant' &&
      !(await new Lsps5Repository(this.#database.db).tenantServes(who.owner, who.client))
    )
      throw new RpcError(1, 'client_rejected', {
        message: `this tenant has no LSPS1 order, JIT channel, channel or hosted node for ${who.client}: it may register webhooks only for nodes it serves`,
      });
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
