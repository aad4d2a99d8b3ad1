/**
 * The REST shapes of payments (`/v1/payments`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { NextCursor } from './paging.ts';
import { MsatString, SatAmount, Timestamp } from './wire-values.ts';

/** `POST /v1/payments` (the spec's `sendPayment`). */
export const PaymentBody = Type.Object(
  {
    invoice: Type.String({ minLength: 1, maxLength: 7089, description: 'BOLT11 payment request' }),
    reservationId: Type.Optional(Type.String({ maxLength: 100, description: 'pay with this reservation' })),
    amount: Type.Optional(SatAmount('for an invoice without an amount', 1)),
    maxFeeSat: Type.Optional(
      SatAmount('the most the network may take; lowers the fee limit below the routing fee charged'),
    ),
    maxFeePpm: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000,
        description: 'the most the network may take, in millionths of the amount (with maxFeeSat: the lower)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PaymentBody = Static<typeof PaymentBody>;

export const PaymentHashParams = Type.Object(
  { paymentHash: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: '32 bytes hex' }) },
  { additionalProperties: false },
);

/** One hop of a route a payment took. */
export const RouteHopResponse = Type.Object({
  pubkey: Type.String({ description: 'the node reached' }),
  chanId: Type.String({ description: 'the channel crossed, short channel id (decimal)' }),
  feeMsat: MsatString('what this node took to forward'),
});

/** A route one successful part (HTLC) of a payment took. */
export const PaymentRouteResponse = Type.Object({
  hops: Type.Array(RouteHopResponse),
  feeMsat: MsatString('what the route paid the network'),
  amountMsat: MsatString('what the route delivered'),
});

/** A failed HTLC attempt of a payment. */
export const FailedAttemptResponse = Type.Object({
  code: Type.Union([Type.String(), Type.Null()], { description: 'BOLT 4 failure, lower case' }),
  failingHop: Type.Union(
    [
      Type.Object({
        index: Type.Integer({ description: '0: the LSP node, 1: the first hop, ...' }),
        pubkey: Type.Union([Type.String(), Type.Null()], { description: 'the node that reported it' }),
        chanId: Type.Union([Type.String(), Type.Null()], { description: 'the channel it could not use' }),
      }),
      Type.Null(),
    ],
    { description: 'where it failed, when LND says' },
  ),
  hops: Type.Array(RouteHopResponse, { description: 'the route tried' }),
});

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
  feeLimitMsat: MsatString('the most the node let the network take'),
  parts: Type.Union([Type.Integer(), Type.Null()], {
    description: 'successful HTLCs (parts) the amount was delivered in; null until known',
  }),
  routes: Type.Array(PaymentRouteResponse, { description: 'the route of each successful part' }),
  failedAttempts: Type.Object({
    count: Type.Integer(),
    attempts: Type.Array(FailedAttemptResponse),
  }),
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
