/**
 * The payments the LSP's node sends for the LSP itself, recorded by hash before they are sent,
 * so the node monitor never counts them as payments (see `paymentPurpose` in `@blgv/core`).
 * Probes go through {@link recordedProbe}; rebalancing records its payments' hashes with
 * `PaymentPurposesRepository.recordOwn(hash, 'rebalance')` the same way. The probes LND makes
 * for a probed quote carry hashes LND draws: {@link recordedRouteProbe} records them right after.
 */
import { randomBytes } from 'node:crypto';
import { type PaymentsPort, parseHex32, type RouteEstimationPort } from '@blgv/core';
import type { PaymentPurposesRepository } from '@blgv/store';

/**
 * `probe` that records its payment hash as a probe of the LSP's before it sends: a probe that
 * fails in a way LND does not mark as a probe (no route, a timeout) is still not a payment.
 */
export function recordedProbe(
  lightning: Pick<PaymentsPort, 'probe'>,
  purposes: Pick<PaymentPurposesRepository, 'recordOwn'>,
): PaymentsPort['probe'] {
  return async (request, signal) => {
    const paymentHash = request.paymentHash ?? parseHex32(randomBytes(32).toString('hex'));
    await purposes.recordOwn(paymentHash, 'probe');
    return lightning.probe({ ...request, paymentHash }, signal);
  };
}

/** The most probe payments one `EstimateRouteFee` call is expected to make (LND makes one). */
const PROBES_PER_ESTIMATE = 20;

/**
 * `estimateRouteFee` that, for a probe (a payment request given), records as probes the payments
 * the node sent during it without an invoice: LND draws their hashes itself, and one that fails
 * on the way (a channel that cannot carry it, a timeout) looks like any failed payment. Payments
 * sent without an invoice while it runs are taken for probes too (an operator's keysend in that
 * moment would be); every payment of the LSP's through this server carries an invoice.
 */
export function recordedRouteProbe(
  lightning: Pick<RouteEstimationPort, 'estimateRouteFee'> & Pick<PaymentsPort, 'listPayments'>,
  purposes: Pick<PaymentPurposesRepository, 'recordSent'>,
  nodeId: string,
): RouteEstimationPort['estimateRouteFee'] {
  return async (request, signal) => {
    if (!('paymentRequest' in request)) return lightning.estimateRouteFee(request, signal);
    const [newest] = await lightning.listPayments({ afterIndex: 0n, max: 1, newest: true }, signal);
    try {
      return await lightning.estimateRouteFee(request, signal);
    } finally {
      const sent = await lightning.listPayments(
        { afterIndex: newest?.paymentIndex ?? 0n, max: PROBES_PER_ESTIMATE * 10 },
        AbortSignal.timeout(10_000),
      );
      await purposes.recordSent(
        nodeId,
        sent.filter((p) => p.paymentRequest === undefined).map((p) => p.paymentHash),
        'probe',
      );
    }
  };
}
