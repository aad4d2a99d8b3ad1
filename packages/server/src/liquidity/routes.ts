/**
 * Liquidity reservations over REST: the spec's `provideLiquidity`.
 */
import { sat } from '@blgv/core';
import { IdParams, ReservationBody, ReservationResponse } from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import { reservationToWire } from '../http/wire.ts';
import type { ReservationService } from './reservation-service.ts';

const errors = errorResponses(400, 401, 402, 404, 409, 422, 503);

/** Registers the reservation routes. */
export function registerLiquidityRoutes(
  app: FastifyInstance,
  services: { readonly reservations: ReservationService },
): void {
  app.post<{ Body: ReservationBody }>(
    '/v1/liquidity/reservations',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'requestLiquidity',
        summary: 'Reserve outbound liquidity for payments',
        description:
          "Sets aside `amount` sat of the LSP node's outbound liquidity for `duration` ms and charges the reservation fee. When the node is short, liquidity is bought from the upstream LSP (if one is configured) at the LSP's cost. Refused with `fee_rate_exceeded` (422) when the fee, fully used, is above `maxFeeRate`; `lsp_insufficient_funds` (409) when it cannot be met; `payment_required` (402, with a top-up invoice) when the balance does not cover the fee.",
        tags: ['liquidity'],
        body: ReservationBody,
        response: { 201: ReservationResponse, ...errors },
      },
    },
    async (req, reply) => {
      const r = await services.reservations.reserve(principalOf(req).tenantId, {
        amount: sat(req.body.amount),
        durationMs: req.body.duration,
        maxFeeRatePpm: BigInt(req.body.maxFeeRate),
      });
      return reply.code(201).send(reservationToWire(r));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/liquidity/reservations/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getReservation',
        summary: 'A reservation: what is left and until when',
        tags: ['liquidity'],
        params: IdParams,
        response: { 200: ReservationResponse, ...errors },
      },
    },
    async (req) =>
      reservationToWire(await services.reservations.get(principalOf(req).tenantId, req.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/liquidity/reservations/:id/release',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'releaseReservation',
        summary: 'Give a reservation back before it expires',
        description:
          'Its unused liquidity returns to the pool at once. The reservation fee is not refunded. Releasing twice is harmless; an expired one answers `reservation_inactive` (409).',
        tags: ['liquidity'],
        params: IdParams,
        response: { 200: ReservationResponse, ...errors },
      },
    },
    async (req) =>
      reservationToWire(await services.reservations.release(principalOf(req).tenantId, req.params.id)),
  );
}
