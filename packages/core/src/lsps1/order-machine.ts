/**
 * The LSPS1 order as a state machine (bLIP-51). A pure function takes the order's state and
 * an event and returns the next state and the effects to perform; the runner persists the new
 * state before performing them, so a restart resumes where it stopped.
 *
 *   awaiting_payment --held--> payment_held --open_started--> opening --published--> settling --settled--> completed
 *          |                       |   (client offline: stays, retried)  |
 *          +--expired--> expired    +--open_failed / deadline--> refunding --canceled--> failed
 */

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
  | { readonly type: 'cancel_invoice' };

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

/** The transition function. */
export function nextOrderState(state: OrderState, event: OrderEvent): Transition {
  switch (state) {
    case 'awaiting_payment':
      if (event.type === 'payment_held')
        return { state: 'payment_held', effects: [{ type: 'open_channel' }] };
      if (event.type === 'invoice_expired')
        return {
          state: 'expired',
          effects: [{ type: 'cancel_invoice' }],
          failure: 'the order was not paid in time',
        };
      break;
    case 'payment_held':
      if (event.type === 'open_started') return { state: 'opening', effects: [] };
      if (event.type === 'open_failed')
        return { state: 'refunding', effects: [{ type: 'cancel_invoice' }], failure: event.reason };
      break;
    case 'opening':
      if (event.type === 'funding_published') {
        return {
          state: 'settling',
          effects: [{ type: 'settle_invoice' }],
          funding: { txid: event.txid, outputIndex: event.outputIndex },
        };
      }
      if (event.type === 'open_failed')
        return { state: 'refunding', effects: [{ type: 'cancel_invoice' }], failure: event.reason };
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

/** The LSPS1 bolt11 payment `state` of an internal state. */
export function lsps1PaymentState(state: OrderState): 'EXPECT_PAYMENT' | 'HOLD' | 'PAID' | 'REFUNDED' {
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
