/**
 * `GET /v1/admin/routing/rebalances`: the rebalances the routing-rebalance job made, refused or
 * saw fail, newest first (docs/routing.md "Rebalancing").
 */
import { type Static, Type } from '@sinclair/typebox';

/** `?limit=&state=`. */
export const RebalancesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    state: Type.Optional(
      Type.Union(['sending', 'succeeded', 'refused', 'failed'].map((s) => Type.Literal(s))),
    ),
  },
  { additionalProperties: false },
);
export type RebalancesQuery = Static<typeof RebalancesQuery>;

const Msat = (description: string) =>
  Type.String({ pattern: '^[0-9]+$', description: `${description}, msat` });

/** One rebalance. */
export const RebalanceWire = Type.Object({
  id: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  state: Type.Union(['sending', 'succeeded', 'refused', 'failed'].map((s) => Type.Literal(s))),
  sourceChannelPoint: Type.String({ description: 'the channel with excess it goes out over' }),
  targetChannelPoint: Type.String({ description: 'the depleted channel it comes back in over' }),
  targetPeer: Type.String(),
  amountSat: Type.Integer({ minimum: 0 }),
  maxFeeMsat: Msat('the fee limit: the economic bound, capped by the daily budget'),
  feeMsat: Type.Union([Msat('what it cost (made ones)'), Type.Null()]),
  paymentHash: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
});

/** `GET /v1/admin/routing/rebalances`. */
export const RebalancesResponse = Type.Object({ rebalances: Type.Array(RebalanceWire) });
export type RebalancesResponse = Static<typeof RebalancesResponse>;
