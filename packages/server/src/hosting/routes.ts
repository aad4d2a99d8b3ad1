/**
 * Hosted nodes over REST (`/v1/nodes`): quote, create, list, read, stop, start, delete and
 * backup (macaroons: `node-macaroon-routes.ts`). Tenant-scoped: another tenant's node is not
 * found.
 */
import {
  DeleteNodeBody,
  HostedNodeConfigBody,
  HostedNodeQuoteResponse,
  HostedNodeResponse,
  HostedNodesQuery,
  HostedNodesResponse,
  IdParams,
  LIST_PAGE,
  NodeBackupResponse,
  nextCursor,
  pageRequest,
} from '@blgv/protocol';
import type { HostedNodeDeletion } from '@blgv/store';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HostedNodeView } from './hosted-node-view.ts';
import type { HostedNodeQuote, HostingService } from './hosting-service.ts';
import { lndconnectUri } from './lndconnect.ts';

const errors = errorResponses(400, 401, 402, 404, 409, 422, 503);
const tags = ['nodes'];
type NodeParams = { id: string };
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'a repeat with the same key and body answers the same node, charged once',
    }),
  ),
});

/** A deletion on the wire. */
function deletionWire(d: HostedNodeDeletion) {
  return {
    requestedAt: d.requestedAt.toISOString(),
    closeChannels: d.closeChannels,
    sweepAddress: d.sweepAddress,
    phase: d.phase,
    holdings: d.holdings
      ? {
          openChannels: d.holdings.openChannels,
          openingChannels: d.holdings.openingChannels,
          closingChannels: d.holdings.closingChannels,
          channelSat: Number(d.holdings.channelSat),
          timeLockedSat: Number(d.holdings.timeLockedSat),
          onchainConfirmedSat: Number(d.holdings.onchainConfirmedSat),
          onchainUnconfirmedSat: Number(d.holdings.onchainUnconfirmedSat),
        }
      : null,
    reasons: [...d.reasons],
    sweeps: d.sweeps.map((s) => ({
      txid: s.txid,
      amount: Number(s.amount),
      address: s.address,
      confirmations: s.confirmations,
    })),
    checkedAt: d.checkedAt?.toISOString() ?? null,
    removedAt: d.removedAt?.toISOString() ?? null,
    archiveExpiresAt: d.archivePurgedAt ? null : (d.archiveExpiresAt?.toISOString() ?? null),
  };
}

