/**
 * Operator routes (admin keys only): tenants and their API keys, and the audit.
 */
import { ErrorCode, LspError } from '@blgv/core';
import { AuditResponse, KeyBody, KeyResponse, TenantBody, TenantResponse } from '@blgv/protocol';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LspServices } from '../services.ts';
import { errorResponses } from './error-responses.ts';

const errors = errorResponses(400, 401, 403, 404, 409);

/** Registers the admin routes. */
export function registerAdminRoutes(app: FastifyInstance, services: LspServices): void {
  app.post<{ Body: Static<typeof TenantBody> }>(
    '/v1/admin/tenants',
    {
      config: { auth: 'admin' },
      schema: {
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
        summary: 'Reconcile the ledger with LND',
        description:
          'Checks every charged channel against its LND channel (capacity, push), every refund against the absence of one, every credited top-up against a settled invoice, every payment against LND, and every running balance against its ledger. 200 either way; `clean` says whether anything disagrees, `discrepancies` lists what.',
        tags: ['admin'],
        response: { 200: AuditResponse, ...errors },
      },
    },
    () => services.audit(),
  );
}
