/**
 * Payment routing over REST: quotes of a payment's routing cost (`POST /v1/routing/quote`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { MsatString, SatAmount } from './wire-values.ts';

/**
 * `POST /v1/routing/quote`: an `invoice`, or a `destination` and `amountSat`. Amounts and keys
 * are checked by the server (a 400 naming the field), so they are loose here.
 */
export const RoutingQuoteBody = Type.Object(
  {
    invoice: Type.Optional(
      Type.String({ minLength: 1, maxLength: 7089, description: 'BOLT11 payment request' }),
    ),
    destination: Type.Optional(
      Type.String({ maxLength: 200, description: 'node public key, 33 bytes hex (with amountSat)' }),
    ),
    amountSat: Type.Optional(
      Type.Integer({
        description: 'amount to send, sat (with destination, or for an invoice without an amount)',
      }),
    ),
    probe: Type.Optional(
      Type.Boolean({
        description:
          'probe the invoice (bounded by routing.quotes.probeTimeoutSeconds) instead of the graph only',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RoutingQuoteBody = Static<typeof RoutingQuoteBody>;

export const RoutingQuoteResponse = Type.Object({
  mode: Type.Union([Type.Literal('graph'), Type.Literal('probe')]),
  destination: Type.String({ description: 'the node paid' }),
  amountMsat: MsatString('what the destination receives'),
  feeMsat: MsatString('what the hops are expected to take'),
  feeSat: SatAmount('feeMsat rounded up'),
  timeLockDelta: Type.Integer({ description: 'blocks from now until the HTLC times out at the first hop' }),
  parts: Type.Integer({ description: 'HTLCs the payment is expected to take' }),
  successProbability: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
    description: "mission control's odds (0..1) that the route carries the payment; null without a route",
  }),
  cached: Type.Boolean({ description: 'answered from a quote made moments ago' }),
});
export type RoutingQuoteResponse = Static<typeof RoutingQuoteResponse>;
