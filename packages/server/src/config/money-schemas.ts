/**
 * The configuration sections about money: fees, channel limits, liquidity, top-ups,
 * reservations and payments.
 */
import { Type } from '@sinclair/typebox';
import { Ppm, Sat } from './schema-units.ts';

/** The `fees` section of the configuration. */
export const FeesConfigSchema = Type.Object(
  {
    channelOpening: Type.Object(
      { baseFee: Sat(1000), capacityFeePpm: Ppm(1000) },
      { additionalProperties: false, default: {} },
    ),
    liquidity: Type.Object(
      { reservationFee: Sat(100), utilizationFeePpm: Ppm(500) },
      { additionalProperties: false, default: {} },
    ),
    routing: Type.Object(
      { baseFeeMsat: Sat(1000), feeRatePpm: Ppm(100) },
      { additionalProperties: false, default: {} },
    ),
    hosting: Type.Object(
      // A month is a ledger entry (never of 0 sat): the monthly fee is at least 1 sat.
      { monthlyFee: Sat(50_000, 1), transactionFee: Sat(100) },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

/** The `channels` section of the configuration. */
export const ChannelsConfigSchema = Type.Object(
  {
    minCapacity: Sat(20_000),
    maxCapacity: Sat(16_777_215),
    minFeeRate: Type.Integer({ minimum: 1, default: 1, description: 'sat/vB' }),
    maxFeeRate: Type.Integer({ minimum: 1, default: 500, description: 'sat/vB' }),
    /** Requests arriving within this window share one funding transaction. */
    batchWindowMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
    maxBatchSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    /**
     * How long a client node has to accept a channel, and then to sign its commitment, before
     * the open is cancelled (nothing funded) and refunded. Applies to every open (REST,
     * LSPS1, JIT).
     */
    openTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * External liquidity: when outbound is short (a reservation larger than the node's
 * spendable balance), the LSP buys a channel from an upstream LSP over LSPS1, paid on-chain
 * from its wallet. The LSP bears the cost; the most it pays per purchase is set by the
 * caller (`reservations.externalMaxFee*`). Absent `upstream`: nothing is bought.
 */
export const LiquidityConfigSchema = Type.Object(
  {
    upstream: Type.Optional(
      Type.Object(
        {
          /** The upstream LSP's node, `pubkey@host:port`; LSPS1 runs over peer messages. */
          uri: Type.String({ pattern: '^0[23][0-9a-fA-F]{64}@[^\\s@]+:\\d+$' }),
          /** Outbound bought on top of the amount, so routing fees of the payment fit. */
          headroomPpm: Ppm(5_000),
          /** How long the upstream must keep the channel open (LSPS1 `channel_expiry_blocks`). */
          channelExpiryBlocks: Type.Integer({ minimum: 1, default: 4320 }),
          /**
           * Confirmations of the channel's funding before it is used (at least 1: the
           * balance on our side is money we paid, so we do not trust an unconfirmed funding).
           */
          requiredConfirmations: Type.Integer({ minimum: 1, maximum: 6, default: 1 }),
          /** Confirmation target the upstream funds the channel with. */
          fundingConfirmsWithinBlocks: Type.Integer({ minimum: 1, default: 6 }),
          /** Confirmation target of our on-chain payment of the order. */
          paymentTargetConf: Type.Integer({ minimum: 1, maximum: 1008, default: 6 }),
          /**
           * How long a paid purchase waits for its channel to carry payments before it is
           * recorded failed (a caller stops waiting earlier, at its own deadline).
           */
          timeoutSeconds: Type.Integer({ minimum: 10, default: 7200 }),
          /** How often the order and the channel are checked while waiting. */
          pollIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 2_000 }),
          /** Deadline of one LSPS call to the upstream. */
          callTimeoutMs: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 30_000 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
);

/** The `topups` section of the configuration. */
export const TopupsConfigSchema = Type.Object(
  {
    minAmount: Sat(1_000),
    maxAmount: Sat(100_000_000),
    expirySeconds: Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600, default: 3600 }),
  },
  { additionalProperties: false, default: {} },
);

/** Liquidity reservations (`POST /v1/liquidity/reservations`). */
export const ReservationsConfigSchema = Type.Object(
  {
    minAmount: Sat(1_000),
    maxAmount: Sat(100_000_000),
    minDurationMs: Type.Integer({ minimum: 1, default: 10_000 }),
    maxDurationMs: Type.Integer({ minimum: 1, default: 7 * 24 * 3600 * 1000 }),
    /** The most one tenant may hold reserved at once (unused amounts of live reservations). */
    maxPerTenant: Sat(20_000_000),
    /**
     * The most liquidity bought from outside to serve one reservation may cost, in ppm of
     * the shortfall, plus `externalMaxFeeBase` sat. The reservation pays it (within its own
     * `maxFeeRate`).
     */
    externalMaxFeePpm: Ppm(20_000),
    externalMaxFeeBase: Sat(5_000),
    /** How long a reservation request waits for bought liquidity to become usable. */
    externalTimeoutSeconds: Type.Integer({ minimum: 1, default: 600 }),
  },
  { additionalProperties: false, default: {} },
);

/** Payments sent for tenants (`POST /v1/payments`). */
export const PaymentsConfigSchema = Type.Object(
  {
    /** How long the node tries to pay before giving up. */
    timeoutSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60 }),
    /**
     * The most parts (HTLCs) one payment is split into. 1 (the default): never split. A split
     * that cannot complete leaves its parts held at the destination for its MPP timeout, with
     * their liquidity, and later payments fail for it: on skewed graphs splitting paid fewer
     * payments than one part (docs/routing.md "Parts"). Raise it when payees' inbound liquidity
     * is spread over many channels.
     */
    maxParts: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
    /**
     * Send each payment in one part first and split it (within `maxParts`) only when no single
     * route carries it; off: LND may split from the first failure (docs/routing.md "Parts").
     */
    singlePartFirst: Type.Boolean({ default: true }),
    /**
     * The fee limit of a payment whose tenant gives no `maxFeeSat` / `maxFeePpm`: the most the
     * network may take, below the routing fee charged (which stays the limit when these are
     * absent, the default). A tenant's own limit replaces these; neither ever raises the limit.
     */
    defaultMaxFeeSat: Type.Optional(Type.Integer({ minimum: 0 })),
    defaultMaxFeePpm: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /**
     * A payment whose tenant gives no limit pays at most what LND's graph estimate of its route
     * costs plus a margin (`marginPercent` of it + `marginSat`), still below the routing fee
     * charged. Off by default: the graph's cheapest route is not always one that carries the
     * payment, and a limit near its fee fails payments another route would carry.
     */
    feeLimitFromQuote: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        marginPercent: Type.Integer({ minimum: 0, maximum: 10_000, default: 100 }),
        marginSat: Type.Integer({ minimum: 0, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
