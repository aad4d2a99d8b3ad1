/**
 * How a tenant's payment is handed to LND: in one part first, split into parts only when none
 * of the LSP's own channels can carry it alone (`payments.singlePartFirst`, on by default;
 * docs/routing.md "Parts").
 *
 * LND allowed to split (`max_parts` > 1) splits as soon as a route fails, and a split payment
 * that cannot complete leaves the parts that arrived held by the destination until its MPP
 * timeout (two minutes on LND): the payment stays in flight that long, and their liquidity, on
 * every channel they crossed, is locked with it, so later payments fail for it. Measured on a
 * generated graph (`bench/routing`), letting LND split after a failed route paid 89 % of the
 * payments where one part paid 93 %, and no split payment succeeded. So a payment is sent in one
 * part; only when that finds no route and no channel of the LSP's has the amount to send on its
 * own (the first hop is the bottleneck, which splitting is sure to widen) is it sent again,
 * split within `payments.maxParts`.
 */
import type {
  Channel,
  ChannelsPort,
  Msat,
  PaymentResult,
  PaymentsPort,
  SendPaymentRequest,
} from '@blgv/core';

/** Failures a split might overcome: no single route (or channel) had the room. */
const SPLIT_MAY_HELP: ReadonlySet<string> = new Set(['no_route', 'insufficient_balance']);

/**
 * Sends `request` (of `amount`) in one part, then, when that failed for want of a route,
 * `maxParts` > 1 and no active channel of the node can send `amount` on its own, again split
 * into at most `maxParts` parts; the outcome lists both tries' HTLC attempts. `signal` is asked
 * for once per call.
 */
export async function sendSinglePartFirst(
  lightning: Pick<PaymentsPort, 'sendPayment'> & Pick<ChannelsPort, 'listChannels'>,
  request: Omit<SendPaymentRequest, 'maxParts'>,
  amount: Msat,
  maxParts: number,
  signal: () => AbortSignal,
): Promise<PaymentResult> {
  const first = await lightning.sendPayment({ ...request, maxParts: 1 }, signal());
  if (maxParts <= 1 || first.status !== 'failed' || !SPLIT_MAY_HELP.has(first.reason)) return first;
  if (largestSendable(await lightning.listChannels(signal())) >= amount) return first;
  const split = await lightning.sendPayment({ ...request, maxParts }, signal());
  return withEarlierTry(split, first);
}

/** The most one active channel can send now, in msat: its local balance above its reserve. */
function largestSendable(channels: readonly Channel[]): bigint {
  let most = 0n;
  for (const c of channels) {
    const sendable = (BigInt(c.localBalance) - BigInt(c.localReserve)) * 1000n;
    if (c.active && sendable > most) most = sendable;
  }
  return most;
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
