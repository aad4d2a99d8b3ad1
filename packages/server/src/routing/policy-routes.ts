/**
 * `GET` / `PUT /v1/admin/routing/policy` (admin keys only): the routing fee policy's settings,
 * read and changed at runtime. A body that breaks a field's bounds, or leaves the floor above
 * the midpoint or the midpoint above the ceiling, is a 400 naming the field.
 */
import { RoutingPolicyBody, RoutingPolicyResponse } from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/error-responses.ts';
import type { RoutingFeeSettingsStore } from './fee-settings.ts';

const errors = errorResponses(400, 401, 403);

/** Registers the routing policy routes. */
export function registerRoutingPolicyRoutes(app: FastifyInstance, settings: RoutingFeeSettingsStore): void {
  app.get(
    '/v1/admin/routing/policy',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'The routing fee policy (fees that follow liquidity)',
        tags: ['admin'],
        response: { 200: RoutingPolicyResponse, ...errors },
      },
    },
    () => settings.current(),
  );

  app.put<{ Body: RoutingPolicyBody }>(
    '/v1/admin/routing/policy',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Change the routing fee policy',
        description:
          'Changes the fields given; the others keep their values. Every replica and restart uses the result; the routing-fees job applies it from its next pass.',
        tags: ['admin'],
        body: RoutingPolicyBody,
        response: { 200: RoutingPolicyResponse, ...errors },
      },
    },
    (req) => settings.update(req.body),
  );
}
