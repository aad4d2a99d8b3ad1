/**
 * Signed-request authentication for Fastify: checks the signature (over the body's raw bytes,
 * which `httpApp` keeps) before validation on every route whose config asks for `auth`, so an
 * unauthenticated caller learns nothing from validation errors.
 */
import { ErrorCode, LspError } from '@blgv/core';
import type { FastifyInstance } from 'fastify';
import { type ApiKeys, nonceReused, type Principal } from '../auth/api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who signed the request (on authenticated routes). */
    principal?: Principal;
    /** For read-only requests: resolves whether the nonce was new; checked before answering. */
    nonceIsNew?: Promise<boolean>;
  }
  interface FastifyContextConfig {
    /** `tenant`: any valid key; `admin`: a key with the admin scope. */
    auth?: 'tenant' | 'admin';
  }
}

const EMPTY = Buffer.alloc(0);

/** Installs the authentication hook. */
export function installAuth(app: FastifyInstance, apiKeys: ApiKeys): void {
  app.addHook('preValidation', async (req) => {
    const need = req.routeOptions.config.auth;
    if (!need) return;
    const { principal, nonceIsNew } = await apiKeys.verify({
      headers: req.headers,
      method: req.method,
      url: req.url,
      body: req.rawBody ?? EMPTY,
    });
    // A read-only request may read while its nonce is written; anything else waits for it.
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Heard at once: the check before answering may come after the write failed (the
      // database went away), and a rejection nobody has heard yet would end the process.
      nonceIsNew.catch(() => {});
      req.nonceIsNew = nonceIsNew;
    } else if (!(await nonceIsNew)) throw nonceReused();
    req.principal = principal;
    if (need === 'admin' && principal.scope !== 'admin') {
      throw new LspError(ErrorCode.Forbidden, 'this route needs an admin key');
    }
  });
  // Nothing read under a replayed nonce leaves the server.
  app.addHook('onSend', async (req, reply, payload) => {
    const check = req.nonceIsNew;
    if (!check) return payload;
    req.nonceIsNew = undefined;
    const isNew = await check.catch((e: unknown) => e);
    if (isNew === true) return payload;
    const err =
      isNew === false
        ? nonceReused()
        : new LspError(
            ErrorCode.DatabaseUnavailable,
            'could not record the request nonce; retry',
            undefined,
            { cause: isNew },
          );
    if (isNew !== false) req.log.error({ err: isNew }, 'recording a nonce failed');
    reply.code(err.httpStatus).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify({ error: { code: err.code, message: err.message } });
  });
}

/** The principal of an authenticated request (a bug if the route is not authenticated). */
export function principalOf(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new Error('route is not authenticated');
  return req.principal;
}
