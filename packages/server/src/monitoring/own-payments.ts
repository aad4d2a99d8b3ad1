/**
 * The payments the LSP's node sends for the LSP itself, recorded by hash before they are sent,
 * so the node monitor never counts them as payments (see `paymentPurpose` in `@blgv/core`).
 * Probes go through {@link recordedProbe}; rebalancing records its payments' hashes with
 * `PaymentPurposesRepository.recordOwn(hash, 'rebalance')` the same way.
 */
import { randomBytes } from 'node:crypto';
import { type PaymentsPort, parseHex32 } from '@blgv/core';
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
