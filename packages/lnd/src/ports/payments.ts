/**
 * Paying, probing, and the payments the node sent.
 * The LND side of `PaymentsPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  type ChannelPaymentRequest,
  type DecodedPaymentRequest,
  ErrorCode,
  type Hex32,
  LspError,
  type PaymentResult,
  type PaymentsPort,
  type ProbeRequest,
  type SendPaymentRequest,
  type SentPayment,
  type SentPaymentsQuery,
  type StreamOptions,
} from '@blgv/core';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';
import { payReqFromLnd } from '../mappers.ts';
import { listPayments, trackPayments } from '../node-calls.ts';
import { payOverChannel, probe, routerPayment, trackPayment } from '../payments.ts';
import type { StreamHooks } from '../streams.ts';

/** `PaymentsPort` on LND. */
export function lndPayments(c: LndClients, hooks: StreamHooks): PaymentsPort {
  return {
    sendPayment(request: SendPaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
      return routerPayment(
        c,
        {
          payment_request: request.paymentRequest,
          fee_limit_msat: request.feeLimit.toString(),
          timeout_seconds: request.timeoutSeconds,
          max_parts: request.maxParts ?? 16,
          ...(request.maxShardSize !== undefined
            ? { max_shard_size_msat: request.maxShardSize.toString() }
            : {}),
          ...(request.amount !== undefined ? { amt_msat: request.amount.toString() } : {}),
          ...(request.outgoingScid !== undefined
            ? { outgoing_chan_ids: [request.outgoingScid.toString()] }
            : {}),
          ...(request.lastHopPubkey !== undefined
            ? { last_hop_pubkey: Buffer.from(request.lastHopPubkey, 'hex') }
            : {}),
          ...(request.allowSelfPayment ? { allow_self_payment: true } : {}),
        },
        signal,
      );
    },

    payOverChannel(request: ChannelPaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
      return payOverChannel(c, request, signal);
    },

    trackPayment(paymentHash: Hex32, signal: AbortSignal): Promise<PaymentResult | undefined> {
      return trackPayment(c, paymentHash, signal);
    },

    trackPayments(options: StreamOptions): AsyncIterable<SentPayment> {
      return trackPayments(c, options, hooks);
    },

    async decodePaymentRequest(paymentRequest: string, signal: AbortSignal): Promise<DecodedPaymentRequest> {
      const ln = c.lightning;
      try {
        const r = await unary('DecodePayReq', ln.DecodePayReq.bind(ln), { pay_req: paymentRequest }, signal);
        return payReqFromLnd(r);
      } catch (err) {
        if (err instanceof LspError && err.code === ErrorCode.LightningRejected) {
          throw new LspError(
            ErrorCode.InvalidInput,
            `invalid payment request: ${err.details?.lnd ?? err.message}`,
          );
        }
        throw err;
      }
    },

    probe(request: ProbeRequest, signal: AbortSignal): Promise<PaymentResult> {
      return probe(c, request, signal);
    },

    listPayments(query: SentPaymentsQuery, signal: AbortSignal): Promise<SentPayment[]> {
      return listPayments(c, query, signal);
    },
  };
}
