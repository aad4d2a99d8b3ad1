/**
 * `LSPClient`: the BLGV LSP REST API with every request signed (see docs/api.md).
 */
import type {
  BalanceResponse,
  ChannelQuoteBody,
  ChannelQuoteResponse,
  ChannelRequestBody,
  ChannelResponse,
  ChannelsResponse,
  EventsQuery,
  EventsResponse,
  FeesResponse,
  HostedNodeConfigBody,
  HostedNodeResponse,
  LedgerQuery,
  LedgerResponse,
  ListQuery,
  NodeMetricsQuery,
  NodeMetricsResponse,
  PaymentBody,
  PaymentResponse,
  PaymentsResponse,
  ReservationBody,
  ReservationResponse,
  RoutingQuoteBody,
  RoutingQuoteResponse,
  TopupResponse,
  WrapInvoiceBody,
  WrappedFeeBody,
  WrappedFeeResponse,
  WrappedInvoiceView,
} from '@blgv/protocol';
import { type AdminApi, adminApi } from './admin-api.ts';
import { type HostedNodesApi, hostedNodesApi, nodeMetrics } from './hosted-nodes-api.ts';
import {
  type Lsps0Api,
  type Lsps1Api,
  type Lsps2Api,
  type Lsps5Api,
  lsps0Api,
  lsps1Api,
  lsps2Api,
  lsps5Api,
} from './lsps-api.ts';
import { pageQuery, queryString } from './query-string.ts';
import { type LSPClientOptions, type MutationOptions, SignedTransport } from './signed-transport.ts';
import { type WebhooksApi, webhooksApi } from './webhooks-api.ts';

export type { LSPClientOptions, MutationOptions } from './signed-transport.ts';

/** The fee schedule as the API reports it, with the other parts of a price. */
export type Fees = FeesResponse;

/** A typed client of the BLGV LSP. */
export class LSPClient {
  readonly #t: SignedTransport;

