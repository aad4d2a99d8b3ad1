/**
 * The LSPS1 order as a state machine (bLIP-51). A pure function takes the order's state and
 * an event and returns the next state and the effects to perform; the runner persists the new
 * state before performing them, so a restart resumes where it stopped.
 *
 *   awaiting_payment --held--> payment_held --open_started--> opening --committed--> publishing --published--> settling --settled--> completed
 *          |                       |   (client offline: stays, retried)  |            (funded from here: never refunded)
 *          +--expired--> expired    +--open_failed / deadline-------------+--> refunding --canceled--> failed
 *
 * `opening`: the channel is negotiated; its funding transaction is not signed, so a failure, a
 * timeout or a crash here cancels for certain and refunds. `publishing` is the commit point,
 * persisted with the txid before the transaction is signed and published; the hold invoice is
 * settled once it is published.
 *
 * An order is paid by its hold invoice (`bolt11`) or, when the client gave a refund address,
 * on-chain (`onchain_paid`). The method decides the effects: an on-chain payment has no
 * invoice to settle (its unused invoice is cancelled; once the funding is published its
 * receipts are released: they are the LSP's) and is refunded by an on-chain transaction to the
 * refund address. An order whose address received less than the total by its expiry goes to
 * `refunding` (`underpaid_expired`) so what came in goes back.
 *
 * Every piece of work a state calls for is an effect of the step that entered it: entering
 * `payment_held` opens the channel (`open_channel`: through `open_started` and the commit
 * point), `publishing` publishes, `settling` settles the invoice or releases the on-chain
 * receipts, and `refunding` cancels the held invoice or refunds on chain; each of those ends
 * with the event that leaves the state. The runner performs the same work when it resumes an
 * order in that state.
 */

/** How an order was paid. */
export type PaymentMethod = 'bolt11' | 'onchain';

import type { CommittedEvent, FundingCommitment } from '../channels/funding-machine.ts';
import { type Machine, moved, refuse, type Step, states } from '../machine.ts';

/** Where an order is. Final: `completed`, `failed`, `expired`. */
export type OrderState =
  | 'awaiting_payment'
  | 'payment_held'
  | 'opening'
  | 'publishing'
  | 'settling'
  | 'completed'
  | 'refunding'
  | 'failed'
  | 'expired';

/** What happened. */
export type OrderEvent =
  | { readonly type: 'payment_held' }
  | { readonly type: 'onchain_paid' }
  | { readonly type: 'underpaid_expired' }
  | { readonly type: 'invoice_expired' }
  | { readonly type: 'open_started' }
  | CommittedEvent
  | { readonly type: 'published' }
  | { readonly type: 'open_failed'; readonly reason: string }
  | { readonly type: 'settled' }
  | { readonly type: 'canceled' };

/** What the runner must do after persisting the new state. */
export type OrderEffect =
  /** Open the channel once the client is reachable (or fail the order past its deadline). */
  | { readonly type: 'open_channel' }
  /** Publish the committed funding transaction, then record it `published`. */
  | { readonly type: 'publish'; readonly fundingId: string }
  /** Settle the hold invoice, then record the order `settled`. */
  | { readonly type: 'settle_invoice' }
  /** Release the on-chain payment's receipts (the LSP's now), then record the order `settled`. */
  | { readonly type: 'release_receipts' }
  /**
   * Cancel the hold invoice: an unused one (expired, or paid on chain instead), or the held
   * payment of a failed order (then record it `canceled`).
   */
  | { readonly type: 'cancel_invoice' }
  /** Cancel the unused invoice and send the on-chain payment back, then record `canceled`. */
  | { readonly type: 'refund_onchain' };

/** What a transition records with the new state. */
export interface OrderRecord {
  /** Set at the commit point. */
  readonly funding?: FundingCommitment;
  /** Set when the order fails. */
  readonly failure?: string;
}

/** The answer of {@link nextOrderState}. */
export type OrderStep = Step<OrderState, OrderEffect, OrderRecord>;

/** Final states: nothing more happens to the order. */
export const FINAL_ORDER_STATES: readonly OrderState[] = ['completed', 'failed', 'expired'];

/**
 * The transition function. `paidBy` is how the order was paid (absent before it is); it
 * decides how a payment is kept or returned.
 */
