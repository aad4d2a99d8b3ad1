/**
 * The client's operator calls (`/v1/admin`, admin keys only).
 */
import type {
  AdminJitChannelResponse,
  AdminJobsResponse,
  AdminLiquidityPurchaseResponse,
  AuditResponse,
  KeyResponse,
  LspFiguresResponse,
  NodeMetricsQuery,
  NodeMetricsResponse,
  RebalancesQuery,
  RebalancesResponse,
  RoutingPolicyBody,
  RoutingPolicyResponse,
  TenantResponse,
} from '@blgv/protocol';
import { queryString } from './query-string.ts';
import type { SignedTransport } from './signed-transport.ts';

/** Admin keys only: operator calls. */
export function adminApi(t: SignedTransport) {
  return {
    createTenant: (name: string): Promise<TenantResponse> => t.call('POST', '/v1/admin/tenants', { name }),
    createKey: (tenantId: string, scope: 'admin' | 'tenant', label?: string): Promise<KeyResponse> =>
      t.call('POST', '/v1/admin/keys', { tenantId, scope, ...(label ? { label } : {}) }),
    revokeKey: (keyId: string): Promise<void> =>
      t.call('DELETE', `/v1/admin/keys/${encodeURIComponent(keyId)}`),
    /** Reconciles the ledger with LND; `clean` is true when nothing disagrees. */
    audit: (): Promise<AuditResponse> => t.call('GET', '/v1/admin/audit'),
    /** The background jobs: which replica runs each. */
    jobs: (): Promise<AdminJobsResponse> => t.call('GET', '/v1/admin/jobs'),
    /** An LSPS2 JIT channel by the scid `lsps2.buy` handed out (`BxTxO`). */
    jitChannel: (jitScid: string): Promise<AdminJitChannelResponse> =>
      t.call('GET', `/v1/admin/jit-channels/${encodeURIComponent(jitScid)}`),
    /** A purchase of liquidity from the upstream LSP. */
    liquidityPurchase: (id: string): Promise<AdminLiquidityPurchaseResponse> =>
      t.call('GET', `/v1/admin/liquidity/purchases/${encodeURIComponent(id)}`),
    /** The LSP's own node's metrics (the same shape as a hosted node's). */
    lspMetrics: (query: NodeMetricsQuery = {}): Promise<NodeMetricsResponse> =>
      t.call('GET', `/v1/admin/lsp/metrics${queryString(query)}`),
    /** Revenue by source, channels sold, JIT opens and latency, liquidity, open orders, hosted nodes. */
    figures: (window?: NodeMetricsQuery['window']): Promise<LspFiguresResponse> =>
      t.call('GET', `/v1/admin/lsp/figures${queryString({ window })}`),
    /** The routing fee policy's settings (fees that follow liquidity). */
    routingPolicy: (): Promise<RoutingPolicyResponse> => t.call('GET', '/v1/admin/routing/policy'),
    /** Changes the fields given of the routing fee policy; answers the settings now in force. */
    setRoutingPolicy: (change: RoutingPolicyBody): Promise<RoutingPolicyResponse> =>
      t.call('PUT', '/v1/admin/routing/policy', change),
    /** The rebalances made, refused or failed, newest first (at most `limit`, default 100). */
    rebalances: (query: RebalancesQuery = {}): Promise<RebalancesResponse> =>
      t.call('GET', `/v1/admin/routing/rebalances${queryString(query)}`),
  };
}

/** What {@link adminApi} answers. */
export type AdminApi = ReturnType<typeof adminApi>;
