/**
 * LSPS5 operator tools (admin keys only). `POST /v1/admin/lsps5/liquidity-request` sends
 * `lsps5.liquidity_management_request` to a client node's webhooks: the operator wants liquidity
 * back from it (to close or splice out a channel) and it is not connected. Nothing in the LSP
 * decides that on its own today, so the operator does.
 */
import { parsePubkey } from '@blgv/core';
import { Lsps5LiquidityRequestBody, Lsps5Method, Lsps5NotifyResponse } from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/error-responses.ts';
import type { Lsps5Notifier } from './lsps5-notifier.ts';

/** Registers the LSPS5 admin routes. */
export function registerLsps5AdminRoutes(app: FastifyInstance, notifier: Lsps5Notifier): void {
  app.post<{ Body: Lsps5LiquidityRequestBody }>(
    '/v1/admin/lsps5/liquidity-request',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminLsps5LiquidityRequest',
        summary:
          'Ask a sleeping client node, through its LSPS5 webhooks, to come online for liquidity management',
        description:
          'queued: sent to every webhook of the client; no_webhooks: it has none; connected: it is online (bLIP-55 notifies only clients that are not); cooldown: the same request went out within lsps5.cooldownSeconds.',
        tags: ['admin', 'lsps'],
        body: Lsps5LiquidityRequestBody,
        response: { 200: Lsps5NotifyResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => ({
      outcome: await notifier.notify(
        parsePubkey(req.body.clientPubkey),
        Lsps5Method.LiquidityManagementRequest,
        {},
        AbortSignal.timeout(30_000),
      ),
    }),
  );
}
