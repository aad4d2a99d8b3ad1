/**
 * A tenant's payment (one payment hash), as a state machine in the one shape (see `machine.ts`):
 *
 * ```
 * pending --succeeded--> succeeded
 *    |
 *    +--failed--> failed (refund: its charges back, its reservation restored) --retried--> pending (a new attempt)
 * ```
 *
 * `pending` is charged and handed to the node; an unknown outcome leaves it pending (never
 * failed) until the node's payment record says which. A failed payment may be tried again under
 * the same hash: the next attempt is charged anew.
 */
import { type Machine, moved, refuse, type Step, states } from '../machine.ts';

/** Where a payment is. */
export type PaymentState = 'pending' | 'succeeded' | 'failed';

/** What happens to a payment. */
export type PaymentEvent =
  | { readonly type: 'succeeded' }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'retried' };

/** What the payment's owner does after persisting a transition. */
export type PaymentEffect =
  /** Give the attempt's charges back and restore what it took of a reservation. */
  { readonly type: 'refund' };

/** What a transition records. */
export interface PaymentFacts {
  readonly failure?: string;
}

/** The transition function. */
export function nextPaymentState(
  state: PaymentState,
  event: PaymentEvent,
): Step<PaymentState, PaymentEffect, PaymentFacts> {
  switch (event.type) {
    case 'succeeded':
      return state === 'pending' ? moved('succeeded') : refuse(state, event.type);
    case 'failed':
      return state === 'pending'
        ? moved('failed', [{ type: 'refund' }], { failure: event.reason })
        : refuse(state, event.type);
    case 'retried':
      return state === 'failed' ? moved('pending') : refuse(state, event.type);
  }
}

/** The payment machine, as data. */
export const paymentMachine: Machine<PaymentState, PaymentEvent, PaymentEffect, PaymentFacts> = {
  name: 'payment',
  states: states<PaymentState>({ pending: true, succeeded: true, failed: true }),
  final: ['succeeded'],
  next: (state, event) => nextPaymentState(state, event),
};
