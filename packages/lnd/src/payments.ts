/**
 * Payments through LND's router: one `SendPaymentV2` or `TrackPaymentV2` stream read to its
 * final outcome, used by `sendPayment`, `trackPayment` and `probe`.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, type Hex32, isLspError, type PaymentResult, type ProbeRequest } from '@blgv/core';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { Payment__Output } from '../generated/types/lnrpc/Payment.ts';
import type { SendPaymentRequest as LndSendPaymentRequest } from '../generated/types/routerrpc/SendPaymentRequest.ts';
import { aborted } from './call.ts';
import type { LndClients } from './connection.ts';
import { toLspError } from './errors.ts';
import { paymentResultFromLnd } from './mappers.ts';

/** Final CLTV delta of a probe (LND's default for invoices). */
const PROBE_FINAL_CLTV_DELTA = 80;

/** Reads a payment stream until the payment is final. */
function finalOutcome(
  name: string,
  stream: ClientReadableStream<Payment__Output>,
  signal: AbortSignal,
): Promise<PaymentResult> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      stream.cancel();
      reject(aborted(name, signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (p: Payment__Output) => {
      const result = paymentResultFromLnd(p);
      if (!result) return;
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
    stream.on('error', (err: Error) => {
      signal.removeEventListener('abort', onAbort);
      reject(toLspError(err, name));
    });
  });
}

/** Sends a payment and resolves with its final outcome. */
export function routerPayment(
  c: LndClients,
  request: LndSendPaymentRequest,
  signal: AbortSignal,
): Promise<PaymentResult> {
  if (signal.aborted) return Promise.reject(aborted('SendPaymentV2', signal));
  return finalOutcome(
    'SendPaymentV2',
    c.router.SendPaymentV2({ no_inflight_updates: true, ...request }),
    signal,
  );
}

/** The final outcome of a payment the node sent; `undefined` when it never sent it. */
export async function trackPayment(
  c: LndClients,
  paymentHash: Hex32,
  signal: AbortSignal,
): Promise<PaymentResult | undefined> {
  if (signal.aborted) throw aborted('TrackPaymentV2', signal);
  const stream = c.router.TrackPaymentV2({
    payment_hash: Buffer.from(paymentHash, 'hex'),
    no_inflight_updates: true,
  });
  try {
    return await finalOutcome('TrackPaymentV2', stream, signal);
  } catch (err) {
    // LND answers NOT_FOUND ("payment isn't initiated") for a hash it never paid.
    if (isLspError(err, ErrorCode.NotFound)) return undefined;
    throw err;
  }
}

/** Sends one HTLC with a random payment hash, so it can only fail at the destination. */
export function probe(c: LndClients, request: ProbeRequest, signal: AbortSignal): Promise<PaymentResult> {
  return routerPayment(
    c,
    {
      dest: Buffer.from(request.destination, 'hex'),
      amt_msat: request.amount.toString(),
      payment_hash: request.paymentHash ? Buffer.from(request.paymentHash, 'hex') : randomBytes(32),
      final_cltv_delta: PROBE_FINAL_CLTV_DELTA,
      fee_limit_msat: '0',
      timeout_seconds: request.timeoutSeconds,
      max_parts: 1,
      ...(request.outgoingScid !== undefined ? { outgoing_chan_ids: [request.outgoingScid.toString()] } : {}),
    },
    signal,
  );
}
