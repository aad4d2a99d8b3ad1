/**
 * The configuration sections of the LSPS protocols served: LSPS0 (transport caps), LSPS1,
 * LSPS2 and LSPS5.
 */
import { Type } from '@sinclair/typebox';
import { Sat } from './schema-units.ts';

/** LSPS0 over peer messages: how much one peer may ask of the LSP. */
export const Lsps0ConfigSchema = Type.Object(
  {
    /** Requests a peer may make per second on average. */
    peerRatePerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, default: 5 }),
    /** Requests a peer may make in a burst. */
    peerBurst: Type.Integer({ minimum: 1, maximum: 10_000, default: 20 }),
    /** Requests of one peer worked on at once. */
    peerMaxInFlight: Type.Integer({ minimum: 1, maximum: 1_000, default: 4 }),
  },
  { additionalProperties: false, default: {} },
);

/** The `lsps1` section of the configuration. */
export const Lsps1ConfigSchema = Type.Object(
  {
    maxClientBalance: Sat(1_000_000),
    maxChannelExpiryBlocks: Type.Integer({ minimum: 1, default: 13_000 }),
    invoiceExpirySeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 3600 }),
    /**
     * How long a paid order waits for its client to come online before it is refunded.
     * With twice `channels.openTimeoutSeconds` it must fit in what `holdInvoiceCltv` covers
     * (checked at boot; see docs/money-model.md).
     */
    openDeadlineSeconds: Type.Integer({ minimum: 60, default: 3600 }),
    /**
     * The CLTV of an order's hold invoice (blocks): the payer's HTLC expires at least this
     * far above the height it arrives at. LND refuses less than 24; payers cap a route's
     * total CLTV (LND at 2016), so keep it modest.
     */
    holdInvoiceCltv: Type.Integer({ minimum: 24, maximum: 2016, default: 144 }),
    /**
     * LND's `invoices.holdexpirydelta` (blocks): LND cancels an accepted hold invoice's HTLCs
     * once they come this close to expiring. LND's default is 18; it must be above 16.
     */
    lndHoldExpiryDelta: Type.Integer({ minimum: 17, maximum: 2000, default: 18 }),
    /** Unpaid orders (each a hold invoice) one client may have at once. */
    maxUnpaidOrdersPerClient: Type.Integer({ minimum: 1, maximum: 10_000, default: 5 }),
    /** Unpaid orders of all clients together. */
    maxUnpaidOrders: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1_000 }),
    /** On-chain payment of orders that give `refund_onchain_address` (bLIP-51 3.3). */
    onchain: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** Confirmations a payment needs before the channel opens. */
        confirmations: Type.Integer({ minimum: 1, maximum: 6, default: 1 }),
        /** How long the on-chain option stays open (never shorter than the invoice). */
        expirySeconds: Type.Integer({ minimum: 10, maximum: 7 * 86_400, default: 86_400 }),
        /** How often an unpaid order's address is checked. */
        pollIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
        /**
         * How long a refund may stay unconfirmed before it is replaced at a higher fee rate
         * (bLIP-51: within 6 hours).
         */
        refundBumpAfterSeconds: Type.Integer({ minimum: 1, maximum: 21_600, default: 21_600 }),
        /**
         * How long after an order ends its address is still looked at on every pass (leases
         * released, late payments refunded). A payment after that is found among the wallet's
         * new transactions and brings the order back for as long again.
         */
        watchAfterEndSeconds: Type.Integer({ minimum: 1, maximum: 30 * 86_400, default: 7 * 86_400 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

/** The `lsps2` section of the configuration. */
export const Lsps2ConfigSchema = Type.Object(
  {
    /** Serve LSPS2 (runs LND's HTLC interceptor for the node). */
    enabled: Type.Boolean({ default: true }),
    /** How long an `opening_fee_params` entry stays valid after `get_info`. */
    paramsValidSeconds: Type.Integer({ minimum: 10, maximum: 7 * 86_400, default: 600 }),
    minPaymentSizeMsat: Sat(10_000_000),
    maxPaymentSizeMsat: Sat(1_000_000_000),
    /** Smallest JIT channel; a channel is twice the payment when that is larger. */
    minChannelSize: Sat(100_000),
    maxChannelSize: Sat(2_000_000),
    /** Blocks the client's channel is kept open at least (`min_lifetime`). */
    minLifetimeBlocks: Type.Integer({ minimum: 0, default: 4320 }),
    maxClientToSelfDelay: Type.Integer({ minimum: 0, default: 2016 }),
    /** The CLTV delta of the JIT hop (matches LND's default channel time-lock delta). */
    cltvExpiryDelta: Type.Integer({ minimum: 18, maximum: 2016, default: 80 }),
    /** How long multi-part parts are held before they are failed back (bLIP-52: 90 s). */
    mppTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 90 }),
    /** Buys waiting for their payment (fee params still valid) one client may have at once. */
    maxOpenBuysPerClient: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
    /**
     * Such buys one tenant may have at once: a wallet vendor buys for every wallet it onboards
     * (each wallet's own node is still held to `maxOpenBuysPerClient` when it buys itself).
     */
    maxOpenBuysPerTenant: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1_000 }),
    /** Such buys of all clients together. */
    maxOpenBuys: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
    /**
     * bLIP-52 `client_trusts_lsp` answered by `lsps2.buy` for the menu served: the JIT channel's
     * funding is withheld until the client has released the preimage, so a client that never
     * settles costs no on-chain fee (unless batched with others that did: `batchWithheld`).
     * `false`: "LSP trusts client", the funding published at once.
     */
    clientTrustsLsp: Type.Boolean({ default: true }),
    /**
     * JIT channels a client was opened and never settled the payment on (their funding
     * withdrawn): from this many on, its `lsps2.buy` is refused with `client_rejected`.
     */
    maxUnsettledPerClient: Type.Integer({ minimum: 1, maximum: 1_000, default: 3 }),
    /** Channels never settled count against a client for this many days after they ended. */
    unsettledForgetDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
    /**
     * JIT opens whose payments are ready within this many milliseconds of the first are
     * funded by one transaction (0: each alone). Withheld fundings (`clientTrustsLsp: true`)
     * only with `batchWithheld`, in batches of their own.
     */
    batchWindowMs: Type.Integer({ minimum: 0, maximum: 5_000, default: 50 }),
    /** The most JIT channels one funding transaction opens; a full batch is funded at once. */
    maxBatchChannels: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
    /**
     * While a batch is negotiated, the next one (its window over) keeps gathering until that one
     * has leased its inputs, but at most this long: a slow client in one batch does not hold up
     * the next.
     */
    batchMaxWaitMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 2_000 }),
    /**
     * Whether withheld fundings are batched too. A batch's funding is published with its first
     * member's preimage; a member whose client then never settles has its channel on chain,
     * which the LSP closes at its own cost (its share of the funding and the close). `false`:
     * each withheld funding goes alone, and a client that never settles costs nothing on chain.
     */
    batchWithheld: Type.Boolean({ default: true }),
  },
  { additionalProperties: false, default: {} },
);

