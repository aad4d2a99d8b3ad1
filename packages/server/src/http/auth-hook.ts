/**
 * Signed-request authentication for Fastify: keeps each JSON body's raw bytes (the signature
 * covers them) and checks the signature before validation on every route whose config asks
 * for `auth`, so an unauthenticated caller learns nothing from validation errors.
 */
import { ErrorCode, LspError } from '@blgv/core';
import type { FastifyInstance } from 'fastify';
import type { ApiKeys, Principal } from '../auth/api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's exact bytes. */
    rawBody?: Buffer;
    /** Who signed the request (on authenticated routes). */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** `tenant`: any valid key; `admin`: a key with the admin scope. */
    auth?: 'tenant' | 'admin';
  }
}

const EMPTY = Buffer.alloc(0);

/** Installs the raw-body JSON parser and the authentication hook. */
export function installAuth(app: FastifyInstance, apiKeys: ApiKeys): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    req.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    parseJson(req, raw.toString('utf8'), done);
  });
  app.addHook('preValidation', async (req) => {
    const need = req.routeOptions.config.auth;
    if (!need) return;
    req.principal = await apiKeys.authenticate({
      headers: req.headers,
      method: req.method,
      url: req.url,
      body: req.rawBody ?? EMPTY,
    });
    if (need === 'admin' && req.principal.scope !== 'admin') {
      throw new LspError(ErrorCode.Forbidden, 'this route needs an admin key');
    }
  });
}

/** The principal of an authenticated request (a bug if the route is not authenticated). */
export function principalOf(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new Error('route is not authenticated');
  return req.principal;
}
