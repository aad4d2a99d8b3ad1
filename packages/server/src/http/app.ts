/**
 * The HTTP application: Fastify with our error handling and every route registered. Built from
 * its dependencies, so tests pass real ones and nothing is a module-level singleton.
 */
import { errorMappings, isLspError, type LightningBackend } from '@blgv/core';
import type { Database } from '@blgv/store';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAccountRoutes } from '../accounts/routes.ts';
import { registerAdminRoutes } from '../app/admin-routes.ts';
import { registerChannelRoutes } from '../channels/routes.ts';
import { registerEventRoutes } from '../events/routes.ts';
import { registerNodeMacaroonRoutes } from '../hosting/macaroon-routes.ts';
import { installNodeProxy } from '../hosting/node-proxy.ts';
import { registerNodeRoutes } from '../hosting/routes.ts';
import { registerLiquidityRoutes } from '../liquidity/routes.ts';
import { registerLspsRoutes } from '../lsps0/http-transport.ts';
import { registerLsps5AdminRoutes } from '../lsps5/admin-routes.ts';
import { registerDashboardRoutes } from '../monitoring/dashboard-routes.ts';
import { registerHealthRoutes } from '../monitoring/health-routes.ts';
import { registerMetricsRoutes } from '../monitoring/metrics-routes.ts';
import { installPrometheus } from '../monitoring/prometheus-routes.ts';
import { registerPaymentRoutes } from '../payments/routes.ts';
import type { LspServices } from '../services.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import { installAuth } from './auth-hook.ts';

/** What the HTTP application needs. */
export interface AppDeps {
  readonly log: Logger;
  readonly lightning: LightningBackend;
  readonly database: Database;
  readonly services: LspServices;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

/** An Ajv for request validation; `coerce` reads numbers and booleans from text. */
function validatorAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce, useDefaults: true, removeAdditional: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** Largest request body accepted. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the Fastify application (not yet listening); await `app.ready()` before use. */
export function buildApp(deps: AppDeps): FastifyInstance {
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
  registerDashboardRoutes(app);
  // Before the node proxy, so that the requests it answers are counted too.
  installPrometheus(app, deps);
  const hosting = deps.services.hosting;
  if (hosting) installNodeProxy(app, (id) => hosting.repo.get(id));
  const publicUrl = () => deps.services.publicUrl ?? listeningUrl(app);
  void app.register(async (api) => {
    installAuth(api, deps.services.apiKeys);
    registerHealthRoutes(api, deps);
    registerChannelRoutes(api, deps.services);
    registerAccountRoutes(api, deps.services);
    registerLiquidityRoutes(api, deps.services);
    registerPaymentRoutes(api, deps.services);
    registerAdminRoutes(api, deps.services);
    registerEventRoutes(api, deps.services);
    registerWebhookRoutes(api, deps.services.webhooks);
    registerLspsRoutes(api, deps.services.lsps);
    registerLsps5AdminRoutes(api, deps.services.lsps5Notifier);
    if (hosting) registerNodeRoutes(api, hosting, publicUrl);
    if (hosting) registerNodeMacaroonRoutes(api, hosting.macaroons);
    registerMetricsRoutes(api, deps.services.metrics, hosting);
  });
  return app;
}

/** `http://host:port` of a listening app. */
function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') return 'http://127.0.0.1';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = app.initialConfig.https ? 'https' : 'http';
  return `${scheme}://${host}:${address.port}`;
}