/** LSPS5 (bLIP-55): webhooks that wake a client node when it is not connected. */
export const Lsps5ConfigSchema = Type.Object(
  {
    /** Webhooks one client node may have (`max_webhooks`), per registrant. */
    maxWebhooks: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    /** Webhooks of every registrant together; past it `set_webhook` adds none (503). */
    maxTotalWebhooks: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000 }),
    /**
     * A client node registering for itself must have a channel with the LSP (open or pending)
     * or an LSPS1 order or LSPS2 buy; else `client_rejected`. Tenants must always serve the node.
     */
    requireRelationship: Type.Boolean({ default: true }),
    /**
     * After a notification of one method, no other of that method goes to the client until
     * this passes, unless it connected and disconnected meanwhile (bLIP-55: "minutes").
     */
    cooldownSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 300 }),
    /**
     * Webhooks of a client with no channel are kept this long after it last had one (or
     * after they were set); bLIP-55 asks for at least 7 days.
     */
    retentionDays: Type.Integer({ minimum: 7, maximum: 3650, default: 7 }),
    /**
     * How long a finished notification (delivered, given up or dropped) stays in the outbox;
     * pending ones stay. 30 days by default.
     */
    notificationRetentionSeconds: Type.Integer({ minimum: 1, maximum: 3_650 * 86_400, default: 30 * 86_400 }),
    /** How long a JIT payment for a client that is not connected waits for it to come online. */
    wakeSeconds: Type.Integer({ minimum: 0, maximum: 600, default: 45 }),
    /**
     * After a client woken for a JIT payment connects, a channel open it refuses is tried again
     * (every second) for this long: an LND wallet's node reconnects to the LSP before the
     * wallet's channel acceptor is back, and refuses a zero-conf channel meanwhile.
     */
    wakeGraceSeconds: Type.Integer({ minimum: 0, maximum: 120, default: 15 }),
    /**
     * Blocks before an HTLC's expiry at which LND goes on chain for it (LND's broadcast
     * delta, 10 by default): `expiry_soon`'s `timeout` is the expiry less this.
     */
    forceCloseMarginBlocks: Type.Integer({ minimum: 0, maximum: 144, default: 10 }),
    /** Attempts of one notification before it is given up (only HTTP 200 delivers). */
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
    /** First retry delay; it doubles with each attempt (5 attempts: about a minute in all). */
    retryBaseMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 5_000 }),
    /** How often the outbox is looked at (a new notification is sent at once). */
    intervalMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1_000 }),
    /** How often channels are scanned for HTLCs close to expiry, and webhooks for retention. */
    scanIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  },
  { additionalProperties: false, default: {} },
);
