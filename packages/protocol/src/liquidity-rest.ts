/**
 * The REST shapes of liquidity reservations (`/v1/liquidity/reservations`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { SatAmount, Timestamp } from './wire-values.ts';

/** `POST /v1/liquidity/reservations` (the spec's `LiquidityRequest`). */
export const ReservationBody = Type.Object(
  {
    amount: SatAmount('outbound liquidity to set aside', 1),
    duration: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'how long, ms' }),
    maxFeeRate: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'the most the reservation may cost if fully used, ppm of amount',
    }),
  },
  { additionalProperties: false },
);
export type ReservationBody = Static<typeof ReservationBody>;

/** The spec's `LiquidityResponse`, extended with what a client needs to follow it. */
export const ReservationResponse = Type.Object({
  reservationId: Type.String({ description: 'UUID' }),
  state: Type.Union(['active', 'exhausted', 'released', 'expired'].map((s) => Type.Literal(s))),
  allocated: SatAmount('liquidity set aside'),
  used: SatAmount('taken by payments so far'),
  remaining: SatAmount('left to pay with'),
  feeRate: Type.Integer({ description: 'effective fee if fully used, ppm of allocated (rounded up)' }),
  reservationFee: SatAmount('charged when reserved (purchaseFee included)'),
  purchaseFee: SatAmount(
    'what the liquidity bought from outside for it cost (0 when none was bought); the reservation pays it',
  ),
  utilizationFeePpm: Type.Integer({ description: 'charged on each payment, ppm of its amount' }),
  externalLiquidity: Type.Boolean({ description: 'liquidity was bought from an upstream LSP for it' }),
  expiresAt: Timestamp,
  createdAt: Timestamp,
});
export type ReservationResponse = Static<typeof ReservationResponse>;
