/**
 * Payment routing over REST: quotes (`POST /v1/routing/quote`).
 */
import { RoutingQuoteBody, RoutingQuoteResponse } from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { QuoteService } from './quote-service.ts';

const errors = errorResponses(400, 401, 422, 429, 503, 504);

/** Registers the routing routes. */
export function registerRoutingRoutes(
  app: FastifyInstance,
  services: { readonly quotes: QuoteService },
): void {
  app.post<{ Body: RoutingQuoteBody }>(
    '/v1/routing/quote',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'quotePayment',
        summary: 'The expected routing fee, time lock, parts and odds of a payment, before paying it',
        description:
          "Give a BOLT11 `invoice` (with `amountSat` when it has no amount), or a `destination` and `amountSat`. From LND's graph by default (`EstimateRouteFee` with destination and amount); with `probe: true`, LND probes the invoice within `routing.quotes.probeTimeoutSeconds` (an invoice whose route hint ends at another LSP is probed to that LSP, the hint's fee added). Kept for `routing.quotes.cacheSeconds` per tenant and request, at most `routing.quotes.maxPerWindow` per tenant per window (429 past it). Touches no balance.",
        tags: ['routing'],
        body: RoutingQuoteBody,
        response: { 200: RoutingQuoteResponse, ...errors },
      },
    },
    async (req) => {
      const q = await services.quotes.quote(principalOf(req).tenantId, req.body);
      return {
        mode: q.mode,
        destination: q.destination,
        amountMsat: q.amount.toString(),
        feeMsat: q.fee.toString(),
        feeSat: Number(q.feeSat),
        timeLockDelta: q.timeLockDelta,
        parts: q.parts,
        successProbability: q.successProbability,
        cached: q.cached,
      };
    },
  );
}
