/**
 * How a tenant's payment is handed to LND: in one part first, split into parts only when no
 * single route carries it (`payments.singlePartFirst`, on by default; docs/routing.md "Parts").
 *
 * LND allowed to split (`max_parts` > 1) splits as soon as a route fails, and a split payment
 * that cannot complete leaves the parts that arrived held by the destination until its MPP
 * timeout (two minutes on LND): their liquidity, on every channel they crossed, is locked that
 * long and later payments fail for it. Measured on a generated graph (`bench/routing`), splitting
 * from the start paid fewer payments than one part. One part first pays what one part can, as
 * quickly; only a payment no single route carries (LND says `no_route` or
 * `insufficient_balance`) is sent again, split within `payments.maxParts`.
 */
import type { PaymentResult, PaymentsPort, SendPaymentRequest } from '@blgv/core';

/** Failures a split might overcome: no single route (or channel) had the room. */
const SPLIT_MAY_HELP: ReadonlySet<string> = new Set(['no_route', 'insufficient_balance']);

/**
 * Sends `request` in one part, then, when that failed for want of a route and `maxParts` > 1,
 * again split into at most `maxParts` parts; the outcome lists both tries' HTLC attempts.
 * `signal` is asked for once per try.
 */
export async function sendSinglePartFirst(
  lightning: Pick<PaymentsPort, 'sendPayment'>,
  request: Omit<SendPaymentRequest, 'maxParts'>,
  maxParts: number,
  signal: () => AbortSignal,
): Promise<PaymentResult> {
  const first = await lightning.sendPayment({ ...request, maxParts: 1 }, signal());
  if (maxParts <= 1 || first.status !== 'failed' || !SPLIT_MAY_HELP.has(first.reason)) return first;
  const split = await lightning.sendPayment({ ...request, maxParts }, signal());
  return withEarlierTry(split, first);
}

/** `later`'s outcome, with the HTLC attempts of an `earlier` failed try of the same payment first. */
function withEarlierTry(
  later: PaymentResult,
  earlier: Extract<PaymentResult, { status: 'failed' }>,
): PaymentResult {
  const attempts =
    earlier.attempts === undefined && later.attempts === undefined
      ? {}
      : { attempts: [...(earlier.attempts ?? []), ...(later.attempts ?? [])] };
  const htlcCount = earlier.htlcCount + later.htlcCount;
  if (later.status === 'succeeded') return { ...later, ...attempts, htlcCount };
  return {
    ...later,
    ...attempts,
    htlcCount,
    attemptFailures: [...earlier.attemptFailures, ...later.attemptFailures],
  };
}
