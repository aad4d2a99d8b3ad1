/**
 * `routing.rebalance`: the routing-rebalance job (docs/routing.md "Rebalancing"). Off by
 * default: on, it refills the LSP node's public channels whose outbound share fell below the
 * target by circular payments from channels with excess, each within the economic bound and
 * all within the daily budget.
 */
import { Type } from '@sinclair/typebox';

export const RoutingRebalanceConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** How often the job looks at the channels. */
    intervalSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
    /** A channel below this outbound share (of what can move either way) is refilled up to it. */
    targetOutboundShare: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.3 }),
    /**
     * The most a rebalance may cost, as a multiple of what the refilled channel earns at its
     * current fee rate for the moved amount (regolancer's econ-ratio).
     */
    econRatio: Type.Number({ minimum: 0, maximum: 10, default: 0.5 }),
    /** The most all rebalances of one UTC day may cost together. */
    dailyBudgetSat: Type.Integer({ minimum: 0, default: 10_000 }),
    /** The least one rebalance moves. */
    minAmountSat: Type.Integer({ minimum: 1, default: 50_000 }),
    /** The most one rebalance moves. */
    maxAmountSat: Type.Integer({ minimum: 1, default: 1_000_000 }),
    /** How long LND may look for a route and pay. */
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);
