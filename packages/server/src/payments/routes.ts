/**
 * Payments over REST: the spec's `sendPayment`, paid from the tenant's balance.
 */
import { sat } from '@blgv/core';
import {
  LIST_PAGE,
  ListQuery,
  nextCursor,
  PaymentBody,
  PaymentHashParams,
  PaymentResponse,
  PaymentsResponse,
  pageRequest,
} from '@blgv/protocol';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import { paymentToWire } from '../http/wire.ts';
import type { PaymentService } from './payment-service.ts';

const errors = errorResponses(400, 401, 402, 404, 409, 422, 503);

/** Registers the payment routes. */
export function registerPaymentRoutes(
  app: FastifyInstance,
  services: { readonly payments: PaymentService },
): void {
  app.post<{ Body: PaymentBody }>(
    '/v1/payments',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'sendPayment',
        summary: 'Pay a BOLT11 invoice from the account balance',
        description:
          "Charges amount + the schedule's routing fee (+ the utilization fee when paying with a reservation), then pays through the LSP node with that routing fee as fee limit (lowered to `maxFeeSat` / `maxFeePpm` when given: a payment whose route costs more fails and is refunded), split into at most `payments.maxParts` parts (default 1: one part), within `payments.timeoutSeconds`. Answers with the outcome (201), or the first payment (200) when the invoice was paid before, with the routes taken and the failed attempts. A failed payment is refunded.",
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
        maxFee: {
          ...(b.maxFeeSat !== undefined ? { maxFeeSat: sat(b.maxFeeSat) } : {}),
          ...(b.maxFeePpm !== undefined ? { maxFeePpm: BigInt(b.maxFeePpm) } : {}),
        },
      });
      return reply.code(replayed ? 200 : 201).send(paymentToWire(payment));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/payments',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'listPayments',
        summary: 'The payments sent, newest first, a page at a time',
        description:
          "Pass the answer's `nextCursor` as `cursor` for the next (older) page; it is null on the last one. Payments sent meanwhile never shift a page.",
        tags: ['payments'],
        querystring: ListQuery,
        response: { 200: PaymentsResponse, ...errors },
      },
    },
    async (req) => {
      const page = await services.payments.list(principalOf(req).tenantId, pageRequest(req.query, LIST_PAGE));
      return { payments: page.items.map(paymentToWire), nextCursor: nextCursor(page.next) };
    },
  );

  app.get<{ Params: { paymentHash: string } }>(
    '/v1/payments/:paymentHash',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getPayment',
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
