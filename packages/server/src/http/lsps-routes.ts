/**
 * LSPS over HTTP: `POST /lsps` carries one LSPS0 JSON-RPC request, signed like every REST
 * request; the caller is the tenant of the key.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LspsRouter } from '../lsps/lsps-router.ts';
import { principalOf } from './auth-hook.ts';

/** Registers `POST /lsps`. */
export function registerLspsRoutes(app: FastifyInstance, router: LspsRouter): void {
  app.post(
    '/lsps',
    {
      config: { auth: 'tenant' },
      schema: {
        summary:
          'LSPS0 JSON-RPC over HTTP (lsps0.list_protocols, lsps1.get_info, lsps1.create_order, lsps1.get_order)',
        description:
          'Always 200 with a JSON-RPC response; errors carry the LSPS codes. Over HTTP, lsps1.create_order takes client_node_pubkey (and client_node_host) naming the node to open to.',
        tags: ['lsps'],
        response: { 200: Type.Unknown() },
      },
    },
    async (req) =>
      router.handle(
        { kind: 'tenant', tenantId: principalOf(req).tenantId },
        (req.rawBody ?? Buffer.alloc(0)).toString('utf8'),
      ),
  );
}
