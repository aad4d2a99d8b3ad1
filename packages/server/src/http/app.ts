/**
 * The HTTP plumbing every route shares: Fastify with our validators, error bodies, 404 and the
 * OpenAPI document. The routes are registered by the composition (`app/build-app.ts`).
 */
import { ErrorCode, errorMappings, isLspError } from '@blgv/core';
import { isDatabaseBusy, isDatabaseUnavailable } from '@blgv/store';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { refuseNulCharacters } from './nul-characters.ts';
import { validationError } from './validation-errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A JSON body's exact bytes (signatures cover them). */
    rawBody?: Buffer;
  }
}

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

/** The OpenAPI security scheme of signed requests (`docs/api.md`, "Signing requests"). */
export const SIGNED_REQUEST_SCHEME = 'signedRequest';

/**
 * A Fastify application with our plumbing and no routes: request validation, the error body
 * every failure is answered with, the 404 for unknown routes, and the OpenAPI document at
 * `/docs` (each operation's security requirement from its route's `config.auth`). A route
 * whose body is optional (a DELETE, say) needs no body at all: a request without one is
 * validated as `{}`. Serves HTTPS with `tls`.
 */
export function httpApp(deps: HttpAppDeps): FastifyInstance {
  const options = {
    loggerInstance: deps.log.child({ sub: 'http' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    schemaErrorFormatter: validationError,
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
  // JSON bodies keep their bytes; an empty one is no body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    req.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    parseJson(req, raw.toString('utf8'), done);
  });
  // No body (none sent, or an empty one) is an empty object: a route whose body has no
  // required property then needs none, and one that has them names what is missing.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.routeOptions.schema?.body) req.body = {};
  });
  refuseNulCharacters(app);
  // Before @fastify/swagger reads the routes: signed routes require the signature, others none.
  app.addHook('onRoute', (route) => {
    if (!route.schema) return;
    route.schema = {
      ...route.schema,
      security: route.config?.auth ? [{ [SIGNED_REQUEST_SCHEME]: [] }] : [],
    };
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isLspError(err)) {
      return reply.code(errorMappings[err.code].http).send({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
    }
    // The database is down or the connection was cut: the caller may retry, it is not a bug.
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err }, 'the database cannot be reached');
      return reply.code(errorMappings[ErrorCode.DatabaseUnavailable].http).send({
        error: { code: ErrorCode.DatabaseUnavailable, message: 'the database cannot be reached; retry' },
      });
    }
    // It answered but gave up on the work (a statement timeout, a conflict): nothing was kept.
    if (isDatabaseBusy(err)) {
      req.log.warn({ err }, 'the database gave up on the request');
      return reply.code(errorMappings[ErrorCode.DatabaseBusy].http).send({
        error: {
          code: ErrorCode.DatabaseBusy,
          message: 'the database did not complete the request in time or it collided with other work; retry',
        },
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
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      // Relative: the document is served by the server it describes, wherever it is reached.
      servers: [{ url: '/', description: 'the server serving this document' }],
      components: {
        securitySchemes: {
          [SIGNED_REQUEST_SCHEME]: {
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
