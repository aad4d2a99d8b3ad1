/**
 * `LSPClient`: the BLGV LSP REST API with every request signed (see docs/api.md).
 */
import {
  type AdminJitChannelResponse,
  type AdminJobsResponse,
  type AdminLiquidityPurchaseResponse,
  type AuditResponse,
  type BalanceResponse,
  type ChannelQuoteBody,
  type ChannelQuoteResponse,
  type ChannelRequestBody,
  type ChannelResponse,
  type ChannelsResponse,
  type CreateOrderParams,
  type CreateWebhookBody,
  type DeleteNodeBody,
  type EventsQuery,
  type EventsResponse,
  type FeesResponse,
  type HostedNodeConfigBody,
  type HostedNodeQuoteResponse,
  type HostedNodeResponse,
  type HostedNodesQuery,
  type HostedNodesResponse,
  type KeyResponse,
  type LedgerQuery,
  type LedgerResponse,
  type ListQuery,
  type ListWebhooksResult,
  type LspFiguresResponse,
  type Lsps1Info,
  type Lsps1Order,
  type Lsps2BuyParams,
  type Lsps2BuyResult,
  type Lsps2Info,
  type MacaroonBody,
  type MacaroonResponse,
  type NodeBackupResponse,
  type NodeMacaroonResponse,
  type NodeMacaroonsResponse,
  type NodeMetricsQuery,
  type NodeMetricsResponse,
  newNonce,
  type PaymentBody,
  type PaymentResponse,
  type PaymentsResponse,
  type ReservationBody,
  type ReservationResponse,
  type SetWebhookResult,
  signRequest,
  type TenantResponse,
  type TopupResponse,
  type WebhookDeliveriesQuery,
  type WebhookDeliveriesResponse,
  type WebhookDelivery,
  type WebhookResponse,
  type WebhooksResponse,
} from '@blgv/protocol';
import { LspApiError, LspsRpcError } from './errors.ts';

/** How to reach the LSP and sign requests. */
export interface LSPClientOptions {
  /** Base URL, e.g. `https://lsp.example.com`. */
  readonly endpoint: string;
  /** The key id (`key_…`). */
  readonly apiKey: string;
  /** The key's secret (`sk_…`); it signs requests and is never sent. */
  readonly apiSecret: string;
  /** Per-request timeout (default 120 s: a channel request waits for its funding transaction). */
  readonly timeoutMs?: number;
  /** A `fetch` to use instead of the global one. */
  readonly fetch?: typeof fetch;
}

/** Options of a call that changes something. */
export interface MutationOptions {
  /** Retries with the same key return the first result instead of acting twice. */
  readonly idempotencyKey?: string;
}

/** The fee schedule as the API reports it, with the other parts of a price. */
export type Fees = FeesResponse;

/** A typed client of the BLGV LSP. */
export class LSPClient {
  readonly #endpoint: string;
  readonly #keyId: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: LSPClientOptions) {
    this.#endpoint = options.endpoint.replace(/\/+$/, '');
    this.#keyId = options.apiKey;
    this.#secret = options.apiSecret;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    // Called as a plain function: a browser's fetch refuses any other `this` (Illegal invocation).
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Buys a channel to `clientPubkey` (resolves once its funding transaction is published). */
  requestChannel(request: ChannelRequestBody, options: MutationOptions = {}): Promise<ChannelResponse> {
    return this.#call('POST', '/v1/channels', request, options);
  }

  /** Where a bought channel is: `opening`, `pending`, `open`, `closed` or `failed`. */
  getChannelStatus(channelId: string): Promise<ChannelResponse> {
    return this.#call('GET', `/v1/channels/${encodeURIComponent(channelId)}`);
  }

  /**
   * A page of the bought channels, newest first (`limit` default 50, at most 500); read on with
   * `cursor` set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
   */
  listChannels(query: ListQuery | number = {}): Promise<ChannelsResponse> {
    return this.#call('GET', `/v1/channels${queryString(pageQuery(query))}`);
  }

  getFees(): Promise<Fees> {
    return this.#call('GET', '/v1/fees');
  }

  /** The fee and expected confirmation of a channel, before buying it. */
  quoteChannel(request: ChannelQuoteBody): Promise<ChannelQuoteResponse> {
    return this.#call('POST', '/v1/channels/quote', request);
  }

  /** An invoice that credits `amount` sat to the account once paid. */
  topUp(amount: number): Promise<TopupResponse> {
    return this.#call('POST', '/v1/account/topups', { amount });
  }

  getTopup(paymentHash: string): Promise<TopupResponse> {
    return this.#call('GET', `/v1/account/topups/${encodeURIComponent(paymentHash)}`);
  }

