/**
 * How a tenant's payment is handed to LND: in one part first, split into parts only when LND
 * finds no path that could carry it whole (`payments.singlePartFirst`, on by default;
 * docs/routing.md "Parts").
 *
 * LND allowed to split (`max_parts` > 1) splits as soon as a route fails, and a split payment
 * that cannot complete leaves the parts that arrived held by the destination until its MPP
 * timeout (two minutes on LND): the payment stays in flight that long, and their liquidity, on
 * every channel they crossed, is locked with it, so later payments fail for it. Measured on a
 * generated graph (`bench/routing`), letting LND split after a failed route paid 89 % of the
 * payments where one part paid 93 %, and no split payment succeeded. So a payment is sent in one
 * part; only when that finds no route without sending a single HTLC (no path in the graph has
 * the capacity for the whole amount: the case splitting is for) is it sent again, split within
 * `payments.maxParts`. A payment whose one-part routes were tried and failed on the way is not
 * split: the capacity is there, the liquidity is not, and parts would be held.
 *
 * LND also finds no route without trying one when mission control has ruled the paths out after
 * earlier failures, though the graph has a path with the capacity: split then, the parts were
 * held as above (a graph with payments up to 1.5 M sat paid 50 % split against 61.5 % in one
 * part). So before splitting, the graph alone is asked (`wholeFits`: LND's route finding without
 * mission control): a path with the capacity for the whole amount means the failure is about
 * liquidity, and the payment is not split.
 */
import type { Msat, PaymentResult, PaymentsPort, RouteEstimationPort, SendPaymentRequest } from '@blgv/core';
import type { Logger } from 'pino';

/** Failures a split might overcome: no single route (or channel) had the room. */
const SPLIT_MAY_HELP: ReadonlySet<string> = new Set(['no_route', 'insufficient_balance']);

/** What the caller decides around the second, split try. */
export interface SplitHooks {
  /**
   * Whether a path in the graph (without mission control) has the capacity for the whole
   * amount; the payment is not split when it does. Answer true when it cannot be told.
   */
  readonly wholeFits: () => Promise<boolean>;
  /**
   * Claims the second try in the store first (compare-and-set); false when another replica
   * resolved the payment meanwhile (it is not sent again). Claimed when not given.
   */
  readonly claimSplit?: () => Promise<boolean>;
}

/**
 * Sends `request` in one part, then, when that found no route without trying any (`htlcCount`
 * 0), no path in the graph has the capacity for it whole, and `maxParts` > 1, again split into
 * at most `maxParts` parts; the outcome lists both tries' HTLC attempts. `signal` is asked for
 * once per try.
 *
 * Between the tries LND reports the payment failed (the first try), and whoever resolves
 * pending payments (another replica) may record it so and refund it: `claimSplit` claims the
 * second try in the store first (compare-and-set), and the split is sent only when it was
 * claimed; otherwise the first try's failure is the outcome (already recorded elsewhere).
 */
export async function sendSinglePartFirst(
  lightning: Pick<PaymentsPort, 'sendPayment'>,
  request: Omit<SendPaymentRequest, 'maxParts'>,
  maxParts: number,
  signal: () => AbortSignal,
  hooks: SplitHooks,
): Promise<PaymentResult> {
  const first = await lightning.sendPayment({ ...request, maxParts: 1 }, signal());
  if (maxParts <= 1 || first.status !== 'failed' || !SPLIT_MAY_HELP.has(first.reason)) return first;
  if (first.htlcCount > 0) return first;
  if (await hooks.wholeFits()) return first;
  if (hooks.claimSplit && !(await hooks.claimSplit())) return first;
  const split = await lightning.sendPayment({ ...request, maxParts }, signal());
  return withEarlierTry(split, first);
}

/**
 * Whether a path in the graph alone (LND's route finding without mission control) has the
 * capacity for the whole payment, the invoice's route hints included: {@link SplitHooks.wholeFits}
 * for a stored payment. True when LND cannot tell (then the payment is not split).
 */
export async function wholeRouteFits(
  lightning: Pick<PaymentsPort, 'decodePaymentRequest'> & Pick<RouteEstimationPort, 'routeProbability'>,
  payment: { readonly paymentHash: string; readonly paymentRequest: string; readonly amountMsat: Msat },
  log: Logger,
): Promise<boolean> {
  try {
    const decoded = await lightning.decodePaymentRequest(payment.paymentRequest, AbortSignal.timeout(10_000));
    const odds = await lightning.routeProbability(
      {
        destination: decoded.destination,
        amount: payment.amountMsat,
        routeHints: decoded.routeHints,
        finalCltvDelta: decoded.cltvExpiry,
        useMissionControl: false,
      },
      AbortSignal.timeout(10_000),
    );
    return odds !== undefined;
  } catch (err) {
    log.warn(
      { err, paymentHash: payment.paymentHash },
      'could not ask the graph for a whole route; not splitting',
    );
    return true;
  }
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
