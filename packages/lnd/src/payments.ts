/**
 * Payments through LND's router: one `SendPaymentV2` stream read to its final outcome, used
 * by `sendPayment` and by `probe`.
 */
import { randomBytes } from 'node:crypto';
import type { PaymentResult, ProbeRequest } from '@blgv/core';
import type { SendPaymentRequest as LndSendPaymentRequest } from '../generated/types/routerrpc/SendPaymentRequest.ts';
import { aborted } from './call.ts';
import type { LndClients } from './connection.ts';
import { toLspError } from './errors.ts';
import { paymentResultFromLnd } from './mappers.ts';

/** Final CLTV delta of a probe (LND's default for invoices). */
const PROBE_FINAL_CLTV_DELTA = 80;

/** Sends a payment and resolves with its final outcome. */
export function routerPayment(
  c: LndClients,
  request: LndSendPaymentRequest,
  signal: AbortSignal,
): Promise<PaymentResult> {
  const router = c.router;
  return new Promise((resolve, reject) => {
    const stream = router.SendPaymentV2({ no_inflight_updates: true, ...request });
    const onAbort = () => {
      stream.cancel();
      reject(aborted('SendPaymentV2', signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (p) => {
      const result = paymentResultFromLnd(p);
      if (!result) return;
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
    stream.on('error', (err: Error) => {
      signal.removeEventListener('abort', onAbort);
      reject(toLspError(err, 'SendPaymentV2'));
    });
  });
}

/** Sends one HTLC with a random payment hash, so it can only fail at the destination. */
export function probe(c: LndClients, request: ProbeRequest, signal: AbortSignal): Promise<PaymentResult> {
  return routerPayment(
    c,
    {
      dest: Buffer.from(request.destination, 'hex'),
      amt_msat: request.amount.toString(),
      payment_hash: randomBytes(32),
      final_cltv_delta: PROBE_FINAL_CLTV_DELTA,
      fee_limit_msat: '0',
      timeout_seconds: request.timeoutSeconds,
      max_parts: 1,
      ...(request.outgoingScid !== undefined ? { outgoing_chan_ids: [request.outgoingScid.toString()] } : {}),
    },
    signal,
  );
}
