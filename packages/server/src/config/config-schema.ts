/**
 * The schema of the configuration (documented in docs/configuration.md): the server's own sections
 * (listening, database, Lightning node, jobs, monitoring, webhooks) here, the others from the
 * files that group them.
 */
import { type Static, Type } from '@sinclair/typebox';
import { HostingConfigSchema } from './hosting-schema.ts';
import {
  Lsps0ConfigSchema,
  Lsps1ConfigSchema,
  Lsps2ConfigSchema,
  Lsps5ConfigSchema,
} from './lsps-schemas.ts';
import {
  ChannelsConfigSchema,
  FeesConfigSchema,
  LiquidityConfigSchema,
  PaymentsConfigSchema,
  ReservationsConfigSchema,
  TopupsConfigSchema,
} from './money-schemas.ts';
import { RoutingConfigSchema } from './routing-fees-schema.ts';
import { LogLevel } from './schema-units.ts';
import { WrappedConfigSchema } from './wrapped-schema.ts';

/** The schema of the configuration (documented in docs/configuration.md). */
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
        {
          kind: Type.Literal('postgres'),
          url: Type.String({ pattern: '^postgres(ql)?://' }),
          /** A query's wait for a free pool connection (default 10 s). */
          connectionTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
          /** Postgres `statement_timeout` (default 60 s; migrations run under it too). */
          statementTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
          /** Postgres `idle_in_transaction_session_timeout` (default 120 s). */
          idleInTransactionTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
        },
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
    /** Signed-request authentication. */
    auth: Type.Object(
      {
        /**
         * A key id the database does not know (or knows revoked) is refused from memory for this
         * long, so a flood of made-up ids costs no reads. 0 turns it off. Kept short: a key made
         * on this server is known at once, one made elsewhere has a fresh random id anyway.
         */
        unknownKeyCacheSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
        /**
         * The most signed requests a tenant's keys together may make per `windowSeconds` (a
         * fixed window per tenant, counted per replica); past it, `429 rate_limited` with
         * `Retry-After`. `max` 0 turns it off.
         */
        rateLimit: Type.Object(
          {
            max: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1_200 }),
            windowSeconds: Type.Integer({ minimum: 1, maximum: 3_600, default: 10 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    fees: FeesConfigSchema,
    channels: ChannelsConfigSchema,
    lsps0: Lsps0ConfigSchema,
    lsps1: Lsps1ConfigSchema,
    liquidity: LiquidityConfigSchema,
    lsps2: Lsps2ConfigSchema,
    lsps5: Lsps5ConfigSchema,
    /** Wrapped invoices: JIT channels for wallets on a stock node (the Flow 2.0 API). */
    wrapped: WrappedConfigSchema,
    topups: TopupsConfigSchema,
    reservations: ReservationsConfigSchema,
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
    hosting: HostingConfigSchema,
    payments: PaymentsConfigSchema,
    /** The routing room: fees that follow liquidity, quotes (docs/routing.md). */
    routing: RoutingConfigSchema,
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
    /** The event log (`GET /v1/events`, the source of webhooks and of the JIT latency figure). */
    events: Type.Object(
      {
        /**
         * How long an event stays in the log (the newest always stays). 90 days by default:
         * longer than the figures' longest window (30 days); at least a day, so that every
         * event is made into its webhooks long before it can go.
         */
        retentionSeconds: Type.Integer({ minimum: 86_400, maximum: 3_650 * 86_400, default: 90 * 86_400 }),
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
        /**
         * How long a finished delivery (delivered, or given up) is kept with its attempts after
         * it was made and last attempted; pending ones stay. 30 days by default.
         */
        deliveryRetentionSeconds: Type.Integer({ minimum: 1, maximum: 3_650 * 86_400, default: 30 * 86_400 }),
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
