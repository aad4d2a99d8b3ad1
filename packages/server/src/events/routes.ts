/**
 * `GET /v1/events`: every state transition, in order, from a cursor.
 */
import { EventsQuery, EventsResponse } from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { EventLog } from './event-log.ts';

const errors = errorResponses(400, 401);
const DEFAULT_LIMIT = 100;

/** Registers the event routes. */
export function registerEventRoutes(app: FastifyInstance, services: { readonly events: EventLog }): void {
  app.get<{ Querystring: EventsQuery }>(
    '/v1/events',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'listEvents',
        summary: 'State transitions in order, from a cursor',
        description:
          "One event per transition of every machine (channel requests, LSPS1 orders and refunds, JIT channels, fundings, reservations, payments, top-ups, liquidity purchases) and one per ledger entry, written in the transaction that made it. A tenant sees its own subjects' events; an admin sees all. Page with `after` = the answer's `next`.",
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: EventsResponse, ...errors },
      },
    },
    async (req) => {
      const principal = principalOf(req);
      const after = req.query.after === undefined ? undefined : BigInt(req.query.after);
      const events = await services.events.read({
        tenantId: principal.scope === 'admin' ? undefined : principal.tenantId,
        after,
        limit: req.query.limit ?? DEFAULT_LIMIT,
        subjectKind: req.query.subjectKind,
        subjectId: req.query.subjectId,
      });
      return {
        events: events.map((e) => ({
          cursor: e.position.toString(),
          at: e.at.toISOString(),
          subjectKind: e.subjectKind,
          subjectId: e.subjectId,
          ...(e.tenantId ? { tenantId: e.tenantId } : {}),
          state: e.state,
          facts: e.facts,
        })),
        next: (events.at(-1)?.position ?? after ?? 0n).toString(),
      };
    },
  );
}
