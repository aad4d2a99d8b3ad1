/**
 * Operator routes (admin keys only): tenants and their API keys, the audit, and the records
 * of JIT channels and liquidity purchases.
 */
import { ErrorCode, LspError, parseScid } from '@blgv/core';
import {
  AdminJitChannelResponse,
  AdminJobsResponse,
  AdminLiquidityPurchaseResponse,
  AuditResponse,
  IdParams,
  KeyBody,
  KeyResponse,
  TenantBody,
  TenantResponse,
} from '@blgv/protocol';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/error-responses.ts';
import { jitChannelToWire, purchaseToWire } from '../http/wire.ts';
import { registerRebalanceRoutes, registerRoutingPolicyRoutes } from '../routing/policy-routes.ts';
import type { LspServices } from './lsp-services.ts';

const errors = errorResponses(400, 401, 403, 404, 409);

/** Registers the admin routes. */
export function registerAdminRoutes(app: FastifyInstance, services: LspServices): void {
  app.post<{ Body: Static<typeof TenantBody> }>(
    '/v1/admin/tenants',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminCreateTenant',
        summary: 'Create a tenant',
        tags: ['admin'],
        body: TenantBody,
        response: { 201: TenantResponse, ...errors },
      },
    },
    async (req, reply) => {
      const t = await services.tenants.create(req.body.name);
      return reply.code(201).send({ id: t.id, name: t.name, createdAt: t.createdAt.toISOString() });
    },
  );

  app.post<{ Body: Static<typeof KeyBody> }>(
    '/v1/admin/keys',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminCreateKey',
        summary: 'Create an API key (the secret is shown once)',
        tags: ['admin'],
        body: KeyBody,
        response: { 201: KeyResponse, ...errors },
      },
    },
    async (req, reply) => {
      if (!(await services.tenants.get(req.body.tenantId)))
        throw new LspError(ErrorCode.NotFound, `no tenant ${req.body.tenantId}`);
      return reply
        .code(201)
        .send(await services.apiKeys.create(req.body.tenantId, req.body.scope, req.body.label ?? ''));
    },
  );

  app.delete<{ Params: { keyId: string } }>(
    '/v1/admin/keys/:keyId',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminRevokeKey',
        summary: 'Revoke an API key',
        tags: ['admin'],
        params: Type.Object({ keyId: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      if (!(await services.apiKeys.revoke(req.params.keyId)))
        throw new LspError(ErrorCode.NotFound, `no active key ${req.params.keyId}`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/admin/audit',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminAudit',
        summary: 'Reconcile the ledger with LND',
        description:
          'Checks every charged channel against its LND channel (capacity, push), every refund against the absence of one, every credited top-up against a settled invoice, every payment against LND, and every running balance against its ledger. 200 either way; `clean` says whether anything disagrees, `discrepancies` lists what.',
        tags: ['admin'],
        response: { 200: AuditResponse, ...errors },
      },
    },
    () => services.audit(),
  );

  app.get(
    '/v1/admin/jobs',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminJobs',
        summary: 'Background jobs: which replica runs each, and how they fare in this one',
        tags: ['admin'],
        response: { 200: AdminJobsResponse, ...errors },
      },
    },
    async () => {
      const leases = new Map((await services.jobs.leases()).map((l) => [l.name, l]));
      return {
        replica: services.jobs.holder,
        jobs: services.jobs.status().map((j) => {
          const lease = leases.get(j.name);
          return {
            name: j.name,
            ...(lease
              ? {
                  holder: lease.holder,
                  leaseExpiresAt: lease.expiresAt.toISOString(),
                  leaseToken: lease.token.toString(),
                }
              : {}),
            runningHere: j.running,
            restartsHere: j.restarts,
            ...(j.lastError ? { lastErrorHere: j.lastError } : {}),
            refusedWritesHere: j.refusedWrites,
            leaseLossesHere: j.leaseLosses,
          };
        }),
      };
    },
  );

  app.get<{ Params: { scid: string } }>(
    '/v1/admin/jit-channels/:scid',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminJitChannel',
        summary: 'One LSPS2 JIT channel, by the scid `lsps2.buy` handed out',
        tags: ['admin'],
        params: Type.Object(
          { scid: Type.String({ pattern: '^([0-9]{1,8}x[0-9]{1,8}x[0-9]{1,5}|[0-9]{1,20})$' }) },
          { additionalProperties: false },
        ),
        response: { 200: AdminJitChannelResponse, ...errors },
      },
    },
    async (req) => {
      const scid = parseScidParam(req.params.scid);
      const r = await services.records.jitChannel(scid);
      if (!r) throw new LspError(ErrorCode.NotFound, `no JIT channel ${req.params.scid}`);
      return jitChannelToWire(r);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/admin/liquidity/purchases/:id',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'adminLiquidityPurchase',
        summary: 'One purchase of liquidity from the upstream LSP',
        tags: ['admin'],
        params: IdParams,
        response: { 200: AdminLiquidityPurchaseResponse, ...errors },
      },
    },
    async (req) => {
      const r = await services.records.purchase(req.params.id);
      if (!r) throw new LspError(ErrorCode.NotFound, `no liquidity purchase ${req.params.id}`);
      return purchaseToWire(r);
    },
  );

  registerRoutingPolicyRoutes(app, services.routingFees);
  registerRebalanceRoutes(app, services.records.rebalances);
}

/** A scid from the path, or a 400 naming it when it is out of range. */
function parseScidParam(value: string): bigint {
  try {
    return parseScid(value);
  } catch {
    throw new LspError(ErrorCode.InvalidInput, `not a short channel id: ${value}`, { field: 'scid' });
  }
}
