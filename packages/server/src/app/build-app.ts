/**
 * The HTTP application: the shared plumbing (`http/app.ts`) with every capability's routes
 * registered. Built from its dependencies, so tests pass real ones and nothing is a
 * module-level singleton.
 */
import type { LightningBackend } from '@blgv/core';
import type { Database } from '@blgv/store';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAccountRoutes } from '../accounts/routes.ts';
import { registerChannelRoutes } from '../channels/routes.ts';
import { registerEventRoutes } from '../events/routes.ts';
import { registerNodeMacaroonRoutes } from '../hosting/macaroon-routes.ts';
import { installNodeProxy } from '../hosting/node-proxy.ts';
import { catchUpPayments } from '../hosting/payment-record.ts';
import { registerNodeRoutes } from '../hosting/routes.ts';
import { httpApp, listeningUrl } from '../http/app.ts';
import { installAuth } from '../http/auth-hook.ts';
import { type ApiRateLimit, installRateLimit } from '../http/rate-limit.ts';
import { registerLiquidityRoutes } from '../liquidity/routes.ts';
import { registerLspsRoutes } from '../lsps0/http-transport.ts';
import { registerLsps5AdminRoutes } from '../lsps5/admin-routes.ts';
import { registerDashboardRoutes } from '../monitoring/dashboard-routes.ts';
import { registerHealthRoutes } from '../monitoring/health-routes.ts';
import { registerMetricsRoutes } from '../monitoring/metrics-routes.ts';
import { installPrometheus } from '../monitoring/prometheus-routes.ts';
import { registerPaymentRoutes } from '../payments/routes.ts';
import { registerRoutingRoutes } from '../routing/routes.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import { registerWrappedRoutes } from '../wrapped/routes.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import type { LspServices } from './lsp-services.ts';

/** What the HTTP application needs. */
export interface AppDeps {
  readonly log: Logger;
  readonly lightning: LightningBackend;
  readonly database: Database;
  readonly services: LspServices;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** The signed API's request limit per tenant (config `auth.rateLimit`); none when absent. */
  readonly rateLimit?: ApiRateLimit;
}

/** Builds the Fastify application (not yet listening); await `app.ready()` before use. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = httpApp({ log: deps.log, tls: deps.tls });
  registerDashboardRoutes(app);
  // Before the node proxy, so that the requests it answers are counted too.
  installPrometheus(app, deps);
  const hosting = deps.services.hosting;
  if (hosting)
    installNodeProxy(app, (id) => hosting.repo.get(id), {
      beforeErasingPayments: (node) =>
        catchUpPayments(deps.database, node.id, hosting.nodes.backend(node), {
          full: true,
          signal: AbortSignal.timeout(30_000),
        }),
    });
  const publicUrl = () => deps.services.publicUrl ?? listeningUrl(app);
  void app.register(async (api) => {
    installAuth(api, deps.services.apiKeys);
    if (deps.rateLimit) await installRateLimit(api, deps.rateLimit);
    registerHealthRoutes(api, deps);
    registerChannelRoutes(api, deps.services);
    registerAccountRoutes(api, deps.services);
    registerLiquidityRoutes(api, deps.services);
    registerPaymentRoutes(api, deps.services);
    registerRoutingRoutes(api, deps.services);
    registerAdminRoutes(api, deps.services);
    registerEventRoutes(api, deps.services);
    registerWebhookRoutes(api, deps.services.webhooks);
    registerLspsRoutes(api, deps.services.lsps);
    if (deps.services.wrapped)
      registerWrappedRoutes(api, { wrapped: deps.services.wrapped.service, ...deps.services.wrapped.routes });
    registerLsps5AdminRoutes(api, deps.services.lsps5Notifier);
    if (hosting) registerNodeRoutes(api, hosting, publicUrl);
    if (hosting) registerNodeMacaroonRoutes(api, hosting.macaroons);
    registerMetricsRoutes(api, deps.services.metrics, hosting);
  });
  return app;
}
