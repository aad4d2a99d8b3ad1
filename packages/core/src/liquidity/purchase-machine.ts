/**
 * Buying outbound liquidity from an upstream LSP over LSPS1, as a state machine. The runner
 * persists each transition before acting on it, so a restart resumes a purchase instead of
 * paying for a second one.
 *
 *   ordered --fee_accepted--> paying --paid--> paid --order_completed--> opening --usable--> completed
 *      |                        |                |                          |
 *      +--refused--> refused    +--not_sent-->   +--order_failed /          +--gave_up--> failed
 *      (nothing spent)             failed           gave_up--> failed
 *
 * `ordered`: the upstream's order exists, nothing is paid. `paying`: the on-chain payment is
 * being sent (after a crash the wallet's labelled transactions tell whether it went out).
 * `paid`: waiting for the upstream to open the channel. `opening`: its funding is published,
 * waiting until the channel is active and carries a payment.
 */

import { type Machine, moved, refuse, type Step, states } from '../machine.ts';

/** Where a purchase is. Final: `completed`, `refused`, `failed`. */
export type PurchaseState = 'ordered' | 'paying' | 'paid' | 'opening' | 'completed' | 'refused' | 'failed';

/** What happened. */
export type PurchaseEvent =
  | { readonly type: 'fee_accepted' }
  | { readonly type: 'refused'; readonly reason: string }
  | { readonly type: 'paid'; readonly txid: string; readonly onchainFee: bigint }
  | { readonly type: 'not_sent'; readonly reason: string }
  | { readonly type: 'order_completed'; readonly fundingOutpoint: string }
  | { readonly type: 'order_failed'; readonly reason: string }
  | { readonly type: 'usable'; readonly outbound: bigint }
  | { readonly type: 'gave_up'; readonly reason: string };

/** What a transition records with the new state. */
export interface PurchaseRecord {
  readonly failure?: string;
  readonly paymentTxid?: string;
  readonly onchainFee?: bigint;
  readonly fundingOutpoint?: string;
  readonly outbound?: bigint;
}

/** Final states: nothing more happens to the purchase. */
export const FINAL_PURCHASE_STATES: readonly PurchaseState[] = ['completed', 'refused', 'failed'];

/**
 * The transition function (the one machine shape: see `machine.ts`). The runner performs each
 * state's work itself (pay, wait for the order, wait for the channel), so steps carry no
 * effects; what they record is persisted with the state.
 */
export function nextPurchaseState(
  state: PurchaseState,
  event: PurchaseEvent,
): Step<PurchaseState, never, PurchaseRecord> {
  switch (state) {
    case 'ordered':
      if (event.type === 'fee_accepted') return moved('paying');
      if (event.type === 'refused') return moved('refused', [], { failure: event.reason });
      break;
    case 'paying':
      if (event.type === 'paid')
        return moved('paid', [], { paymentTxid: event.txid, onchainFee: event.onchainFee });
      if (event.type === 'not_sent') return moved('failed', [], { failure: event.reason });
      break;
    case 'paid':
      if (event.type === 'order_completed')
        return moved('opening', [], { fundingOutpoint: event.fundingOutpoint });
      if (event.type === 'order_failed' || event.type === 'gave_up')
        return moved('failed', [], { failure: event.reason });
      break;
    case 'opening':
      if (event.type === 'usable') return moved('completed', [], { outbound: event.outbound });
      if (event.type === 'gave_up') return moved('failed', [], { failure: event.reason });
      break;
    case 'completed':
    case 'refused':
    case 'failed':
      break;
  }
  return refuse(state, event.type);
}

/** The liquidity purchase machine, as data. */
export const purchaseMachine: Machine<PurchaseState, PurchaseEvent, never, PurchaseRecord> = {
  name: 'liquidity_purchase',
  states: states<PurchaseState>({
    ordered: true,
    paying: true,
    paid: true,
    opening: true,
    completed: true,
    refused: true,
    failed: true,
  }),
  final: FINAL_PURCHASE_STATES,
  next: (state, event) => nextPurchaseState(state, event),
};
