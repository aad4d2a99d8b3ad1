/**
 * The macaroons of a hosted node (`/v1/nodes/:id/macaroons`): bake another one, list them,
 * revoke one. Each customer macaroon has a root key of its own (`hosting/macaroon-keys.ts`);
 * revoking deletes that root key in the node's LND, and nothing else: the LSP's admin macaroon
 * (root key 0) stays. Tenant-scoped: another tenant's node is not found.
 */
import {
  IdParams,
  MacaroonBody,
  MacaroonResponse,
  NodeMacaroonParams,
  NodeMacaroonResponse,
  NodeMacaroonsResponse,
} from '@blgv/protocol';
import type { NodeMacaroonRecord } from '@blgv/store';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { NodeMacaroons } from './macaroon-keys.ts';

const errors = errorResponses(400, 401, 404, 409, 503);
const tags = ['nodes'];

function toWire(m: NodeMacaroonRecord): NodeMacaroonResponse {
  return {
    rootKeyId: m.rootKeyId.toString(),
    kind: m.kind,
    permissions: m.permissions.map((p) => ({ entity: p.entity, action: p.action })),
    createdAt: m.createdAt.toISOString(),
    revokedAt: m.revokedAt?.toISOString() ?? null,
  };
}

/** Registers the macaroon routes of hosted nodes. */
export function registerNodeMacaroonRoutes(app: FastifyInstance, macaroons: NodeMacaroons): void {
  app.post<{ Params: { id: string }; Body: MacaroonBody }>(
    '/v1/nodes/:id/macaroons',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesBakeMacaroon',
        summary: 'Bake another macaroon for the node',
        description:
          "Any subset of the customer macaroon's permissions (docs/hosting.md); `macaroon:*` and `info:write` are never granted. Baked under a root key of its own (`rootKeyId`), so `DELETE /v1/nodes/:id/macaroons/:rootKeyId` revokes it alone. The node must be running (409).",
        tags,
        params: IdParams,
        body: MacaroonBody,
        response: { 201: MacaroonResponse, ...errors },
      },
    },
    async (req, reply) => {
      const baked = await macaroons.bake(principalOf(req).tenantId, req.params.id, req.body.permissions);
      return reply.code(201).send({ macaroon: baked.macaroon, rootKeyId: baked.rootKeyId.toString() });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/nodes/:id/macaroons',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesMacaroons',
        summary: "The node's macaroons",
        description:
          'Every customer macaroon of the node, oldest first: the customer and read-only ones baked at creation and each extra one, with its root key, what it grants, and when it was baked and revoked. Never the macaroon itself.',
        tags,
        params: IdParams,
        response: { 200: NodeMacaroonsResponse, ...errors },
      },
    },
    async (req) => ({
      macaroons: (await macaroons.list(principalOf(req).tenantId, req.params.id)).map(toWire),
    }),
  );

  app.delete<{ Params: NodeMacaroonParams }>(
    '/v1/nodes/:id/macaroons/:rootKeyId',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'nodesRevokeMacaroon',
        summary: 'Revoke one macaroon of the node',
        description:
          "Deletes the macaroon's root key in the node's LND (`DeleteMacaroonID`): from the next call on, LND refuses it (and only it). The LSP's own access is untouched. 400 for `rootKeyId` 0 (the root key of the LSP's admin macaroon), 404 for a root key that is not one of this node's macaroons, 409 when the node is not running. Revoking a revoked macaroon answers it as it is.",
        tags,
        params: NodeMacaroonParams,
        response: { 200: NodeMacaroonResponse, ...errors },
      },
    },
    async (req) =>
      toWire(await macaroons.revoke(principalOf(req).tenantId, req.params.id, req.params.rootKeyId)),
  );
}
