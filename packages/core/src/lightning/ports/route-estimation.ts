/**
 * LND's route estimation: the fee and time lock of a payment before it is made, from the graph
 * or from a probe, and mission control's odds that a route carries it.
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Pubkey } from '../../ids.ts';
import type { Msat, Sat } from '../../money.ts';
import type { PaymentFailureReason, RouteHintHop } from '../types.ts';

/** What to estimate: a destination and amount (the graph only), or an invoice to probe. */
export type RouteFeeRequest =
  | { readonly destination: Pubkey; readonly amount: Sat }
  | { readonly paymentRequest: string; readonly timeoutSeconds: number };

/** LND's estimate (routerrpc `EstimateRouteFee`). */
export interface RouteFeeEstimate {
  /** What the hops would take (a lower bound from the graph; what the probe's route took). */
  readonly fee: Msat;
  /**
   * The route's total time lock as LND reports it: an absolute block height (the current
   * height + every hop's delta + the final delta; LND adds 3 blocks of padding in graph mode).
   */
  readonly totalTimeLock: number;
  /** `undefined` when the probe reached the destination (or its LSP). */
  readonly failure?: PaymentFailureReason;
}

/** The odds a route carries a payment, from mission control (lnrpc `QueryRoutes`). */
export interface RouteProbabilityRequest {
  readonly destination: Pubkey;
  readonly amount: Msat;
  readonly routeHints?: readonly (readonly RouteHintHop[])[];
  readonly finalCltvDelta?: number;
  /**
   * Weigh the route by mission control's record of earlier payments (default true). Without it
   * LND finds a route from the graph alone (channel capacities, and the node's own balances for
   * the first hop): whether any path has the capacity for the amount at all.
   */
  readonly useMissionControl?: boolean;
}

/** LND's route estimation. */
export interface RouteEstimationPort {
  /**
   * The fee and time lock of a payment: from the graph for a destination and amount, or by
   * probing an invoice (an HTLC with a random hash; LND probes the invoice's LSP when the
   * destination is private behind a public node's route hint, and adds the hint's fee).
   */
  estimateRouteFee(request: RouteFeeRequest, signal: AbortSignal): Promise<RouteFeeEstimate>;

  /**
   * Mission control's success probability (0..1) of the route LND would take now;
   * `undefined` when it finds no route.
   */
  routeProbability(request: RouteProbabilityRequest, signal: AbortSignal): Promise<number | undefined>;
}
