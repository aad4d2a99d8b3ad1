/**
 * Liquidity reservations and payments over REST: the spec's `provideLiquidity` and
 * `sendPayment`.
 */
import { sat } from '@blgv/core';
import {
  IdParams,
  PaymentBody,
  PaymentHashParams,
  PaymentResponse,
  ReservationBody,
  ReservationResponse,
} from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import type { LspServices } from '../services.ts';
import { principalOf } from './auth-hook.ts';
import { errorResponses } from './error-responses.ts';
import { paymentToWire, reservationToWire } from './wire.ts';

const errors = errorResponses(400, 401, 402, 404, 409, 422, 503);

/** Registers the reservation and payment routes. */
export function registerLiquidityRoutes(app: FastifyInstance, services: LspServices): void {
  app.post<{ Body: ReservationBody }>(
    '/v1/liquidity/reservations',
    {
      config: { auth: 'tenant' },
      schema: {
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

  app.post<{ Body: PaymentBody }>(
    '/v1/payments',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'Pay a BOLT11 invoice from the account balance',
        description:
          "Charges amount + the schedule's routing fee (+ the utilization fee when paying with a reservation), then pays through the LSP node with that routing fee as fee limit, multi-part allowed, within `payments.timeoutSeconds`. Answers with the outcome (201), or the first payment (200) when the invoice was paid before. A failed payment is refunded.",
        tags: ['payments'],
        body: PaymentBody,
        response: { 200: PaymentResponse, 201: PaymentResponse, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { payment, replayed } = await services.payments.pay(principalOf(req).tenantId, {
        invoice: b.invoice,
        ...(b.reservationId !== undefined ? { reservationId: b.reservationId } : {}),
        ...(b.amount !== undefined ? { amount: sat(b.amount) } : {}),
      });
      return reply.code(replayed ? 200 : 201).send(paymentToWire(payment));
    },
  );

  app.get<{ Params: { paymentHash: string } }>(
    '/v1/payments/:paymentHash',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'Status of a payment: fee paid, routes used',
        tags: ['payments'],
        params: PaymentHashParams,
        response: { 200: PaymentResponse, ...errors },
      },
    },
    async (req) =>
      paymentToWire(
        await services.payments.get(principalOf(req).tenantId, req.params.paymentHash.toLowerCase()),
      ),
  );
}
