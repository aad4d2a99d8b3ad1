/**
 * `GET` / `PUT /v1/admin/routing/policy` (admin keys only): the routing fee policy's settings,
 * read and changed at runtime. A body that breaks a field's bounds, or leaves the floor above
 * the midpoint or the midpoint above the ceiling, is a 400 naming the field. And
 * `GET /v1/admin/routing/rebalances`: what the routing-rebalance job did.
 */
import {
  RebalancesQuery,
  RebalancesResponse,
  RoutingPolicyBody,
  RoutingPolicyResponse,
} from '@blgv/protocol';
import type { RebalanceRecord, RebalanceState } from '@blgv/store';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/error-responses.ts';
import type { RoutingFeeSettingsStore } from './fee-settings.ts';

const errors = errorResponses(400, 401, 403);

/** Registers the routing policy routes. */
export function registerRoutingPolicyRoutes(app: FastifyInstance, settings: RoutingFeeSettingsStore): void {
  app.get(
    '/v1/admin/routing/policy',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminRoutingPolicy',
        summary: 'The routing fee policy (fees that follow liquidity)',
        tags: ['admin'],
        response: { 200: RoutingPolicyResponse, ...errors },
      },
    },
    () => settings.current(),
  );

  app.put<{ Body: RoutingPolicyBody }>(
    '/v1/admin/routing/policy',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminSetRoutingPolicy',
        summary: 'Change the routing fee policy',
        description:
          'Changes the fields given; the others keep their values. Every replica and restart uses the result; the routing-fees job applies it from its next pass.',
        tags: ['admin'],
        body: RoutingPolicyBody,
        response: { 200: RoutingPolicyResponse, ...errors },
      },
    },
    (req) => settings.update(req.body),
  );
}

/** Registers `GET /v1/admin/routing/rebalances`: the rebalances, newest first. */
export function registerRebalanceRoutes(
  app: FastifyInstance,
  list: (limit: number, states?: readonly RebalanceState[]) => Promise<RebalanceRecord[]>,
): void {
  app.get<{ Querystring: RebalancesQuery }>(
    '/v1/admin/routing/rebalances',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminRebalances',
        summary: 'Rebalances made, refused or failed, newest first',
        tags: ['admin'],
        querystring: RebalancesQuery,
        response: { 200: RebalancesResponse, ...errors },
      },
    },
    async (req): Promise<RebalancesResponse> => {
      const rows = await list(
        req.query.limit ?? 100,
        req.query.state ? [req.query.state as RebalanceState] : undefined,
      );
      return {
        rebalances: rows.map((r) => ({
          id: r.id,
          createdAt: r.createdAt.toISOString(),
          state: r.state,
          sourceChannelPoint: r.sourceChannelPoint,
          targetChannelPoint: r.targetChannelPoint,
          targetPeer: r.targetPeer,
          amountSat: Number(r.amountSat),
          maxFeeMsat: r.maxFeeMsat.toString(),
          feeMsat: r.feeMsat?.toString() ?? null,
          paymentHash: r.paymentHash ?? null,
          reason: r.reason,
        })),
      };
    },
  );
}
