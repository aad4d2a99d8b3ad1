/**
 * `routing.fees`: the routing-fees job (fees that follow liquidity; docs/routing.md "Fee
 * policy"). Off by default: on, it moves the fees of the LSP node's public channels around the
 * schedule's (`fees.routing`). An operator can change these at runtime
 * (`PUT /v1/admin/routing/policy`); what they set there wins over this section.
 */
import { Type } from '@sinclair/typebox';
import { RoutingQuotesConfigSchema } from './routing-quotes-schema.ts';
import { RoutingRebalanceConfigSchema } from './routing-rebalance-schema.ts';

const ppm = (description: string) => Type.Integer({ minimum: 0, maximum: 1_000_000, description });

export const RoutingFeesConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** Log and record what the job would set, change nothing on the node. */
    dryRun: Type.Boolean({ default: false }),
    /** How often the job looks at every channel. */
    intervalSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 600 }),
    /** The least time between two changes of one channel (each is gossiped network-wide). */
    windowSeconds: Type.Integer({ minimum: 1, maximum: 30 * 86_400, default: 3_600 }),
    /** A change must move the fee rate (or the inbound discount) by more than this. */
    minStepPpm: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10 }),
    /** Base fee of managed channels (default: the schedule's `fees.routing.baseFeeMsat`). */
    baseFeeMsat: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /** Fee rate at the target share (default: the schedule's `fees.routing.feeRatePpm`). */
    midpointPpm: Type.Optional(ppm('fee rate at the target outbound share')),
    /** Floor: a full channel's fee rate (default: a quarter of the midpoint). */
    minPpm: Type.Optional(ppm('a full channel fee rate')),
    /** Ceiling: a drained channel's fee rate (default: four times the midpoint). */
    maxPpm: Type.Optional(ppm('a drained channel fee rate')),
    /** The outbound share (of what is spendable either way) the midpoint applies at. */
    targetOutboundPercent: Type.Integer({ minimum: 1, maximum: 99, default: 50 }),
    /** How far the recent flow moves the rate (percent of the band between floor and ceiling). */
    flowWeightPercent: Type.Integer({ minimum: 0, maximum: 100, default: 10 }),
    /** The recent flow: forwards over this long. */
    flowWindowSeconds: Type.Integer({ minimum: 60, maximum: 90 * 86_400, default: 7 * 86_400 }),
    /** Largest inbound discount on a drained channel (ppm, applied negative); 0: no inbound fees. */
    inboundMaxDiscountPpm: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false, default: {} },
);

/** `routing`: the routing room (docs/routing.md). */
export const RoutingConfigSchema = Type.Object(
  {
    fees: RoutingFeesConfigSchema,
    quotes: RoutingQuotesConfigSchema,
    rebalance: RoutingRebalanceConfigSchema,
  },
  { additionalProperties: false, default: {} },
);
