/**
 * `GET /healthz`: whether the LSP can reach its Lightning node and its database.
 */
import type { NodePort } from '@blgv/core';
import type { Database } from '@blgv/store';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../error-message.ts';

const HEALTH_TIMEOUT_MS = 3_000;

const Check = Type.Object({
  ok: Type.Boolean(),
  error: Type.Optional(Type.String({ description: 'why the check failed' })),
});

/** The response schema of `GET /healthz` (200 when healthy, 503 otherwise). */
export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  lightning: Type.Intersect([
    Check,
    Type.Object({
      pubkey: Type.Optional(Type.String()),
      blockHeight: Type.Optional(Type.Integer()),
      syncedToChain: Type.Optional(Type.Boolean()),
    }),
  ]),
  database: Type.Intersect([Check, Type.Object({ kind: Type.String() })]),
});

/** Registers the health route. */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { lightning: Pick<NodePort, 'getInfo'>; database: Database },
): void {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Reachability of the Lightning node and the database',
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_req, reply) => {
      const signal = AbortSignal.timeout(HEALTH_TIMEOUT_MS);
      const [ln, db] = await Promise.allSettled([deps.lightning.getInfo(signal), deps.database.ping()]);
      const lightning =
        ln.status === 'fulfilled'
          ? {
              ok: true,
              pubkey: ln.value.pubkey,
              blockHeight: ln.value.blockHeight,
              syncedToChain: ln.value.syncedToChain,
            }
          : { ok: false, error: errorMessage(ln.reason) };
      const database =
        db.status === 'fulfilled'
          ? { ok: true, kind: deps.database.kind }
          : { ok: false, kind: deps.database.kind, error: errorMessage(db.reason) };
      const ok = lightning.ok && database.ok;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', lightning, database });
    },
  );
}
