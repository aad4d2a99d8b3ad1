/**
 * The life of one wrapped invoice (the Flow 2.0 style of JIT channel, for wallets on a stock
 * node), as data (the one machine shape: see `machine.ts`). The wallet hands the LSP its own
 * invoice; the LSP answers with a hold invoice for the same payment hash, paying the LSP the
 * wallet's amount plus the fee. When the payer's HTLCs are held, the LSP opens a zero-conf
 * channel to the wallet whose funding it withholds (or picks a channel the wallet already has),
 * pays the wallet's invoice over it, and with the preimage that payment returns publishes the
 * funding and settles the hold invoice.
 *
 * ```
 * awaiting_payment --payment_held--> opening --committed / channel_chosen--> paying --wallet_paid--> settling --settled--> completed
 *        |                              |                                     |
 *        +--expired--> expired          +--open_failed--> failed <--pay_failed--+
 * ```
 *
 * Nothing is published before the wallet has released the preimage: `committed` is the funding's
 * withheld commit point, `wallet_paid` releases it. Every way to `failed` cancels the hold
 * invoice (the payer's HTLCs fail back); from `paying` it also withdraws the withheld funding, so
 * a wallet that is offline, refuses, or never settles costs the LSP nothing on chain. A payment
 * to the wallet whose outcome is unknown keeps the invoice `paying`: it is looked at again, never
 * taken as failed.
 */
import type { Hex32, Scid } from '../ids.ts';
import { type Machine, moved, refuse, type Step, states } from '../machine.ts';

/** The states of a wrapped invoice. */
export type WrappedInvoiceState =
  | 'awaiting_payment'
  | 'opening'
  | 'paying'
  | 'settling'
  | 'completed'
  | 'failed'
  | 'expired';

/** States after which nothing happens any more. */
export const FINAL_WRAPPED_STATES: readonly WrappedInvoiceState[] = ['completed', 'failed', 'expired'];

/** What happens to a wrapped invoice. */
export type WrappedInvoiceEvent =
  /** The payer's HTLCs cover the hold invoice and are held. */
  | { readonly type: 'payment_held' }
  /** A channel to the wallet passed its (withheld) commit point. */
  | {
      readonly type: 'committed';
      readonly fundingId: string;
      readonly txid: string;
      readonly outputIndex: number;
    }
  /** The wallet already has a channel from the LSP with room for the payment. */
  | { readonly type: 'channel_chosen'; readonly channelScid: Scid }
  | { readonly type: 'open_failed'; readonly reason: string }
  /**
   * The wallet's invoice was paid: its preimage, and the channel it went over when known (a new
   * channel's scid is known only once it is active; a payment found after a restart has none).
   */
  | { readonly type: 'wallet_paid'; readonly preimage: Hex32; readonly channelScid?: Scid }
  /** Paying the wallet's invoice failed for certain. */
  | { readonly type: 'pay_failed'; readonly reason: string }
  /** The hold invoice is settled: the fee is earned. */
  | { readonly type: 'settled' }
  /** No payment came before the wrapped invoice expired. */
  | { readonly type: 'expired' };

/** What the runner does after persisting a transition. */
export type WrappedInvoiceEffect =
  /** Open a zero-conf channel to the wallet with its funding withheld, or pick one it has. */
  | { readonly type: 'open_channel' }
  /** Pay the wallet's invoice over the channel. */
  | { readonly type: 'pay_wallet' }
  /** Publish the withheld funding (if any) and settle the hold invoice with the preimage. */
  | { readonly type: 'settle' }
  /** Cancel the hold invoice: the payer's HTLCs fail back. */
  | { readonly type: 'cancel_hold' }
  /** Give up the withheld funding (if any): channel abandoned, inputs back to the wallet. */
  | { readonly type: 'withdraw_funding' };

/** What a transition records: the event's facts. */
export interface WrappedRecord {
  readonly record: Omit<WrappedInvoiceEvent, 'type'>;
}

const NEXT: Readonly<
  Record<WrappedInvoiceEvent['type'], readonly [readonly WrappedInvoiceState[], WrappedInvoiceState]>
> = {
  payment_held: [['awaiting_payment'], 'opening'],
  committed: [['opening'], 'paying'],
  channel_chosen: [['opening'], 'paying'],
  open_failed: [['opening'], 'failed'],
  wallet_paid: [['paying'], 'settling'],
  pay_failed: [['paying'], 'failed'],
  settled: [['settling'], 'completed'],
  expired: [['awaiting_payment'], 'expired'],
};

function effectsOf(event: WrappedInvoiceEvent): WrappedInvoiceEffect[] {
  switch (event.type) {
    case 'payment_held':
      return [{ type: 'open_channel' }];
    case 'committed':
    case 'channel_chosen':
      return [{ type: 'pay_wallet' }];
    case 'wallet_paid':
      return [{ type: 'settle' }];
    case 'open_failed':
    case 'expired':
      return [{ type: 'cancel_hold' }];
    case 'pay_failed':
      return [{ type: 'cancel_hold' }, { type: 'withdraw_funding' }];
    case 'settled':
      return [];
  }
}

/** The transition function. */
export function nextWrappedState(
  from: WrappedInvoiceState,
  event: WrappedInvoiceEvent,
): Step<WrappedInvoiceState, WrappedInvoiceEffect, WrappedRecord> {
  const [sources, target] = NEXT[event.type];
  if (!sources.includes(from)) return refuse(from, event.type);
  const { type: _type, ...record } = event;
  return moved(target, effectsOf(event), { record });
}

/** The wrapped invoice machine, as data. */
export const wrappedInvoiceMachine: Machine<
  WrappedInvoiceState,
  WrappedInvoiceEvent,
  WrappedInvoiceEffect,
  WrappedRecord
> = {
  name: 'wrapped_invoice',
  states: states<WrappedInvoiceState>({
    awaiting_payment: true,
    opening: true,
    paying: true,
    settling: true,
    completed: true,
    failed: true,
    expired: true,
  }),
  final: FINAL_WRAPPED_STATES,
  next: (state, event) => nextWrappedState(state, event),
};