/** Registers the hosted-node routes; `publicUrl` is the base of each node's `endpoint`. */
export function registerNodeRoutes(
  app: FastifyInstance,
  hosting: HostingService,
  publicUrl: () => string,
): void {
  const wire = (view: HostedNodeView, seed?: readonly string[]): HostedNodeResponse => {
    const r = view.record;
    return {
      nodeId: r.id,
      alias: r.alias,
      color: r.color,
      status: r.state,
      pubkey: r.pubkey,
      endpoint: `${publicUrl()}/nodes/${r.id}`,
      grpcHost: r.publicRpcAddress,
      p2pHost: r.p2pAddress,
      macaroon: view.macaroon,
      macaroonRootKeyId: view.macaroonRootKeyId?.toString() ?? null,
      readOnlyMacaroon: view.readOnlyMacaroon,
      readOnlyMacaroonRootKeyId: view.readOnlyMacaroonRootKeyId?.toString() ?? null,
      tlsCert: r.tlsCert,
      lndconnect:
        r.publicRpcAddress && r.tlsCert && view.macaroon
          ? lndconnectUri(r.publicRpcAddress, r.tlsCert, view.macaroon)
          : null,
      ...(seed ? { seed: [...seed] } : {}),
      channels: view.channels.map((c) => ({ id: c.id, status: c.status, capacity: Number(c.capacity) })),
      paidUntil: r.paidUntil?.toISOString() ?? null,
      failure: r.failure,
      deletion: view.deletion ? deletionWire(view.deletion) : null,
      createdAt: r.createdAt.toISOString(),
    };
  };
  const quoteWire = (q: HostedNodeQuote) => ({
    monthlyFee: Number(q.monthlyFee),
    transactionFee: Number(q.transactionFee),
    channels: q.channels.map((c) => ({
      capacity: Number(c.capacity),
      openingFee: Number(c.openingFee),
      push: Number(c.push),
      networkFee: Number(c.networkFee),
      total: Number(c.total),
    })),
    total: Number(q.total),
  });

  app.post<{ Body: HostedNodeConfigBody }>(
    '/v1/nodes/quote',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesQuote',
        summary: 'Price a hosted node before creating it',
        description:
          'The first month of hosting and each initial channel, itemised as `POST /v1/channels/quote` does. Creating the node with the same body charges `total`.',
        tags,
        body: HostedNodeConfigBody,
        response: { 200: HostedNodeQuoteResponse, ...errors },
      },
    },
    async (req) => quoteWire(await hosting.quote(hosting.parse(req.body))),
  );

  app.post<{ Body: HostedNodeConfigBody; Headers: { 'idempotency-key'?: string } }>(
    '/v1/nodes',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'createHostedNode',
        summary: 'Create a hosted Lightning node',
        description:
          "Creates an isolated LND for the tenant (the spec's `HostedNodeConfig` -> `HostedNode`): charges the first month, creates the wallet, bakes the customer's macaroons, opens the initial inbound channels from the LSP (each charged as a channel sale) and turns autopilot on. The answer holds the wallet seed. With an `Idempotency-Key`, a repeat of the same request (an answer lost) answers 200 with the same node, charged once, and shows the seed again until `POST /v1/nodes/:id/seed/acknowledge` or `hosting.seedRedeliverySeconds` (24 h); another body under the key is 422. A creation cut short by a crash is finished (or failed and refunded) by the keeper.",
        tags,
        body: HostedNodeConfigBody,
        headers: IdempotencyHeaders,
        response: { 200: HostedNodeResponse, 201: HostedNodeResponse, ...errors },
      },
    },
    async (req, reply) => {
      const { view, seed, replayed } = await hosting.create(
        principalOf(req).tenantId,
        hosting.parse(req.body),
        req.headers['idempotency-key'],
      );
      return reply.code(replayed ? 200 : 201).send(wire(view, seed));
    },
  );

  app.post<{ Params: NodeParams }>(
    '/v1/nodes/:id/seed/acknowledge',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesAcknowledgeSeed',
        summary: 'Say the seed is safe: it is never shown again',
        description:
          'After this, a repeated creation request no longer carries the seed. Acknowledging twice is fine.',
        tags,
        params: IdParams,
        response: { 200: HostedNodeResponse, ...errors },
      },
    },
    async (req) => wire(await hosting.acknowledgeSeed(principalOf(req).tenantId, req.params.id)),
  );

  app.get<{ Querystring: HostedNodesQuery }>(
    '/v1/nodes',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesList',
        summary: "The tenant's hosted nodes, newest first, a page at a time",
        description:
          "Deleted nodes are left out. Pass the answer's `nextCursor` as `cursor` for the next (older) page; it is null on the last one. Nodes created meanwhile never shift a page.",
        tags,
        querystring: HostedNodesQuery,
        response: { 200: HostedNodesResponse, ...errors },
      },
    },
    async (req) => {
      const page = await hosting.list(principalOf(req).tenantId, pageRequest(req.query, LIST_PAGE));
      return { nodes: page.items.map((v) => wire(v)), nextCursor: nextCursor(page.next) };
    },
  );

  app.get<{ Params: NodeParams }>(
    '/v1/nodes/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesGet',
        summary: 'One hosted node',
        description:
          'Deleted nodes are still answered (status `deleted`, with their deletion: sweeps, archive) until their archive is purged.',
        tags,
        params: IdParams,
        response: { 200: HostedNodeResponse, ...errors },
      },
    },
    async (req) => {
      const view = await hosting.get(principalOf(req).tenantId, req.params.id);
      const [process, watchtower] = await Promise.all([
        hosting.processOf(view.record.id),
        hosting.watchtower.status(view.record, AbortSignal.timeout(3_000)),
      ]);
      return {
        ...wire(view),
        ...(process !== undefined ? { process } : {}),
        ...(watchtower !== undefined ? { watchtower } : {}),
      };
    },
  );

  app.post<{ Params: NodeParams }>(
    '/v1/nodes/:id/stop',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesStop',
        summary: 'Stop a node (data kept; still billed)',
        description:
          'Refused (409, `details.htlcsInFlight`) while the node has HTLCs in flight on its open or force-closed channels, or a force close still waiting for its confirmations (`details.unconfirmedForceCloses`: LND lists its HTLCs only then): offline past their time-out it would lose them; stop it once they have resolved. A suspended node cannot be stopped (409).',
        tags,
        params: IdParams,
        response: { 200: HostedNodeResponse, ...errors },
      },
    },
    async (req) => wire(await hosting.stop(principalOf(req).tenantId, req.params.id)),
  );

  app.post<{ Params: NodeParams }>(
    '/v1/nodes/:id/start',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesStart',
        summary: 'Start a stopped node (and unlock it)',
        tags,
        params: IdParams,
        response: { 200: HostedNodeResponse, ...errors },
      },
    },
    async (req) => wire(await hosting.start(principalOf(req).tenantId, req.params.id)),
  );

  app.delete<{ Params: NodeParams; Body: DeleteNodeBody | undefined }>(
    '/v1/nodes/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesRemove',
        summary: 'Delete a node, never destroying its coins',
        description:
          "Looks at what the node holds, in any state (a stopped node is started to look, no month charged, and stopped again; a suspended one runs already; one that cannot start is not deleted: 503). Refused (409 naming what it holds) while it holds any channel (open, opening, closing, force-closed) or coin (confirmed or not), unless `closeChannels` is true and a `sweepAddress` of the nodes' network is given (400 naming `sweepAddress` otherwise, nothing changed): then it shows `deleting` while the keeper closes every channel (cooperatively, force-closing after `hosting.deletion.forceCloseAfterSeconds`), waits for every close and time lock, sweeps everything to the address and waits for the sweep's confirmations; only then is it removed. Its data is kept in an encrypted archive for `hosting.archiveRetentionSeconds`. Asked again while deleting, it changes `closeChannels` and `sweepAddress`. The node, its deletion (`deletion`: holdings, reasons, sweeps) and its backup stay readable throughout.",
        tags,
        params: IdParams,
        body: DeleteNodeBody,
        response: { 200: HostedNodeResponse, ...errors },
      },
    },
    async (req) => wire(await hosting.remove(principalOf(req).tenantId, req.params.id, req.body ?? {})),
  );

  app.get<{ Params: NodeParams }>(
    '/v1/nodes/:id/backup',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesBackup',
        summary: "The node's latest static channel backup",
        tags,
        params: IdParams,
        response: { 200: NodeBackupResponse, ...errors },
      },
    },
    async (req) => {
      const b = await hosting.backup(principalOf(req).tenantId, req.params.id);
      return { ...b, updatedAt: b.updatedAt.toISOString() };
    },
  );
}
