/**
 * The REST shapes of payments (`/v1/payments`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { NextCursor } from './paging.ts';
import { SatAmount, Timestamp } from './wire-values.ts';

/** `POST /v1/payments` (the spec's `sendPayment`). */
export const PaymentBody = Type.Object(
  {
    invoice: Type.String({ minLength: 1, maxLength: 7089, description: 'BOLT11 payment request' }),
    reservationId: Type.Optional(Type.String({ maxLength: 100, description: 'pay with this reservation' })),
    amount: Type.Optional(SatAmount('for an invoice without an amount', 1)),
  },
  { additionalProperties: false },
);
export type PaymentBody = Static<typeof PaymentBody>;

export const PaymentHashParams = Type.Object(
  { paymentHash: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: '32 bytes hex' }) },
  { additionalProperties: false },
);

export const PaymentResponse = Type.Object({
  paymentHash: Type.String(),
  status: Type.Union(['pending', 'succeeded', 'failed'].map((s) => Type.Literal(s))),
  amountMsat: Type.String({ pattern: '^[0-9]+$', description: 'amount paid to the destination, msat' }),
  destination: Type.String(),
  reservationId: Type.Union([Type.String(), Type.Null()]),
  charged: Type.Object({
    amount: SatAmount('the amount, rounded up'),
    routingFee: SatAmount("the schedule's routing fee"),
    utilizationFee: SatAmount('the reservation utilization fee'),
    total: SatAmount('charged to the balance (refunded if the payment fails)'),
  }),
  feePaidMsat: Type.Union([Type.String(), Type.Null()], { description: 'what the network took, msat' }),
  routeCount: Type.Union([Type.Integer(), Type.Null()], { description: 'HTLCs (parts) used' }),
  preimage: Type.Union([Type.String(), Type.Null()]),
  failure: Type.Union([Type.String(), Type.Null()]),
  attempt: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PaymentResponse = Static<typeof PaymentResponse>;

/** `GET /v1/payments`: the tenant's payments, newest first, a page at a time. */
export const PaymentsResponse = Type.Object({
  payments: Type.Array(PaymentResponse),
  nextCursor: NextCursor,
});
export type PaymentsResponse = Static<typeof PaymentsResponse>;
