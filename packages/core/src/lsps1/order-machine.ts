/**
 * The LSPS1 order as a state machine (bLIP-51). A pure function takes the order's state and
 * an event and returns the next state and the effects to perform; the runner persists the new
 * state before performing them, so a restart resumes where it stopped.
 *
 *   awaiting_payment --held--> payment_held --open_started--> opening --published--> settling --settled--> completed
 *          |                       |   (client offline: stays, retried)  |
 *          +--expired--> expired    +--open_failed / deadline--> refunding --canceled--> failed
 *
 * An order is paid by its hold invoice (`bolt11`) or, when the client gave a refund address,
 * on-chain (`onchain_paid`). The method decides the effects: an on-chain payment has no
 * invoice to settle (its unused invoice is cancelled) and is refunded by an on-chain
 * transaction to the refund address. An order whose address received less than the total
 * by its expiry goes to `refunding` (`underpaid_expired`) so what came in goes back.
 */

/** How an order was paid. */
export type PaymentMethod = 'bolt11' | 'onchain';

/** Where an order is. Final: `completed`, `failed`, `expired`. */
export type OrderState =
  | 'awaiting_payment'
  | 'payment_held'
  | 'opening'
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
  | { readonly type: 'funding_published'; readonly txid: string; readonly outputIndex: number }
  | { readonly type: 'open_failed'; readonly reason: string }
  | { readonly type: 'settled' }
  | { readonly type: 'canceled' };

/** What the runner must do after persisting the new state. */
export type OrderEffect =
  | { readonly type: 'open_channel' }
  | { readonly type: 'settle_invoice' }
  | { readonly type: 'cancel_invoice' }
  | { readonly type: 'refund_onchain' };

/** The result of a transition. */
export interface Transition {
  readonly state: OrderState;
  readonly effects: readonly OrderEffect[];
  /** Set on `funding_published`. */
  readonly funding?: { readonly txid: string; readonly outputIndex: number };
  /** Set when the order fails. */
  readonly failure?: string;
}

/** Final states: nothing more happens to the order. */
export const FINAL_ORDER_STATES: readonly OrderState[] = ['completed', 'failed', 'expired'];

/** Thrown for an event the state does not accept (a bug in the caller). */
export class InvalidOrderTransition extends Error {
  constructor(state: OrderState, event: OrderEvent['type']) {
    super(`order in state ${state} cannot take event ${event}`);
    this.name = 'InvalidOrderTransition';
  }
}

/**
 * The transition function. `paidBy` is how the order was paid (absent before it is); it
 * decides how a payment is kept or returned.
 */
export function nextOrderState(state: OrderState, event: OrderEvent, paidBy?: PaymentMethod): Transition {
  const refund: OrderEffect = { type: paidBy === 'onchain' ? 'refund_onchain' : 'cancel_invoice' };
  switch (state) {
    case 'awaiting_payment':
      if (event.type === 'payment_held')
        return { state: 'payment_held', effects: [{ type: 'open_channel' }] };
      if (event.type === 'onchain_paid')
        return { state: 'payment_held', effects: [{ type: 'cancel_invoice' }, { type: 'open_channel' }] };
      if (event.type === 'invoice_expired')
        return {
          state: 'expired',
          effects: [{ type: 'cancel_invoice' }],
          failure: 'the order was not paid in time',
        };
      if (event.type === 'underpaid_expired')
        return {
          state: 'refunding',
          effects: [{ type: 'cancel_invoice' }, { type: 'refund_onchain' }],
          failure: 'the order was not paid in full in time',
        };
      break;
    case 'payment_held':
      if (event.type === 'open_started') return { state: 'opening', effects: [] };
      if (event.type === 'open_failed')
        return { state: 'refunding', effects: [refund], failure: event.reason };
      break;
    case 'opening':
      if (event.type === 'funding_published') {
        return {
          state: 'settling',
          effects: paidBy === 'onchain' ? [] : [{ type: 'settle_invoice' }],
          funding: { txid: event.txid, outputIndex: event.outputIndex },
        };
      }
      if (event.type === 'open_failed')
        return { state: 'refunding', effects: [refund], failure: event.reason };
      break;
    case 'settling':
      if (event.type === 'settled') return { state: 'completed', effects: [] };
      break;
    case 'refunding':
      if (event.type === 'canceled') return { state: 'failed', effects: [] };
      break;
    case 'completed':
    case 'failed':
    case 'expired':
      break;
  }
  throw new InvalidOrderTransition(state, event.type);
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
    case 'settling':
    case 'completed':
      return 'PAID';
    default:
      return 'REFUNDED';
  }
}