export function nextOrderState(state: OrderState, event: OrderEvent, paidBy?: PaymentMethod): OrderStep {
  const refund: OrderEffect = { type: paidBy === 'onchain' ? 'refund_onchain' : 'cancel_invoice' };
  switch (state) {
    case 'awaiting_payment':
      if (event.type === 'payment_held') return moved('payment_held', [{ type: 'open_channel' }]);
      if (event.type === 'onchain_paid')
        return moved('payment_held', [{ type: 'cancel_invoice' }, { type: 'open_channel' }]);
      if (event.type === 'invoice_expired')
        return moved('expired', [{ type: 'cancel_invoice' }], { failure: 'the order was not paid in time' });
      if (event.type === 'underpaid_expired')
        return moved('refunding', [{ type: 'refund_onchain' }], {
          failure: 'the order was not paid in full in time',
        });
      break;
    case 'payment_held':
      if (event.type === 'open_started') return moved('opening');
      if (event.type === 'open_failed') return moved('refunding', [refund], { failure: event.reason });
      break;
    case 'opening':
      if (event.type === 'committed') {
        const funding = { fundingId: event.fundingId, txid: event.txid, outputIndex: event.outputIndex };
        return moved('publishing', [{ type: 'publish', fundingId: event.fundingId }], { funding });
      }
      // Before the commit point only: nothing was signed, so nothing can be funded.
      if (event.type === 'open_failed') return moved('refunding', [refund], { failure: event.reason });
      break;
    case 'publishing':
      if (event.type === 'published')
        return moved('settling', [{ type: paidBy === 'onchain' ? 'release_receipts' : 'settle_invoice' }]);
      break;
    case 'settling':
      if (event.type === 'settled') return moved('completed');
      break;
    case 'refunding':
      if (event.type === 'canceled') return moved('failed');
      break;
    case 'completed':
    case 'failed':
    case 'expired':
      break;
  }
  return refuse(state, event.type);
}

/** The LSPS1 `order_state` of an internal state. */
export function lsps1OrderState(state: OrderState): 'CREATED' | 'COMPLETED' | 'FAILED' {
  if (state === 'completed') return 'COMPLETED';
  if (state === 'failed' || state === 'expired') return 'FAILED';
  return 'CREATED';
}

/**
 * The LSPS1 bolt11 payment `state` of an internal state. When the order was paid on-chain its
 * invoice was cancelled: `REFUNDED`, so no one pays it too.
 */
export function lsps1PaymentState(
  state: OrderState,
  paidBy?: PaymentMethod,
): 'EXPECT_PAYMENT' | 'HOLD' | 'PAID' | 'REFUNDED' {
  if (paidBy === 'onchain') return state === 'awaiting_payment' ? 'EXPECT_PAYMENT' : 'REFUNDED';
  switch (state) {
    case 'awaiting_payment':
      return 'EXPECT_PAYMENT';
    case 'payment_held':
    case 'opening':
    case 'publishing':
    case 'settling':
      return 'HOLD';
    case 'completed':
      return 'PAID';
    case 'refunding':
    case 'failed':
    case 'expired':
      return 'REFUNDED';
  }
}

/**
 * The LSPS1 on-chain payment `state` of an internal state: `PAID` once a confirmed payment
 * was taken, `REFUNDED` once the order failed (and whatever arrived went back) or was paid by
 * its invoice instead, so no one pays the address too.
 */
export function lsps1OnchainPaymentState(
  state: OrderState,
  paidBy?: PaymentMethod,
): 'EXPECT_PAYMENT' | 'PAID' | 'REFUNDED' {
  if (state === 'awaiting_payment') return 'EXPECT_PAYMENT';
  if (paidBy !== 'onchain') return 'REFUNDED';
  switch (state) {
    case 'payment_held':
    case 'opening':
    case 'publishing':
    case 'settling':
    case 'completed':
      return 'PAID';
    default:
      return 'REFUNDED';
  }
}

/** The LSPS1 order machine, as data; its context is how the order was paid (once it is). */
export const orderMachine: Machine<
  OrderState,
  OrderEvent,
  OrderEffect,
  OrderRecord,
  PaymentMethod | undefined
> = {
  name: 'lsps1_order',
  states: states<OrderState>({
    awaiting_payment: true,
    payment_held: true,
    opening: true,
    publishing: true,
    settling: true,
    completed: true,
    refunding: true,
    failed: true,
    expired: true,
  }),
  final: FINAL_ORDER_STATES,
  next: nextOrderState,
};
