/**
 * The client's hosted-node calls (`/v1/nodes`).
 */
import type {
  DeleteNodeBody,
  HostedNodeConfigBody,
  HostedNodeQuoteResponse,
  HostedNodeResponse,
  HostedNodesQuery,
  HostedNodesResponse,
  MacaroonBody,
  MacaroonResponse,
  NodeBackupResponse,
  NodeMacaroonResponse,
  NodeMacaroonsResponse,
  NodeMetricsQuery,
  NodeMetricsResponse,
} from '@blgv/protocol';
import { queryString } from './query-string.ts';
import type { MutationOptions, SignedTransport } from './signed-transport.ts';

/**
 * Hosted Lightning nodes (the spec's `createHostedNode`): quote, create (the answer carries
 * the wallet seed), list, read, stop, start, delete (never destroying coins: see
 * docs/hosting.md), the latest channel backup, and extra macaroons.
 */
export function hostedNodesApi(t: SignedTransport) {
  return {
    quote: (config: HostedNodeConfigBody): Promise<HostedNodeQuoteResponse> =>
      t.call('POST', '/v1/nodes/quote', config),
    /**
     * Creates a node. Pass an `idempotencyKey` and repeat the call when its answer was lost: the
     * repeat answers the same node (charged once), with the seed, until {@link acknowledgeSeed}.
     */
    create: (config: HostedNodeConfigBody, options: MutationOptions = {}): Promise<HostedNodeResponse> =>
      t.call('POST', '/v1/nodes', config, options),
    /** Says the seed is kept safe: a repeated creation no longer shows it. */
    acknowledgeSeed: (nodeId: string): Promise<HostedNodeResponse> =>
      t.call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/seed/acknowledge`),
    /**
     * A page of the tenant's nodes, newest first (`limit` default 50, at most 500); read on with
     * `cursor` set to the answer's `nextCursor` until it is null.
     */
    list: (query: HostedNodesQuery = {}): Promise<HostedNodesResponse> =>
      t.call('GET', `/v1/nodes${queryString(query)}`),
    /**
     * One node, with what only this call reads live: `process` (the node's process as the driver
     * sees it) and `watchtower` (the tower that guards its channels while it is offline, and how
     * many revoked states it holds; `null` when none watches it).
     */
    get: (nodeId: string): Promise<HostedNodeResponse> =>
      t.call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}`),
    /**
     * Stops the node (its data kept, still billed). Refused (409 `conflict`,
     * `details.htlcsInFlight`) while it has HTLCs in flight, and for a suspended node.
     */
    stop: (nodeId: string): Promise<HostedNodeResponse> =>
      t.call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/stop`),
    start: (nodeId: string): Promise<HostedNodeResponse> =>
      t.call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/start`),
    /**
     * Deletes a node: 409 naming what it holds unless it holds nothing, or `closeChannels` and a
     * `sweepAddress` let the LSP close its channels and sweep its coins first (it is `deleting`
     * until then; `deletion` says what is left and why).
     */
    remove: (nodeId: string, options: DeleteNodeBody = {}): Promise<HostedNodeResponse> =>
      t.call('DELETE', `/v1/nodes/${encodeURIComponent(nodeId)}`, options),
    backup: (nodeId: string): Promise<NodeBackupResponse> =>
      t.call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/backup`),
    /**
     * Bakes another macaroon within the customer's permissions, under a root key of its own
     * (`rootKeyId`, which {@link LSPClient.nodes.revokeMacaroon} takes).
     */
    bakeMacaroon: (nodeId: string, permissions: MacaroonBody['permissions']): Promise<MacaroonResponse> =>
      t.call('POST', `/v1/nodes/${encodeURIComponent(nodeId)}/macaroons`, { permissions }),
    /** The node's macaroons: root key, kind, permissions, baked and revoked (never the macaroon). */
    macaroons: (nodeId: string): Promise<NodeMacaroonsResponse> =>
      t.call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/macaroons`),
    /**
     * Revokes one macaroon: LND refuses it from then on; the node's other macaroons and the
     * LSP's access are untouched.
     */
    revokeMacaroon: (nodeId: string, rootKeyId: string): Promise<NodeMacaroonResponse> =>
      t.call('DELETE', `/v1/nodes/${encodeURIComponent(nodeId)}/macaroons/${encodeURIComponent(rootKeyId)}`),
    /** Same as {@link LSPClient.getNodeMetrics}. */
    metrics: (nodeId: string, query: NodeMetricsQuery = {}): Promise<NodeMetricsResponse> =>
      nodeMetrics(t, nodeId, query),
  };
}

/** What {@link hostedNodesApi} answers. */
export type HostedNodesApi = ReturnType<typeof hostedNodesApi>;

/** A hosted node's metrics (`GET /v1/nodes/:id/metrics`). */
export function nodeMetrics(
  t: SignedTransport,
  nodeId: string,
  query: NodeMetricsQuery = {},
): Promise<NodeMetricsResponse> {
  return t.call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/metrics${queryString(query)}`);
}