  constructor(options: LSPClientOptions) {
    this.#t = new SignedTransport(options);
    this.nodes = hostedNodesApi(this.#t);
    this.webhooks = webhooksApi(this.#t);
    this.lsps5 = lsps5Api(this.#t);
    this.lsps0 = lsps0Api(this.#t);
    this.lsps1 = lsps1Api(this.#t);
    this.lsps2 = lsps2Api(this.#t);
    this.admin = adminApi(this.#t);
  }

  /** Buys a channel to `clientPubkey` (resolves once its funding transaction is published). */
  requestChannel(request: ChannelRequestBody, options: MutationOptions = {}): Promise<ChannelResponse> {
    return this.#t.call('POST', '/v1/channels', request, options);
  }

  /** Where a bought channel is: `opening`, `pending`, `open`, `closed` or `failed`. */
  getChannelStatus(channelId: string): Promise<ChannelResponse> {
    return this.#t.call('GET', `/v1/channels/${encodeURIComponent(channelId)}`);
  }

  /**
   * A page of the bought channels, newest first (`limit` default 50, at most 500); read on with
   * `cursor` set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
   */
  listChannels(query: ListQuery | number = {}): Promise<ChannelsResponse> {
    return this.#t.call('GET', `/v1/channels${queryString(pageQuery(query))}`);
  }

  getFees(): Promise<Fees> {
    return this.#t.call('GET', '/v1/fees');
  }

  /** The fee and expected confirmation of a channel, before buying it. */
  quoteChannel(request: ChannelQuoteBody): Promise<ChannelQuoteResponse> {
    return this.#t.call('POST', '/v1/channels/quote', request);
  }

  /** An invoice that credits `amount` sat to the account once paid. */
  topUp(amount: number): Promise<TopupResponse> {
    return this.#t.call('POST', '/v1/account/topups', { amount });
  }

  getTopup(paymentHash: string): Promise<TopupResponse> {
    return this.#t.call('GET', `/v1/account/topups/${encodeURIComponent(paymentHash)}`);
  }

  getBalance(): Promise<BalanceResponse> {
    return this.#t.call('GET', '/v1/account');
  }

  /**
   * A page of the ledger, newest first (`limit` default 100, at most 1000); read on with `cursor`
   * set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
   */
  getLedger(query: LedgerQuery | number = {}): Promise<LedgerResponse> {
    return this.#t.call('GET', `/v1/account/ledger${queryString(pageQuery(query))}`);
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
    return this.#t.call('GET', `/v1/events${qs ? `?${qs}` : ''}`);
  }

  /**
   * Reserves outbound liquidity for payments (the spec's `provideLiquidity`): `amount` sat for
   * `duration` ms, refused with `fee_rate_exceeded` when the fee, fully used, is above
   * `maxFeeRate` ppm. The answer's `reservationId` goes with {@link sendPayment}.
   */
  requestLiquidity(request: ReservationBody): Promise<ReservationResponse> {
    return this.#t.call('POST', '/v1/liquidity/reservations', request);
  }

  /** A reservation: what is used, what is left, until when. */
  getReservation(reservationId: string): Promise<ReservationResponse> {
    return this.#t.call('GET', `/v1/liquidity/reservations/${encodeURIComponent(reservationId)}`);
  }

  /** Gives a reservation back before it expires (its fee is not refunded). */
  releaseReservation(reservationId: string): Promise<ReservationResponse> {
    return this.#t.call('POST', `/v1/liquidity/reservations/${encodeURIComponent(reservationId)}/release`);
  }

  /**
   * Pays a BOLT11 invoice from the account balance, optionally with a reservation; resolves
   * with the outcome, the routes taken and the failed attempts. `maxFeeSat` / `maxFeePpm`
   * bound what the network may take (a payment no route makes within them fails, refunded).
   * Paying the same invoice again returns the first payment.
   */
  sendPayment(request: PaymentBody): Promise<PaymentResponse> {
    return this.#t.call('POST', '/v1/payments', request);
  }

  /**
   * A page of the payments sent, newest first (`limit` default 50, at most 500); read on with
   * `cursor` set to the answer's `nextCursor` until it is null. A number is taken as `limit`.
   */
  listPayments(query: ListQuery | number = {}): Promise<PaymentsResponse> {
    return this.#t.call('GET', `/v1/payments${queryString(pageQuery(query))}`);
  }

  /**
   * What paying would cost in routing fees, its time lock, parts and odds, before paying: for an
   * `invoice` or a `destination` and `amountSat`; `probe: true` probes the invoice (slower,
   * closer to what the payment then pays). Touches no balance; limited per tenant (429).
   */
  quotePayment(request: RoutingQuoteBody): Promise<RoutingQuoteResponse> {
    return this.#t.call('POST', '/v1/routing/quote', request);
  }

  /**
   * The fee for wrapping a wallet's invoice of `amountMsat` (a wallet on a stock node gets a JIT
   * channel this way): the `feeId` to name in {@link wrapInvoice}, held until `expiresAt`.
   */
  wrappedInvoiceFee(request: WrappedFeeBody): Promise<WrappedFeeResponse> {
    return this.#t.call('POST', '/v1/wrapped-invoices/fee', request);
  }

  /**
   * Wraps the wallet's `invoice` under a quoted fee: `wrappedInvoice` is what the payer pays (same
   * payment hash). Check it with `verifyWrappedInvoice` before handing it out.
   */
  wrapInvoice(request: WrapInvoiceBody, options?: MutationOptions): Promise<WrappedInvoiceView> {
    return this.#t.call('POST', '/v1/wrapped-invoices', request, options);
  }

  /** A wrapped invoice and where it stands (`completed` once the wallet is paid). */
  getWrappedInvoice(id: string): Promise<WrappedInvoiceView> {
    return this.#t.call('GET', `/v1/wrapped-invoices/${encodeURIComponent(id)}`);
  }

  /** A payment's status, network fee paid, the routes (parts) it took and its failed attempts. */
  getPayment(paymentHash: string): Promise<PaymentResponse> {
    return this.#t.call('GET', `/v1/payments/${encodeURIComponent(paymentHash)}`);
  }

  /**
   * Hosted Lightning nodes (the spec's `createHostedNode`): quote, create (the answer carries
   * the wallet seed), list, read, stop, start, delete (never destroying coins: see
   * docs/hosting.md), the latest channel backup, and extra macaroons.
   */
  readonly nodes: HostedNodesApi;

  /**
   * The spec's `getNodeMetrics`: a hosted node's channels, capacity, routing revenue (msat),
   * payment success rate, uptime and forwarding events (newest first; page with `cursor` set to
   * the answer's `nextCursor`) over `window` (24h, 7d, 30d or 1y).
   */
  getNodeMetrics(nodeId: string, query: NodeMetricsQuery = {}): Promise<NodeMetricsResponse> {
    return nodeMetrics(this.#t, nodeId, query);
  }

  /**
   * REST webhooks (`/v1/webhooks`): `create` answers the endpoint with its `secret` (shown this
   * once); check what arrives with {@link verifyWebhook}.
   */
  readonly webhooks: WebhooksApi;

  /** The spec's `createHostedNode`: same as `nodes.create`. */
  createHostedNode(config: HostedNodeConfigBody): Promise<HostedNodeResponse> {
    return this.nodes.create(config);
  }

  /**
   * LSPS5 (webhooks that wake a wallet) over HTTP: each call names the client node the webhooks
   * are for (`client_node_pubkey`); a tenant sees and removes only the webhooks it registered.
   */
  readonly lsps5: Lsps5Api;

  /** LSPS0 over HTTP. */
  readonly lsps0: Lsps0Api;

  /**
   * LSPS1 (buy a channel, paid by a hold invoice) over HTTP. Over HTTP `createOrder` needs
   * `client_node_pubkey` (and `client_node_host` unless that node is a peer of the LSP).
   */
  readonly lsps1: Lsps1Api;

  /**
   * LSPS2 (JIT channels) over HTTP. `buy` needs `client_node_pubkey`: the node the channel
   * opens to. Build the invoice's route hint with {@link lsps2RouteHint}.
   */
  readonly lsps2: Lsps2Api;

  /** Admin keys only: operator calls. */
  readonly admin: AdminApi;
}
