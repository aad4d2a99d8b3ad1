/**
 * The signed API's request limit per tenant: at most `max` requests per `windowSeconds` for all
 * of a tenant's keys together, counted after the signature is checked (a request that fails
 * authentication is not counted, and answers 401 as before; one refused as malformed is), on
 * every signed route. A request past it is refused before it is validated or handled: `429 rate_limited`, with `Retry-After` and
 * `details.retryAfterSeconds`; each answer carries `x-ratelimit-limit`, `-remaining` and
 * `-reset`. Admin keys (the operator's own tools) and unsigned routes (health, the public
 * wrapped-invoice route with its own limits, `/metrics` with its token) are not counted.
 *
 * Counted in this process's memory (`@fastify/rate-limit`, a fixed window per tenant): with
 * several replicas behind a balancer, each allows `max`. A tenant's first refused request in a
 * window is logged (a warning naming the tenant), the rest of that window's refusals are not.
 */
import { ErrorCode, LspError } from '@blgv/core';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';

/** The limit (config `auth.rateLimit`); `max` 0 turns it off. */
export interface ApiRateLimit {
  readonly max: number;
  readonly windowSeconds: number;
}

/** Tenants counted at once before the least recently seen is forgotten (its window with it). */
const TENANTS_KEPT = 100_000;

/** Installs the limit on `api`'s routes registered after it (await it before them). */
export async function installRateLimit(api: FastifyInstance, limit: ApiRateLimit): Promise<void> {
  if (limit.max === 0) return;
  const logged = new WindowLog(limit.windowSeconds * 1000);
  await api.register(rateLimit, {
    global: true,
    // A route's own `preValidation` hook: after the signature hook of the routes' instance
    // (so the key is the signer's tenant), before the body is validated (a request refused as
    // malformed costs a signature check and a nonce write too, and is counted).
    hook: 'preValidation',
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    cache: TENANTS_KEPT,
    allowList: (req) => req.principal === undefined || req.principal.scope === 'admin',
    keyGenerator: (req) => req.principal?.tenantId ?? req.ip,
    onExceeded: (req, tenantId) => {
      if (!logged.firstInWindow(tenantId, Date.now())) return;
      req.log.warn(
        { tenantId, max: limit.max, windowSeconds: limit.windowSeconds },
        "a tenant's requests passed its request limit; refused until its window ends",
      );
    },
    errorResponseBuilder: (_req, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new LspError(
        ErrorCode.RateLimited,
        `at most ${context.max} requests per ${limit.windowSeconds} s for a tenant's keys together; retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    },
  });
}

/** Which tenants' refusals were logged in their current window (so each window logs one). */
class WindowLog {
  readonly #windowMs: number;
  /** Tenant -> when its logged window ends. */
  readonly #until = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True for a tenant's first refusal at `now` since its last logged one's window ended. */
  firstInWindow(tenantId: string, now: number): boolean {
    if ((this.#until.get(tenantId) ?? 0) > now) return false;
    if (this.#until.size >= TENANTS_KEPT)
      for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key);
    this.#until.set(tenantId, now + this.#windowMs);
    return true;
  }
}
