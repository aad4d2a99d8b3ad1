/**
 * The `wrapped` section: JIT channels for wallets on a stock node through wrapped invoices (the
 * Flow 2.0 API, docs/wrapped-invoices.md). Channel sizes, the open timeout and fee-rate bounds
 * are shared with LSPS2 (`lsps2.minChannelSize`, `lsps2.maxChannelSize`) and `channels`.
 */
import { Type } from '@sinclair/typebox';
import { Sat } from './schema-units.ts';

/** The `wrapped` section of the configuration. */
export const WrappedConfigSchema = Type.Object(
  {
    /** Serve `/api/v1/{info,fee,proposal}` and `/v1/wrapped-invoices`, and run their job. */
    enabled: Type.Boolean({ default: true }),
    /**
     * A bearer token the unsigned Flow 2.0 routes require (`Authorization: Bearer ...`), at least
     * 16 characters; without one they are open, as wallets expect.
     */
    bearerToken: Type.Optional(Type.String({ minLength: 16 })),
    /**
     * `host:port` addresses of the LSP's node that `/api/v1/info` announces (default: the node's
     * own, as LND lists them with `--externalip`).
     */
    nodeAddresses: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9.\\-]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$' }), {
        maxItems: 10,
      }),
    ),
    /** How long a fee quote holds for a proposal. */
    feeQuoteSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 600 }),
    minPaymentSizeMsat: Sat(10_000_000, 1),
    maxPaymentSizeMsat: Sat(1_000_000_000, 1),
    /** The least time a wrapped invoice leaves the payer. */
    minExpirySeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 120 }),
    /** Taken off the wallet invoice's expiry: the LSP's time to open and pay once paid. */
    expiryMarginSeconds: Type.Integer({ minimum: 0, maximum: 3_600, default: 60 }),
    /** Blocks the wrapped invoice's final CLTV adds to the wallet's. */
    cltvExpiryDelta: Type.Integer({ minimum: 18, maximum: 2016, default: 80 }),
    /** The largest final CLTV a wallet's invoice may ask for. */
    maxWalletCltv: Type.Integer({ minimum: 18, maximum: 2016, default: 1008 }),
    /** Wrapped invoices of one wallet waiting for their payment or in progress at once. */
    maxOpenPerWallet: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
    /** Such wrapped invoices of all wallets together (then 429 until some are paid or expire). */
    maxOpen: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
    /**
     * Channels a wallet was opened (its funding withheld) but never settled the payment on:
     * past this many, its proposals are refused (each one cost the LSP a negotiation and
     * locked inputs, though never an on-chain fee).
     */
    maxUnsettledPerWallet: Type.Integer({ minimum: 0, maximum: 1_000, default: 3 }),
    /** Channels never settled count against a wallet for this many days after they ended. */
    unsettledForgetDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
    /** How long paying the wallet's invoice over its channel may take before it is tracked. */
    payTimeoutSeconds: Type.Integer({ minimum: 5, maximum: 600, default: 60 }),
    /**
     * Wrapped invoices' channels whose payments are held within this many milliseconds of the
     * first share one withheld funding, under `lsps2`'s batch rules (`maxBatchChannels`,
     * `batchMaxWaitMs`, `batchWithheld`). 0 (the default): each alone, at once: a wallet's first
     * payment does not wait for others that may never come.
     */
    batchWindowMs: Type.Integer({ minimum: 0, maximum: 5_000, default: 0 }),
    /** Unsigned requests one address (and one wallet pubkey) may make per minute. */
    requestsPerMinute: Type.Integer({ minimum: 1, maximum: 100_000, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);
