/**
 * LND's route estimation: routerrpc `EstimateRouteFee` (graph or probe) and lnrpc
 * `QueryRoutes` for mission control's success probability.
 * The LND side of `RouteEstimationPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  ErrorCode,
  isLspError,
  msat,
  type RouteEstimationPort,
  type RouteFeeEstimate,
  type RouteFeeRequest,
  type RouteProbabilityRequest,
} from '@blgv/core';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';
import { failureReasons, routeHintMessage } from '../mappers.ts';

/** `RouteEstimationPort` on LND. */
export function lndRouteEstimation(c: LndClients): RouteEstimationPort {
  return {
    async estimateRouteFee(request: RouteFeeRequest, signal: AbortSignal): Promise<RouteFeeEstimate> {
      const r = await unary(
        'EstimateRouteFee',
        c.router.EstimateRouteFee.bind(c.router),
        'destination' in request
          ? { dest: Buffer.from(request.destination, 'hex'), amt_sat: request.amount.toString() }
          : { payment_request: request.paymentRequest, timeout: request.timeoutSeconds },
        signal,
      );
      const failure =
        r.failure_reason === 'FAILURE_REASON_NONE'
          ? undefined
          : (failureReasons[r.failure_reason] ?? 'unknown');
      return {
        fee: msat(BigInt(r.routing_fee_msat)),
        totalTimeLock: Number(r.time_lock_delay),
        ...(failure !== undefined ? { failure } : {}),
      };
    },

    async routeProbability(
      request: RouteProbabilityRequest,
      signal: AbortSignal,
    ): Promise<number | undefined> {
      const ln = c.lightning;
      try {
        const r = await unary(
          'QueryRoutes',
          ln.QueryRoutes.bind(ln),
          {
            pub_key: request.destination,
            amt_msat: request.amount.toString(),
            use_mission_control: request.useMissionControl ?? true,
            ...(request.finalCltvDelta !== undefined ? { final_cltv_delta: request.finalCltvDelta } : {}),
            ...(request.routeHints !== undefined
              ? {
                  route_hints: request.routeHints.map(routeHintMessage),
                }
              : {}),
          },
          signal,
        );
        return r.routes.length > 0 ? r.success_prob : undefined;
      } catch (err) {
        // No route (LND: "unable to find a path to destination"): no odds to give.
        if (isLspError(err, ErrorCode.NotFound) || isLspError(err, ErrorCode.LightningRejected))
          return undefined;
        throw err;
      }
    },
  };
}
