/**
 * The HTTP plumbing every route shares: Fastify with our validators, error bodies, 404 and the
 * OpenAPI document. The routes are registered by the composition (`app/build-app.ts`).
 */
import { errorMappings, isLspError } from '@blgv/core';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** What {@link httpApp} needs. */
export interface HttpAppDeps {
  readonly log: Logger;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/** An Ajv for request validation; `coerce` reads numbers and booleans from text. */
function validatorAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce, useDefaults: true, removeAdditional: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** Largest request body accepted. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * A Fastify application with our plumbing and no routes: request validation, the error body
 * every failure is answered with, the 404 for unknown routes, and the OpenAPI document at
 * `/docs`. Serves HTTPS with `tls`.
 */
export function httpApp(deps: HttpAppDeps): FastifyInstance {
  const options = {
    loggerInstance: deps.log.child({ sub: 'http' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    ...(deps.tls ? { https: deps.tls } : {}),
  };
  // Fastify types an HTTPS instance apart; routes and hooks are the same, so one type serves.
  const app = Fastify(options as typeof options & { https?: never }) as FastifyInstance;
  // Bodies are JSON and validated as sent; query strings and paths are text, so their numbers
  // and booleans are read from it.
  const bodies = validatorAjv(false);
  const texts = validatorAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'querystring' || httpPart === 'params' ? texts : bodies).compile(schema),
  );
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isLspError(err)) {
      return reply.code(errorMappings[err.code].http).send({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
    }
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    if (status === 500) req.log.error({ err }, 'unhandled error');
    return reply.code(status).send({
      error: {
        code: status === 500 ? 'internal' : 'invalid_input',
        message: status === 500 ? 'internal error' : err.message,
      },
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } }),
  );
  void app.register(swagger, {
    openapi: {
      info: {
        title: 'BLGV LSP API',
        version: '0.1.0',
        description:
          'Signed REST API of the BLGV Lightning Service Provider. See docs/api.md for request signing.',
      },
      components: {
        securitySchemes: {
          signedRequest: {
            type: 'apiKey',
            in: 'header',
            name: 'x-blgv-signature',
            description: 'HMAC-SHA256 request signature with x-blgv-key, x-blgv-timestamp and x-blgv-nonce',
          },
        },
      },
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });
  return app;
}

/** `http://host:port` of a listening app. */
export function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') return 'http://127.0.0.1';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = app.initialConfig.https ? 'https' : 'http';
  return `${scheme}://${host}:${address.port}`;
}
