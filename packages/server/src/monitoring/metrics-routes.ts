/**
 * Metrics over REST: a tenant's hosted node (`/v1/nodes/:id/metrics`), and for the operator the
 * LSP's own node (`/v1/admin/lsp/metrics`) and the business figures (`/v1/admin/lsp/figures`).
 * All answered from what the node monitor stored.
 */
import { ErrorCode, LspError } from '@blgv/core';
import {
  FiguresQuery,
  IdParams,
  LIST_PAGE,
  LspFiguresResponse,
  NodeMetricsQuery,
  NodeMetricsResponse,
  pageRequest,
} from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import type { HostingService } from '../hosting/hosting-service.ts';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { MetricsService } from './metrics-service.ts';
import { LSP_NODE_ID } from './node-monitor.ts';

const errors = errorResponses(400, 401, 403, 404);

/** Registers the metrics routes; the hosted-node one only when hosting is configured. */
export function registerMetricsRoutes(
  app: FastifyInstance,
  metrics: MetricsService,
  hosting: HostingService | undefined,
): void {
  if (hosting) {
    app.get<{ Params: { id: string }; Querystring: NodeMetricsQuery }>(
      '/v1/nodes/:id/metrics',
      {
        config: { auth: 'tenant' },
        schema: {
          operationId: 'getNodeMetrics',
          summary: "A hosted node's metrics (the spec's NodeMetrics) over a window",
          tags: ['nodes'],
          params: IdParams,
          querystring: NodeMetricsQuery,
          response: { 200: NodeMetricsResponse, ...errors },
        },
      },
      async (req) => {
        // Another tenant's node is not found (its record alone: no secrets opened to answer).
        const node = await hosting.repo.getOwned(principalOf(req).tenantId, req.params.id);
        if (!node) throw new LspError(ErrorCode.NotFound, `no node ${req.params.id}`);
        return metrics.nodeMetrics(node.id, req.query.window ?? '24h', pageRequest(req.query, LIST_PAGE));
      },
    );
  }

  app.get<{ Querystring: NodeMetricsQuery }>(
    '/v1/admin/lsp/metrics',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminLspMetrics',
        summary: "The LSP's own node's metrics (NodeMetrics) over a window",
        tags: ['admin'],
        querystring: NodeMetricsQuery,
        response: { 200: NodeMetricsResponse, ...errors },
      },
    },
    async (req) =>
      metrics.nodeMetrics(LSP_NODE_ID, req.query.window ?? '24h', pageRequest(req.query, LIST_PAGE)),
  );

  app.get<{ Querystring: FiguresQuery }>(
    '/v1/admin/lsp/figures',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminFigures',
        summary: 'Business figures: revenue by source, channels, liquidity, JIT latency, open orders',
        tags: ['admin'],
        querystring: FiguresQuery,
        response: { 200: LspFiguresResponse, ...errors },
      },
    },
    async (req) => metrics.figures(req.query.window ?? '30d'),
  );
}
