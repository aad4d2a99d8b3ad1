/**
 * Payments through LND's router: one `SendPaymentV2` or `TrackPaymentV2` stream read to its
 * final outcome, used by `sendPayment`, `trackPayment` and `probe`; and a payment to a peer on
 * a route built here (`SendToRouteV2`), used by `payOverChannel`.
 */
import { randomBytes } from 'node:crypto';
import {
  type ChannelPaymentRequest,
  ErrorCode,
  type Hex32,
  isLspError,
  LspError,
  msat,
  type PaymentResult,
  type ProbeRequest,
  parseHex32,
} from '@blgv/core';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { Payment__Output } from '../generated/types/lnrpc/Payment.ts';
import type { SendPaymentRequest as LndSendPaymentRequest } from '../generated/types/routerrpc/SendPaymentRequest.ts';
import { aborted, unary } from './call.ts';
import type { LndClients } from './connection.ts';
import { toLspError } from './errors.ts';
import { htlcAttemptFromLnd, paymentResultFromLnd } from './mappers.ts';

/** Final CLTV delta of a probe (LND's default for invoices). */
const PROBE_FINAL_CLTV_DELTA = 80;
/** Blocks added to a route's final time-lock against a block found meanwhile (LND's padding). */
const FINAL_CLTV_PADDING = 3;

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

/**
 * Pays the invoice of this node's peer over channel `request.scid` on a one-hop route built
 * here (`SendToRouteV2`): LND's pathfinding knows a new channel only once it is written into
 * the graph, which LND does in batches, up to a second or two after the channel is active.
 */
export async function payOverChannel(
  c: LndClients,
  request: ChannelPaymentRequest,
  signal: AbortSignal,
): Promise<PaymentResult> {
  const ln = c.lightning;
  const router = c.router;
  const [invoice, info] = await Promise.all([
    unary('DecodePayReq', ln.DecodePayReq.bind(ln), { pay_req: request.paymentRequest }, signal),
    unary('GetInfo', ln.GetInfo.bind(ln), {}, signal),
  ]);
  const amount = BigInt(invoice.num_msat);
  if (amount <= 0n) throw new LspError(ErrorCode.InvalidInput, 'the invoice has no amount');
  const expiry = info.block_height + Number(invoice.cltv_expiry) + FINAL_CLTV_PADDING;
  const paymentHash = parseHex32(invoice.payment_hash);
  const attempt = await unary(
    'SendToRouteV2',
    router.SendToRouteV2.bind(router),
    {
      payment_hash: Buffer.from(paymentHash, 'hex'),
      route: {
        total_time_lock: expiry,
        total_amt_msat: amount.toString(),
        total_fees_msat: '0',
        hops: [
          {
            chan_id: request.scid.toString(),
            pub_key: invoice.destination,
            amt_to_forward_msat: amount.toString(),
            fee_msat: '0',
            expiry,
            tlv_payload: true,
            ...(invoice.payment_addr.length > 0
              ? { mpp_record: { payment_addr: invoice.payment_addr, total_amt_msat: amount.toString() } }
              : {}),
          },
        ],
      },
    },
    signal,
  );
  const mapped = htlcAttemptFromLnd(attempt);
  if (attempt.status === 'SUCCEEDED') {
    return {
      status: 'succeeded',
      paymentHash,
      preimage: parseHex32(attempt.preimage.toString('hex')),
      amount: msat(amount),
      fee: msat(0n),
      htlcCount: 1,
      attempts: [mapped],
    };
  }
  return {
    status: 'failed',
    paymentHash,
    reason: 'error',
    htlcCount: 1,
    attemptFailures: mapped.failure ? [mapped.failure] : [],
    attempts: [mapped],
  };
}
