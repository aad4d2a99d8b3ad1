/** Payments sent: the domain types its port speaks (no LND type). */
import type { Hex32, Pubkey, Scid } from '../../ids.ts';
import type { Msat } from '../../money.ts';
import type { RouteHintHop } from './invoices.ts';

/** A decoded BOLT11 payment request. */
export interface DecodedPaymentRequest {
  readonly destination: Pubkey;
  readonly paymentHash: Hex32;
  readonly amount: Msat;
  readonly timestamp: Date;
  readonly expirySeconds: number;
  readonly description: string;
  readonly cltvExpiry: number;
  readonly routeHints: readonly (readonly RouteHintHop[])[];
}

/** What to pay and within which limits. */
export interface SendPaymentRequest {
  readonly paymentRequest: string;
  /** For amountless invoices. */
  readonly amount?: Msat;
  readonly feeLimit: Msat;
  readonly timeoutSeconds: number;
  readonly maxParts?: number;
  /** The largest part a payment is split into (LND's default: no bound). */
  readonly maxShardSize?: Msat;
  /** Restrict the first hop to this channel. */
  readonly outgoingScid?: Scid;
  /** Restrict the last hop to come from this node (a circular payment's way back in). */
  readonly lastHopPubkey?: Pubkey;
  /** Allow paying an invoice of this node itself (a circular payment, rebalancing). */
  readonly allowSelfPayment?: boolean;
}

/** A payment to this node's peer over one of its channels, on a route given (no pathfinding). */
export interface ChannelPaymentRequest {
  /** The peer's invoice (it must have an amount). */
  readonly paymentRequest: string;
  /** This node's channel to the invoice's payee. */
  readonly scid: Scid;
}

/** Why a payment failed, as LND classifies it. */
export type PaymentFailureReason =
  | 'timeout'
  | 'no_route'
  | 'error'
  | 'incorrect_payment_details'
  | 'insufficient_balance'
  | 'canceled'
  | 'unknown';

/** The final outcome of a payment. */
export type PaymentResult =
  | {
      readonly status: 'succeeded';
      readonly paymentHash: Hex32;
      readonly preimage: Hex32;
      readonly amount: Msat;
      readonly fee: Msat;
      readonly htlcCount: number;
      /** Every HTLC attempt the node made, in the order tried (absent when not read). */
      readonly attempts?: readonly HtlcAttempt[];
    }
  | {
      readonly status: 'failed';
      readonly paymentHash: Hex32;
      readonly reason: PaymentFailureReason;
      readonly htlcCount: number;
      /** Why each HTLC attempt failed, in the order tried. */
      readonly attemptFailures: readonly HtlcAttemptFailure[];
      /** Every HTLC attempt the node made, in the order tried (absent when not read). */
      readonly attempts?: readonly HtlcAttempt[];
    };

/** One hop of a route a payment's HTLC took: the node it reached and the channel it crossed. */
export interface RouteHop {
  readonly pubkey: Pubkey;
  readonly scid: Scid;
  /** What this hop's node took to forward (0 for the last hop). */
  readonly fee: Msat;
}

/** One HTLC (part) of a payment: the route it took and how it ended. */
export interface HtlcAttempt {
  readonly status: 'succeeded' | 'failed' | 'in_flight';
  readonly hops: readonly RouteHop[];
  /** What the route paid the network. */
  readonly fee: Msat;
  /** What the route delivered to the destination. */
  readonly amount: Msat;
  /** Why it failed, and where, when LND says. */
  readonly failure?: HtlcAttemptFailure;
}

/** How one HTLC attempt of a payment failed. */
export interface HtlcAttemptFailure {
  /** The BOLT 4 failure, lower case, e.g. `unknown_next_peer`. */
  readonly code: string;
  /** Which hop of the route sent it: 0 is the payer, 1 the first hop, and so on. */
  readonly sourceIndex: number;
  /** The node that sent the failure (absent when it is the payer itself). */
  readonly pubkey?: Pubkey;
  /** The channel that node could not forward over (absent at the destination). */
  readonly scid?: Scid;
}

/** A probe: an HTLC of `amount` to `destination` with a hash nobody knows. */
export interface ProbeRequest {
  readonly destination: Pubkey;
  readonly amount: Msat;
  /** Restrict the first hop to this channel. */
  readonly outgoingScid?: Scid;
  readonly timeoutSeconds: number;
  /** The hash the HTLC carries (default: random). Given when the caller records it first. */
  readonly paymentHash?: Hex32;
}

/** Which sent payments to list. */
export interface SentPaymentsQuery {
  /** Only payments with a larger payment index. */
  readonly afterIndex: bigint;
  readonly max: number;
  /** The newest `max` payments instead, whatever `afterIndex` says (still oldest first). */
  readonly newest?: boolean;
}

/** A payment a node sent. */
export interface SentPayment {
  /** The node's own sequence number of the payment. */
  readonly paymentIndex: bigint;
  readonly paymentHash: Hex32;
  readonly status: 'in_flight' | 'succeeded' | 'failed';
  readonly amount: Msat;
  readonly fee: Msat;
  readonly createdAt: Date;
  /** Why it failed, as LND classifies it (failed payments; `undefined` when not known). */
  readonly failureReason?: PaymentFailureReason;
  /** How many HTLC attempts the node made (`undefined` when not known). */
  readonly htlcCount?: number;
  /** The invoice it paid; absent for a payment sent without one (a probe, a keysend). */
  readonly paymentRequest?: string;
}
