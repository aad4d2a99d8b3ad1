/**
 * The server's configuration: one validated object built at boot from an optional JSON file
 * (`BLGV_CONFIG`) and environment variables (which win), then passed down.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { holdCltvProblem } from '../lsps1/hold-timing.ts';

/** A non-negative satoshi (or msat) amount in config, with its default. */
function Sat(defaultValue: number, minimum = 0) {
  return Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, default: defaultValue });
}

/** A parts-per-million rate in config, with its default. */
function Ppm(defaultValue: number) {
  return Type.Integer({ minimum: 0, maximum: 1_000_000, default: defaultValue });
}

const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)));

/** The schema of the configuration (also documented in the README). */
export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /**
         * Serve HTTPS with this certificate and key (PEM files). Without it the server speaks
         * plain HTTP and a TLS terminator in front of it is expected in production.
         */
        tls: Type.Optional(
          Type.Object(
            { certPath: Type.String({ minLength: 1 }), keyPath: Type.String({ minLength: 1 }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    database: Type.Union([
      Type.Object(
        { kind: Type.Literal('postgres'), url: Type.String({ pattern: '^postgres(ql)?://' }) },
        { additionalProperties: false },
      ),
      Type.Object(
        { kind: Type.Literal('pglite'), dataDir: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ]),
    lightning: Type.Union([
      Type.Object({ mode: Type.Literal('regtest') }, { additionalProperties: false }),
      Type.Object(
        {
          mode: Type.Literal('lnd'),
          rpcAddress: Type.String({ pattern: '^[^\\s:]+:\\d+$' }),
          tlsCertPath: Type.String({ minLength: 1 }),
          macaroonPath: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ]),
    logLevel: LogLevel,
    /**
     * 32 bytes as 64 hex characters: encrypts API secrets at rest. Required with a persistent
     * database; a random one is made for an in-memory database.
     */
    secretsKey: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    fees: Type.Object(
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
    ),
    channels: Type.Object(
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
    ),
    /** LSPS0 over peer messages: how much one peer may ask of the LSP. */
    lsps0: Type.Object(
      {
        /** Requests a peer may make per second on average. */
        peerRatePerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, default: 5 }),
        /** Requests a peer may make in a burst. */
        peerBurst: Type.Integer({ minimum: 1, maximum: 10_000, default: 20 }),
        /** Requests of one peer worked on at once. */
        peerMaxInFlight: Type.Integer({ minimum: 1, maximum: 1_000, default: 4 }),
      },
      { additionalProperties: false, default: {} },
    ),
    lsps1: Type.Object(
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
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * External liquidity: when outbound is short (a reservation larger than the node's
     * spendable balance), the LSP buys a channel from an upstream LSP over LSPS1, paid on-chain
     * from its wallet. The LSP bears the cost; the most it pays per purchase is set by the
     * caller (`reservations.externalMaxFee*`). Absent `upstream`: nothing is bought.
     */
    liquidity: Type.Object(
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
    ),
    lsps2: Type.Object(
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
        /** Such buys of all clients together. */
        maxOpenBuys: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** LSPS5 (bLIP-55): webhooks that wake a client node when it is not connected. */
    lsps5: Type.Object(
      {
        /** Webhooks one client node may have (`max_webhooks`), per registrant. */
        maxWebhooks: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
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
        /** How long a JIT payment for a client that is not connected waits for it to come online. */
        wakeSeconds: Type.Integer({ minimum: 0, maximum: 600, default: 45 }),
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
    ),
    topups: Type.Object(
      {
        minAmount: Sat(1_000),
        maxAmount: Sat(100_000_000),
        expirySeconds: Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600, default: 3600 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Liquidity reservations (`POST /v1/liquidity/reservations`). */
    reservations: Type.Object(
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
    ),
    /**
     * Background jobs. Each runs under a lease in the database, so with several replicas on one
     * database exactly one runs it; a replica that dies hands its jobs over within
     * `leaseSeconds` (one that stops, at once).
     */
    jobs: Type.Object(
      {
        leaseSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 15 }),
        /** This replica's name in the lease table (default: a random id per process). */
        replicaName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Hosted nodes (`/v1/nodes`): one LND per customer node, run by the `local` driver on this
     * machine. On regtest the nodes use the embedded btcd; with an existing LND, `chain` says
     * which chain backend they use (hosting is off without it).
     */
    hosting: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** One directory per node (default: under the regtest network's directory, else ~/.local/share/blgv-lsp/nodes). */
        dataDir: Type.Optional(Type.String({ minLength: 1 })),
        /** Ports of the nodes (3 per node: gRPC, REST, p2p); keep it below the OS's ephemeral range. */
        portFrom: Type.Integer({ minimum: 1024, maximum: 65_535, default: 19_000 }),
        portTo: Type.Integer({ minimum: 1024, maximum: 65_535, default: 19_999 }),
        /** Address the nodes' listeners bind. */
        listenHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
        /** Host customers reach the nodes' gRPC and p2p ports at; named in their TLS certificates. */
        publicHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
        /** Base of each node's `endpoint` (default: the server's own URL). */
        publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+$' })),
        /** Nodes keep running while the server restarts (default: true, false in the regtest demo). */
        outliveServer: Type.Optional(Type.Boolean()),
        maxNodes: Type.Integer({ minimum: 0, maximum: 10_000, default: 50 }),
        maxNodesPerTenant: Type.Integer({ minimum: 0, maximum: 10_000, default: 5 }),
        /** How long a month of hosting lasts (30 days; shorter only for tests and demos). */
        billingPeriodSeconds: Type.Integer({ minimum: 1, default: 30 * 86_400 }),
        /** How long a node keeps running with a month unpaid, or its tenant owing a debt, before it is suspended. */
        gracePeriodSeconds: Type.Integer({ minimum: 0, default: 3 * 86_400 }),
        /** How often the keeper checks every node (and restarts dead ones). */
        checkIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
        /** How often sent payments are billed. */
        billingIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000 }),
        /**
         * The least time between two announcements of the LSP's node to an autopilot node that
         * lacks it (default: 5 s on regtest, 10 min elsewhere; each is relayed network-wide).
         */
        reannounceIntervalMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 86_400_000 })),
        /**
         * How long a repeated `POST /v1/nodes` (same Idempotency-Key) is shown the seed again,
         * unless the tenant acknowledged it (`POST /v1/nodes/:id/seed/acknowledge`).
         */
        seedRedeliverySeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400, default: 86_400 }),
        /** Deleting nodes: see docs/hosting.md. */
        deletion: Type.Object(
          {
            /**
             * How long a channel's peer has to come for a cooperative close before the channel is
             * force-closed (its funds then wait out their time lock).
             */
            forceCloseAfterSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400, default: 86_400 }),
            /** Confirmations the sweep of a deleted node's funds needs before the node is removed. */
            sweepConfirmations: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /**
         * Where removed nodes' encrypted archives are kept (default: beside the nodes' data
         * directory: under the regtest network's directory, else ~/.local/share/blgv-lsp/node-archives).
         */
        archiveDir: Type.Optional(Type.String({ minLength: 1 })),
        /** How long a removed node's archive (its data, sealed seed, latest backup) is kept. */
        archiveRetentionSeconds: Type.Integer({
          minimum: 0,
          maximum: 10 * 365 * 86_400,
          default: 90 * 86_400,
        }),
        /** How often archives past their retention are looked for and purged. */
        archivePurgeIntervalMs: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 3_600_000 }),
        /** The lnd binary (default: the one `npm run build:lightning` built). */
        lndBinary: Type.Optional(Type.String({ minLength: 1 })),
        /** More lnd flags for every hosted node. */
        extraLndArgs: Type.Array(Type.String(), { default: [] }),
        /** The nodes' chain backend when the LSP runs on an existing LND (bitcoind in production). */
        chain: Type.Optional(
          Type.Union([
            Type.Object(
              {
                kind: Type.Literal('btcd'),
                network: Type.Union(['regtest', 'testnet', 'signet', 'mainnet'].map((n) => Type.Literal(n))),
                rpcHost: Type.String({ minLength: 1 }),
                rpcUser: Type.String(),
                rpcPass: Type.String(),
                rpcCertPath: Type.String({ minLength: 1 }),
              },
              { additionalProperties: false },
            ),
            Type.Object(
              {
                kind: Type.Literal('bitcoind'),
                network: Type.Union(['regtest', 'testnet', 'signet', 'mainnet'].map((n) => Type.Literal(n))),
                rpcHost: Type.String({ minLength: 1 }),
                rpcUser: Type.String(),
                rpcPass: Type.String(),
                zmqPubRawBlock: Type.String({ minLength: 1 }),
                zmqPubRawTx: Type.String({ minLength: 1 }),
              },
              { additionalProperties: false },
            ),
          ]),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Payments sent for tenants (`POST /v1/payments`). */
    payments: Type.Object(
      {
        /** How long the node tries to pay before giving up. */
        timeoutSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60 }),
        /** The most parts (HTLCs) one payment is split into. */
        maxParts: Type.Integer({ minimum: 1, maximum: 64, default: 16 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Monitoring: the node monitor, `/metrics` for Prometheus and the dashboard. */
    monitoring: Type.Object(
      {
        /**
         * How often the monitor reads every node (the LSP's and each hosted one): channels,
         * balances, new forwards and payments. Metrics are answered from what it stored.
         */
        intervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 15_000 }),
        /**
         * Bearer token Prometheus sends to `GET /metrics`; without one `/metrics` is not served.
         * At least 16 characters.
         */
        prometheusToken: Type.Optional(Type.String({ minLength: 16 })),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Tenants' REST webhooks (`/v1/webhooks`) and how every webhook is sent. */
    webhooks: Type.Object(
      {
        /**
         * Allow webhook targets on loopback, private and link-local addresses (default: only
         * on the embedded regtest network).
         */
        allowPrivateTargets: Type.Optional(Type.Boolean()),
        /** PEM file of CA certificates trusted besides the system's (e.g. an internal CA). */
        caCertPath: Type.Optional(Type.String({ minLength: 1 })),
        /** How long one request may take, connect to last byte. */
        timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
        /** Bytes of a receiver's answer read at most. */
        maxResponseBytes: Type.Integer({ minimum: 0, maximum: 10_485_760, default: 65_536 }),
        /** How often the delivery job looks for new events and due retries. */
        intervalMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1_000 }),
        /** First retry delay; it doubles (with jitter) up to `retryMaxMs`. */
        retryBaseMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 5_000 }),
        retryMaxMs: Type.Integer({ minimum: 10, maximum: 86_400_000, default: 3_600_000 }),
        /** How long a delivery is retried before it is given up and its endpoint disabled. */
        retryWindowSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400, default: 86_400 }),
        maxEndpointsPerTenant: Type.Integer({ minimum: 0, maximum: 1_000, default: 10 }),
        /** Deliveries sent at once. */
        concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 8 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

/** The validated configuration. */
export type Config = Static<typeof ConfigSchema>;

/** Configuration that cannot be used; `problems` lists every reason. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Environment variables read, with what each sets. */
export const ENV_VARS = {
  BLGV_CONFIG: 'path of a JSON file with any part of the configuration',
  BLGV_HOST: 'server.host: address the HTTP server listens on (default 127.0.0.1)',
  BLGV_PORT: 'server.port: HTTP port (default 8080; 0 picks a free one)',
  BLGV_TLS_CERT: 'server.tls.certPath: PEM certificate to serve HTTPS with (set with BLGV_TLS_KEY)',
  BLGV_TLS_KEY: "server.tls.keyPath: the certificate's PEM private key",
  DATABASE_URL: 'database: Postgres URL; when unset, embedded PGlite is used',
  BLGV_DATA_DIR:
    "database.dataDir for PGlite (default: in memory with the regtest network, else ~/.local/share/blgv-lsp/pglite; 'memory' keeps it in memory)",
  LND_RPC_ADDRESS: 'lightning: host:port of an existing LND; when unset, a regtest network is started',
  LND_TLS_CERT_PATH: "lightning.tlsCertPath: LND's tls.cert",
  LND_MACAROON_PATH: 'lightning.macaroonPath: an LND macaroon (admin.macaroon)',
  LOG_LEVEL: 'logLevel: fatal, error, warn, info (default), debug or trace',
  BLGV_SECRETS_KEY:
    'secretsKey: 64 hex chars encrypting API secrets at rest (required with a persistent database)',
  BLGV_REPLICA: "jobs.replicaName: this replica's name in the job lease table (default: random)",
  BLGV_METRICS_TOKEN: 'monitoring.prometheusToken: bearer token for GET /metrics (unset: not served)',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function fromEnv(env: Env, file: Record<string, unknown>): Record<string, unknown> {
  const server = { ...(file.server as object | undefined) } as Record<string, unknown>;
  if (env.BLGV_HOST) server.host = env.BLGV_HOST;
  if (env.BLGV_PORT) server.port = /^\d+$/.test(env.BLGV_PORT) ? Number(env.BLGV_PORT) : env.BLGV_PORT;
  if (env.BLGV_TLS_CERT || env.BLGV_TLS_KEY)
    server.tls = { certPath: env.BLGV_TLS_CERT, keyPath: env.BLGV_TLS_KEY };

  let lightning = (file.lightning as Record<string, unknown> | undefined) ?? { mode: 'regtest' };
  const lndVars = [env.LND_RPC_ADDRESS, env.LND_TLS_CERT_PATH, env.LND_MACAROON_PATH];
  if (lndVars.some(Boolean)) {
    lightning = {
      mode: 'lnd',
      rpcAddress: env.LND_RPC_ADDRESS,
      tlsCertPath: env.LND_TLS_CERT_PATH,
      macaroonPath: env.LND_MACAROON_PATH,
    };
  }

  let database = file.database;
  if (env.DATABASE_URL) database = { kind: 'postgres', url: env.DATABASE_URL };
  else if (env.BLGV_DATA_DIR) database = { kind: 'pglite', dataDir: resolve(env.BLGV_DATA_DIR) };
  else if (!database) {
    // The embedded regtest chain lives for one run, and so, by default, does its database.
    const dir =
      lightning.mode === 'regtest' ? 'memory' : join(homedir(), '.local', 'share', 'blgv-lsp', 'pglite');
    database = { kind: 'pglite', dataDir: dir };
  }
  const secretsKey = env.BLGV_SECRETS_KEY ?? file.secretsKey;
  const jobs = env.BLGV_REPLICA
    ? { ...(file.jobs as object | undefined), replicaName: env.BLGV_REPLICA }
    : file.jobs;
  const monitoring = env.BLGV_METRICS_TOKEN
    ? { ...(file.monitoring as object | undefined), prometheusToken: env.BLGV_METRICS_TOKEN }
    : file.monitoring;
  return {
    ...file,
    ...(jobs !== undefined ? { jobs } : {}),
    ...(monitoring !== undefined ? { monitoring } : {}),
    server,
    database,
    lightning,
    logLevel: env.LOG_LEVEL ?? file.logLevel ?? 'info',
    ...(secretsKey !== undefined ? { secretsKey } : {}),
  };
}

/** Builds and validates the configuration; throws {@link ConfigError} naming every problem. */
export function loadConfig(
  env: Env = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Config {
  let file: Record<string, unknown> = {};
  if (env.BLGV_CONFIG) {
    try {
      file = JSON.parse(readFile(env.BLGV_CONFIG)) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([
        `BLGV_CONFIG ${env.BLGV_CONFIG}: ${err instanceof Error ? err.message : String(err)}`,
      ]);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new ConfigError([`BLGV_CONFIG ${env.BLGV_CONFIG}: must hold a JSON object`]);
    }
  }
  const candidate = Value.Default(ConfigSchema, fromEnv(env, file));
  const problems = [...Value.Errors(ConfigSchema, candidate)].map(
    (e) =>
      `${e.path || '/'}: ${e.message}${e.value === undefined ? '' : ` (got ${JSON.stringify(e.value)})`}`,
  );
  const config = candidate as Config;
  const persistent = !(config.database.kind === 'pglite' && config.database.dataDir === 'memory');
  if (problems.length === 0 && persistent && !config.secretsKey) {
    problems.push(
      '/secretsKey: required with a persistent database (set BLGV_SECRETS_KEY to 64 hex characters)',
    );
  }
  if (config.channels?.minCapacity > config.channels?.maxCapacity)
    problems.push('/channels: minCapacity is above maxCapacity');
  if (config.channels?.minFeeRate > config.channels?.maxFeeRate)
    problems.push('/channels: minFeeRate is above maxFeeRate');
  if (config.reservations?.minAmount > config.reservations?.maxAmount)
    problems.push('/reservations: minAmount is above maxAmount');
  if (config.reservations?.minDurationMs > config.reservations?.maxDurationMs)
    problems.push('/reservations: minDurationMs is above maxDurationMs');
  if (config.hosting?.portFrom > config.hosting?.portTo) problems.push('/hosting: portFrom is above portTo');
  if (config.webhooks?.retryBaseMs > config.webhooks?.retryMaxMs)
    problems.push('/webhooks: retryBaseMs is above retryMaxMs');
  const holdTiming = {
    holdInvoiceCltv: config.lsps1?.holdInvoiceCltv,
    lndHoldExpiryDelta: config.lsps1?.lndHoldExpiryDelta,
    openDeadlineSeconds: config.lsps1?.openDeadlineSeconds,
    openTimeoutSeconds: config.channels?.openTimeoutSeconds,
  };
  if (Object.values(holdTiming).every(Number.isInteger)) {
    const hold = holdCltvProblem(holdTiming as Parameters<typeof holdCltvProblem>[0]);
    if (hold) problems.push(`/lsps1: ${hold}`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return config;
}
