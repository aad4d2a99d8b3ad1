/**
 * The client's LSPS calls over HTTP (`POST /lsps`): LSPS0, LSPS1, LSPS2 and LSPS5.
 */
import type {
  CreateOrderParams,
  ListWebhooksResult,
  Lsps1Info,
  Lsps1Order,
  Lsps2BuyParams,
  Lsps2BuyResult,
  Lsps2Info,
  SetWebhookResult,
} from '@blgv/protocol';
import type { SignedTransport } from './signed-transport.ts';

/** LSPS0 over HTTP. */
export function lsps0Api(t: SignedTransport) {
  return {
    listProtocols: (): Promise<{ protocols: number[] }> => t.rpc('lsps0.list_protocols', {}),
  };
}

/** What {@link lsps0Api} answers. */
export type Lsps0Api = ReturnType<typeof lsps0Api>;

/**
 * LSPS1 (buy a channel, paid by a hold invoice) over HTTP. Over HTTP `createOrder` needs
 * `client_node_pubkey` (and `client_node_host` unless that node is a peer of the LSP).
 */
export function lsps1Api(t: SignedTransport) {
  return {
    getInfo: (): Promise<Lsps1Info> => t.rpc('lsps1.get_info', {}),
    createOrder: (params: CreateOrderParams): Promise<Lsps1Order> => t.rpc('lsps1.create_order', params),
    getOrder: (orderId: string): Promise<Lsps1Order> => t.rpc('lsps1.get_order', { order_id: orderId }),
  };
}

/** What {@link lsps1Api} answers. */
export type Lsps1Api = ReturnType<typeof lsps1Api>;

/**
 * LSPS2 (JIT channels) over HTTP. `buy` needs `client_node_pubkey`: the node the channel
 * opens to. Build the invoice's route hint with {@link lsps2RouteHint}.
 */
export function lsps2Api(t: SignedTransport) {
  return {
    getInfo: (token?: string): Promise<Lsps2Info> =>
      t.rpc('lsps2.get_info', token === undefined ? {} : { token }),
    buy: (params: Lsps2BuyParams): Promise<Lsps2BuyResult> => t.rpc('lsps2.buy', params),
  };
}

/** What {@link lsps2Api} answers. */
export type Lsps2Api = ReturnType<typeof lsps2Api>;

/**
 * LSPS5 (webhooks that wake a wallet) over HTTP: each call names the client node the webhooks
 * are for (`client_node_pubkey`); a tenant sees and removes only the webhooks it registered.
 */
export function lsps5Api(t: SignedTransport) {
  return {
    setWebhook: (clientNodePubkey: string, appName: string, webhook: string): Promise<SetWebhookResult> =>
      t.rpc('lsps5.set_webhook', { client_node_pubkey: clientNodePubkey, app_name: appName, webhook }),
    listWebhooks: (clientNodePubkey: string): Promise<ListWebhooksResult> =>
      t.rpc('lsps5.list_webhooks', { client_node_pubkey: clientNodePubkey }),
    removeWebhook: (clientNodePubkey: string, appName: string): Promise<Record<string, never>> =>
      t.rpc('lsps5.remove_webhook', { client_node_pubkey: clientNodePubkey, app_name: appName }),
  };
}

/** What {@link lsps5Api} answers. */
export type Lsps5Api = ReturnType<typeof lsps5Api>;
