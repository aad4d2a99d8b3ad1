/**
 * `GET /metrics` for Prometheus, served only when `monitoring.prometheusToken` is configured
 * (without it there is no such route: 404). Prometheus sends the token as a bearer token; the
 * route is outside the signed-request scheme. A missing or wrong token is a 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, LspError } from '@blgv/core';
import type { Database } from '@blgv/store';
import type { FastifyInstance } from 'fastify';
import type { CoinStats } from '../funding/coin-supply.ts';
import type { JobStatus } from '../jobs/job-runner.ts';
import { Prometheus } from './prometheus.ts';

/** What `/metrics` needs from the app. */
export interface PrometheusRouteDeps {
  readonly database: Database;
  readonly services: {
    /** The bearer token; no `/metrics` without one. */
    readonly prometheusToken: string | undefined;
    readonly jobs: { status(): JobStatus[] };
    readonly funder: { coinStats(): CoinStats };
  };
}

/**
 * With a token configured: counts the app's requests from here on (call it before the node
 * proxy is installed) and registers `GET /metrics`. Returns the exporter, if any.
 */
export function installPrometheus(app: FastifyInstance, deps: PrometheusRouteDeps): Prometheus | undefined {
  const token = deps.services.prometheusToken;
  if (!token) return undefined;
  const prometheus = new Prometheus({
    database: deps.database,
    jobs: deps.services.jobs,
    funder: deps.services.funder,
  });
  prometheus.http.install(app);
  app.get(
    '/metrics',
    // Text, not JSON: left out of the OpenAPI document (docs/prometheus.md describes it).
    { schema: { hide: true } },
    async (req, reply) => {
      if (!bearerMatches(req.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new LspError(ErrorCode.Unauthorized, 'a valid bearer token is needed for /metrics');
      }
      const text = await prometheus.scrape();
      return reply.header('content-type', prometheus.contentType).send(text);
    },
  );
  return prometheus;
}

/** Whether `Authorization` carries `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = match?.[1];
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}