  getBalance(): Promise<BalanceResponse> {
    return this.#call('GET', '/v1/account');
  }

  /**
   * A page of the ledger, newest first (`limit` default 100, at most 1000); read on with `cursor`
   * set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
   */
  getLedger(query: LedgerQuery | number = {}): Promise<LedgerResponse> {
    return this.#call('GET', `/v1/account/ledger${queryString(pageQuery(query))}`);
  }

  /**
   * State transitions in order (channel requests, LSPS1 orders, JIT channels, reservations,
   * payments, top-ups, ledger entries): this tenant's, or everyone's with an admin key. Read on
   * with `after` set to the answer's `next`.
   */
  listEvents(query: EventsQuery = {}): Promise<EventsResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.#call('GET', `/v1/events${qs ? `?${qs}` : ''}`);
  }

  /**
   * Reserves outbound liquidity for payments (the spec's `provideLiquidity`): `amount` sat for
   * `duration` ms, refused with `fee_rate_exceeded` when the fee, fully used, is above
   * `maxFeeRate` ppm. The answer's `reservationId` goes with {@link sendPayment}.
   */
  requestLiquidity(request: ReservationBody): Promise<ReservationResponse> {
    return this.#call('POST', '/v1/liquidity/reservations', request);
  }

  /** A reservation: what is used, what is left, until when. */
  getReservation(reservationId: string): Promise<ReservationResponse> {
    return this.#call('GET', `/v1/liquidity/reservations/${encodeURIComponent(reservationId)}`);
  }

  /** Gives a reservation back before it expires (its fee is not refunded). */
  releaseReservation(reservationId: string): Promise<ReservationResponse> {
    return this.#call('POST', `/v1/liquidity/reservations/${encodeURIComponent(reservationId)}/release`);
  }

  /**
   * Pays a BOLT11 invoice from the account balance, optionally with a reservation; resolves
   * with the outcome. Paying the same invoice again returns the first payment.
   */
  sendPayment(request: PaymentBody): Promise<PaymentResponse> {
    return this.#call('POST', '/v1/payments', request);
  }

  /**
   * A page of the payments sent, newest first (`limit` default 50, at most 500); read on with
   * `cursor` set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
   */
  listPayments(query: ListQuery | number = {}): Promise<PaymentsResponse> {
    return this.#call('GET', `/v1/payments${queryString(pageQuery(query))}`);
  }

  /** A payment's status, network fee paid and number of routes (HTLCs). */
  getPayment(paymentHash: string): Promise<PaymentResponse> {
    return this.#call('GET', `/v1/payments/${encodeURIComponent(paymentHash)}`);
  }

  /**
   * Hosted Lightning nodes (the spec's `createHostedNode`): quote, create (the answer carries
   * the wallet seed), list, read, stop, start, delete (never destroying coins: see
   * docs/hosting.md), the latest channel backup, and extra macaroons.
   */
  readonly nodes = {
    quote: (config: HostedNodeConfigBody): Promise<HostedNodeQuoteResponse> =>
      this.#call('POST', '/v1/nodes/quote', config),
    /**
     * Creates a node. Pass an `idempotencyKey` and repeat the call when its answer was lost: the
     * repeat answers the same node (charged once), with the seed, until {@link acknowledgeSeed}.
     */
    create: (config: HostedNodeConfigBody, options: MutationOptions = {}): Promise<HostedNodeResponse> =>
      this.#call('POST', '/v1/nodes', config, options),
    /** Says the seed is kept safe: a repeated creation no longer shows it. */
    acknowledgeSeed: (nodeId: string): Promise<HostedNodeResponse> =>
      this.#call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/seed/acknowledge`),
    /**
     * A page of the tenant's nodes, newest first (`limit` default 50, at most 500); read on with
     * `cursor` set to the answer's `nextCursor` until it is null.
     */
    list: (query: HostedNodesQuery = {}): Promise<HostedNodesResponse> =>
      this.#call('GET', `/v1/nodes${queryString(query)}`),
    get: (nodeId: string): Promise<HostedNodeResponse> =>
      this.#call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}`),
    stop: (nodeId: string): Promise<HostedNodeResponse> =>
      this.#call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/stop`),
    start: (nodeId: string): Promise<HostedNodeResponse> =>
      this.#call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/start`),
    /**
     * Deletes a node: 409 naming what it holds unless it holds nothing, or `closeChannels` and a
     * `sweepAddress` let the LSP close its channels and sweep its coins first (it is `deleting`
     * until then; `deletion` says what is left and why).
     */
    remove: (nodeId: string, options: DeleteNodeBody = {}): Promise<HostedNodeResponse> =>
      this.#call('DELETE', `/v1/nodes/${encodeURIComponent(nodeId)}`, options),
    backup: (nodeId: string): Promise<NodeBackupResponse> =>
      this.#call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/backup`),
    /**
     * Bakes another macaroon within the customer's permissions, under a root key of its own
     * (`rootKeyId`, which {@link LSPClient.nodes.revokeMacaroon} takes).
     */
    bakeMacaroon: (nodeId: string, permissions: MacaroonBody['permissions']): Promise<MacaroonResponse> =>
      this.#call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/macaroons`, { permissions }),
    /** The node's macaroons: root key, kind, permissions, baked and revoked (never the macaroon). */
    macaroons: (nodeId: string): Promise<NodeMacaroonsResponse> =>
      this.#call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/macaroons`),
    /**
     * Revokes one macaroon: LND refuses it from then on; the node's other macaroons and the
     * LSP's access are untouched.
     */
    revokeMacaroon: (nodeId: string, rootKeyId: string): Promise<NodeMacaroonResponse> =>
      this.#call(
        'DELETE',
        `/v1/nodes/${encodeURIComponent(nodeId)}/macaroons/${encodeURIComponent(rootKeyId)}`,
      ),
    /** Same as {@link LSPClient.getNodeMetrics}. */
    metrics: (nodeId: string, query: NodeMetricsQuery = {}): Promise<NodeMetricsResponse> =>
      this.getNodeMetrics(nodeId, query),
  };

  /**
   * The spec's `getNodeMetrics`: a hosted node's channels, capacity, routing revenue (msat),
   * payment success rate, uptime and forwarding events (newest first; page with `cursor` set to
   * the answer's `nextCursor`) over `window` (24h, 7d, 30d or 1y).
   */
  getNodeMetrics(nodeId: string, query: NodeMetricsQuery = {}): Promise<NodeMetricsResponse> {
    return this.#call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/metrics${queryString(query)}`);
  }

  /**
   * REST webhooks (`/v1/webhooks`): `create` answers the endpoint with its `secret` (shown this
   * once); check what arrives with {@link verifyWebhook}.
   */
  readonly webhooks = {
    create: (body: CreateWebhookBody): Promise<WebhookResponse> => this.#call('POST', '/v1/webhooks', body),
    list: (): Promise<WebhooksResponse> => this.#call('GET', '/v1/webhooks'),
    get: (id: string): Promise<WebhookResponse> =>
      this.#call('GET', `/v1/webhooks/${encodeURIComponent(id)}`),
    remove: (id: string): Promise<void> => this.#call('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`),
    enable: (id: string): Promise<WebhookResponse> =>
      this.#call('POST', `/v1/webhooks/${encodeURIComponent(id)}/enable`),
    /**
     * A page of an endpoint's delivery log, newest first (`limit` default 100, at most 500); read
     * on with `cursor` set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
     */
    deliveries: (
      id: string,
      query: WebhookDeliveriesQuery | number = {},
    ): Promise<WebhookDeliveriesResponse> =>
      this.#call('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries${queryString(pageQuery(query))}`),
    redeliver: (id: string, deliveryId: string): Promise<WebhookDelivery> =>
      this.#call(
        'POST',
        `/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
      ),
  };

  /** The spec's `createHostedNode`: same as `nodes.create`. */
  createHostedNode(config: HostedNodeConfigBody): Promise<HostedNodeResponse> {
    return this.nodes.create(config);
  }

  /**
   * LSPS5 (webhooks that wake a wallet) over HTTP: each call names the client node the webhooks
   * are for (`client_node_pubkey`); a tenant sees and removes only the webhooks it registered.
   */
  readonly lsps5 = {
    setWebhook: (clientNodePubkey: string, appName: string, webhook: string): Promise<SetWebhookResult> =>
      this.#rpc('lsps5.set_webhook', { client_node_pubkey: clientNodePubkey, app_name: appName, webhook }),
    listWebhooks: (clientNodePubkey: string): Promise<ListWebhooksResult> =>
      this.#rpc('lsps5.list_webhooks', { client_node_pubkey: clientNodePubkey }),
    removeWebhook: (clientNodePubkey: string, appName: string): Promise<Record<string, never>> =>
      this.#rpc('lsps5.remove_webhook', { client_node_pubkey: clientNodePubkey, app_name: appName }),
  };

  /** LSPS0 over HTTP. */
  readonly lsps0 = {
    listProtocols: (): Promise<{ protocols: number[] }> => this.#rpc('lsps0.list_protocols', {}),
  };

  /**
   * LSPS1 (buy a channel, paid by a hold invoice) over HTTP. Over HTTP `createOrder` needs
   * `client_node_pubkey` (and `client_node_host` unless that node is a peer of the LSP).
   */
  readonly lsps1 = {
    getInfo: (): Promise<Lsps1Info> => this.#rpc('lsps1.get_info', {}),
    createOrder: (params: CreateOrderParams): Promise<Lsps1Order> => this.#rpc('lsps1.create_order', params),
    getOrder: (orderId: string): Promise<Lsps1Order> => this.#rpc('lsps1.get_order', { order_id: orderId }),
  };

  /**
   * LSPS2 (JIT channels) over HTTP. `buy` needs `client_node_pubkey`: the node the channel
   * opens to. Build the invoice's route hint with {@link lsps2RouteHint}.
   */
  readonly lsps2 = {
    getInfo: (token?: string): Promise<Lsps2Info> =>
      this.#rpc('lsps2.get_info', token === undefined ? {} : { token }),
    buy: (params: Lsps2BuyParams): Promise<Lsps2BuyResult> => this.#rpc('lsps2.buy', params),
  };

  /** Admin keys only: operator calls. */
  readonly admin = {
    createTenant: (name: string): Promise<TenantResponse> =>
      this.#call('POST', '/v1/admin/tenants', { name }),
    createKey: (tenantId: string, scope: 'admin' | 'tenant', label?: string): Promise<KeyResponse> =>
      this.#call('POST', '/v1/admin/keys', { tenantId, scope, ...(label ? { label } : {}) }),
    revokeKey: (keyId: string): Promise<void> =>
      this.#call('DELETE', `/v1/admin/keys/${encodeURIComponent(keyId)}`),
    /** Reconciles the ledger with LND; `clean` is true when nothing disagrees. */
    audit: (): Promise<AuditResponse> => this.#call('GET', '/v1/admin/audit'),
    /** The background jobs: which replica runs each. */
    jobs: (): Promise<AdminJobsResponse> => this.#call('GET', '/v1/admin/jobs'),
    /** An LSPS2 JIT channel by the scid `lsps2.buy` handed out (`BxTxO`). */
    jitChannel: (jitScid: string): Promise<AdminJitChannelResponse> =>
      this.#call('GET', `/v1/admin/jit-channels/${encodeURIComponent(jitScid)}`),
    /** A purchase of liquidity from the upstream LSP. */
    liquidityPurchase: (id: string): Promise<AdminLiquidityPurchaseResponse> =>
      this.#call('GET', `/v1/admin/liquidity/purchases/${encodeURIComponent(id)}`),
    /** The LSP's own node's metrics (the same shape as a hosted node's). */
    lspMetrics: (query: NodeMetricsQuery = {}): Promise<NodeMetricsResponse> =>
      this.#call('GET', `/v1/admin/lsp/metrics${queryString(query)}`),
    /** Revenue by source, channels sold, JIT opens and latency, liquidity, open orders, hosted nodes. */
    figures: (window?: NodeMetricsQuery['window']): Promise<LspFiguresResponse> =>
      this.#call('GET', `/v1/admin/lsp/figures${queryString({ window })}`),
  };

  async #rpc<T>(method: string, params: object): Promise<T> {
    const res = await this.#call<{ result?: T; error?: { code: number; message: string; data?: unknown } }>(
      'POST',
      '/lsps',
      {
        jsonrpc: '2.0',
        method,
        params,
        id: newNonce(),
      },
    );
    if (res.error) throw new LspsRpcError(res.error.code, res.error.message, res.error.data);
    return res.result as T;
  }

  async #call<T>(method: string, path: string, body?: unknown, options: MutationOptions = {}): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = signRequest({
      keyId: this.#keyId,
      secret: this.#secret,
      method,
      path,
      body: text,
    });
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let res: Response;
    try {
      res = await this.#fetch(`${this.#endpoint}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: text } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new LspApiError(
        0,
        'unreachable',
        `cannot reach ${this.#endpoint}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (res.status === 204) return undefined as T;
    const payload = (await res.json().catch(() => undefined)) as
      | { error?: { code: string; message: string; details?: Record<string, unknown> } }
      | undefined;
    if (!res.ok) {
      const e = payload?.error;
      throw new LspApiError(
        res.status,
        e?.code ?? 'http_error',
        e?.message ?? `HTTP ${res.status}`,
        e?.details,
      );
    }
    return payload as T;
  }
}

/** A page query, from the bare `limit` the list methods once took or from `{ limit?, cursor? }`. */
function pageQuery(query: ListQuery | LedgerQuery | number): ListQuery | LedgerQuery {
  return typeof query === 'number' ? { limit: query } : query;
}

/** `?a=1&b=2` of the defined values, or nothing. */
function queryString(query: Readonly<Record<string, string | number | undefined>>): string {
  const entries = Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)]))}`;
}
