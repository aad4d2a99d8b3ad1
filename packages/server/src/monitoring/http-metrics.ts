/**
 * The HTTP server's requests as Prometheus series: a count and a latency histogram by method,
 * route pattern (`/v1/nodes/:id/metrics`, never the raw URL, so ids do not make new series) and
 * status. Measured from the request's arrival to its response's end, including requests the node
 * proxy hands on and requests that match no route.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The route label of requests that match no route. */
export const UNMATCHED_ROUTE = 'unmatched';
/** The route label of requests to hosted nodes' endpoints (answered by the node proxy). */
export const NODE_PROXY_ROUTE = '/nodes/:id/*';

type Labels = 'method' | 'route' | 'status';

/** The request count and latency histogram of one registry. */
export class HttpMetrics {
  readonly #requests: Counter<Labels>;
  readonly #duration: Histogram<Labels>;

  constructor(registry: Registry) {
    const labelNames = ['method', 'route', 'status'] as const;
    this.#requests = new Counter({
      name: 'lsp_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames,
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'lsp_http_request_duration_seconds',
      help: 'HTTP request latency, arrival to the end of the response, by method, route pattern and status',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  /**
   * Counts every request of `app` from here on. Install it before any hook that may answer a
   * request itself (the node proxy), so those are counted too.
   */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      const started = process.hrtime.bigint();
      reply.raw.once('close', () => {
        const labels = {
          method: req.method,
          route: routeOf(req),
          status: String(reply.raw.statusCode),
        };
        this.#requests.inc(labels);
        this.#duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      });
    });
  }
}

/** The route pattern a request matched. */
export function routeOf(req: Pick<FastifyRequest, 'url' | 'routeOptions'>): string {
  const route = req.routeOptions.url;
  if (route) return route;
  return req.url.startsWith('/nodes/') ? NODE_PROXY_ROUTE : UNMATCHED_ROUTE;
}
