/**
 * Paying, probing, and the payments the node sent.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Hex32 } from '../../ids.ts';
import type { StreamOptions } from '../stream-options.ts';
import type {
  ChannelPaymentRequest,
  DecodedPaymentRequest,
  PaymentResult,
  ProbeRequest,
  SendPaymentRequest,
  SentPayment,
  SentPaymentsQuery,
} from '../types.ts';

/** Paying, probing, and the payments the node sent. */
export interface PaymentsPort {
  /** Pays and waits for the final outcome. */
  sendPayment(request: SendPaymentRequest, signal: AbortSignal): Promise<PaymentResult>;

  /**
   * Pays the invoice of this node's peer over the channel named, on a one-hop route built
   * without the node's graph (usable as soon as the channel is active, before the node has
   * written it into its graph), and waits for the outcome. An HTLC the node could not even
   * send fails with its one attempt failed at hop 0.
   */
  payOverChannel(request: ChannelPaymentRequest, signal: AbortSignal): Promise<PaymentResult>;

  /**
   * Waits for the final outcome of a payment this node sent (at once when it is already
   * final); `undefined` when the node never sent a payment with this hash.
   */
  trackPayment(paymentHash: Hex32, signal: AbortSignal): Promise<PaymentResult | undefined>;

  /**
   * Every payment this node sends, as it starts (`in_flight`) and as its status changes
   * (routerrpc `TrackPayments`), from the moment the stream is (re)established: payments that
   * ended while it was not are not replayed (read them with {@link listPayments} when
   * `onConnected` is called). The same payment comes several times, not always in order.
   */
  trackPayments(options: StreamOptions): AsyncIterable<SentPayment>;

  decodePaymentRequest(paymentRequest: string, signal: AbortSignal): Promise<DecodedPaymentRequest>;

  /**
   * Sends an HTLC no one can settle: a result of `failed` with `incorrect_payment_details`
   * proves the route (e.g. a new channel) carries `amount`. Moves no money.
   */
  probe(request: ProbeRequest, signal: AbortSignal): Promise<PaymentResult>;

  /** Payments this node sent, by payment index after `afterIndex`, oldest first (at most `max`). */
  listPayments(query: SentPaymentsQuery, signal: AbortSignal): Promise<SentPayment[]>;
}
