/**
 * LSPS over HTTP: `POST /lsps` carries one LSPS0 JSON-RPC request, signed like every REST
 * request; the caller is the tenant of the key. The body is handed to the same router as peer
 * messages, as it came: whatever it holds (not JSON, a batch, any content type), the answer is
 * the JSON-RPC response the peer transport would send (a parse error included), with HTTP 200; a
 * notification (no `id`) gets 204 and no body. A request that is not signed is 401, as on every
 * signed route.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { LspsRouter } from './lsps-router.ts';

/** Registers `POST /lsps`. */
export function registerLspsRoutes(app: FastifyInstance, router: LspsRouter): void {
  void app.register(async (scope) => {
    // The body goes to the JSON-RPC parser untouched: no parser of Fastify's answers here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
      req.rawBody = body as Buffer;
      done(null, undefined);
    });
    scope.post(
      '/lsps',
      {
        config: { auth: 'tenant' },
        schema: {
          operationId: 'callLsps',
          summary: `LSPS0 JSON-RPC over HTTP (${router.methodNames().join(', ')})`,
          description:
            'Always 200 with a JSON-RPC response, errors carrying the LSPS codes (a body that is not one JSON-RPC request object is a parse error, -32700); 204 for a notification. Over HTTP, lsps1.create_order takes client_node_pubkey (and client_node_host) and lsps2.buy takes client_node_pubkey, naming the node to open to; the lsps5 methods take client_node_pubkey, the node the webhooks are for (a tenant sees only the webhooks it registered).',
          tags: ['lsps'],
          response: { 200: Type.Unknown(), 204: Type.Null(), ...errorResponses(401) },
        },
      },
      async (req, reply) => {
        const response = await router.handle(
          { kind: 'tenant', tenantId: principalOf(req).tenantId },
          new Uint8Array(req.rawBody ?? Buffer.alloc(0)),
        );
        if (!response) return reply.code(204).send();
        return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(response);
      },
    );
  });
}
