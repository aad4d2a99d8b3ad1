/**
 * The REST shapes of the operator's routes (`/v1/admin`): tenants, keys, the audit, jobs and
 * the records of JIT channels and liquidity purchases.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MsatString, SatAmount, SatString, Timestamp } from './wire-values.ts';

/** `POST /v1/admin/tenants`. */
export const TenantBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export const TenantResponse = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Timestamp });

/** `GET /v1/admin/audit`: the ledger reconciled with LND. */
export const AuditResponse = Type.Object({
  at: Timestamp,
  clean: Type.Boolean({ description: 'true when nothing disagrees' }),
  discrepancies: Type.Array(
    Type.Object({
      check: Type.String({ description: 'the check that found it, e.g. channel_refunded_but_funded' }),
      subject: Type.String({ description: 'what it is about, e.g. channel_request:<id>' }),
      message: Type.String(),
    }),
  ),
  checked: Type.Record(Type.String(), Type.Integer(), { description: 'records looked at, per kind' }),
  inFlight: Type.Record(Type.String(), Type.Integer(), { description: 'records still moving, not judged' }),
  totals: Type.Object({
    ledgerByKind: Type.Record(Type.String(), Type.Integer(), {
      description: 'net sat per ledger entry kind (credits positive)',
    }),
    openingFees: SatAmount('opening fees of funded REST channels'),
    pushesSold: SatAmount('pushes sold (sats handed to clients, paid for)'),
    networkFeesCharged: SatAmount('network fees charged for funded channels'),
    networkFeesPaid: SatAmount("what the LSP's funding transactions paid the miners"),
    topupsCredited: SatAmount('top-ups credited'),
    rebalanceCostsMsat: Type.Integer({
      minimum: 0,
      description: "what the rebalances made cost the LSP (its own expense, in no tenant's ledger), msat",
    }),
    wrappedFeesMsat: Type.Integer({
      minimum: 0,
      description: 'what completed wrapped invoices earned the LSP (their fees), msat',
    }),
    unpaidChannelsSat: SatAmount(
      'what channels the LSP closed because their client never paid cost it of their fundings (its own expense)',
    ),
  }),
});
export type AuditResponse = Static<typeof AuditResponse>;
export type TenantResponse = Static<typeof TenantResponse>;

/** `POST /v1/admin/keys`. */
export const KeyBody = Type.Object(
  {
    tenantId: Type.String({ format: 'uuid' }),
    scope: Type.Union([Type.Literal('admin'), Type.Literal('tenant')]),
    label: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export const KeyResponse = Type.Object({
  keyId: Type.String(),
  secret: Type.String({ description: 'shown once; store it now' }),
  tenantId: Type.String(),
  scope: Type.String(),
});
export type KeyResponse = Static<typeof KeyResponse>;

/** `GET /v1/admin/jit-channels/:scid`: one LSPS2 JIT channel as the LSP recorded it. */
export const AdminJitChannelResponse = Type.Object({
  id: Type.String(),
  jitScid: Type.String({ description: 'the scid handed to the client in `lsps2.buy` (`BxTxO`)' }),
  owner: Type.Object({ kind: Type.Union([Type.Literal('node'), Type.Literal('tenant')]), id: Type.String() }),
  clientPubkey: Type.String(),
  state: Type.String({
    description:
      'awaiting_payment, opening, publishing, forwarding, withheld, awaiting_preimage, releasing, completed, withdrawn or expired',
  }),
  clientTrustsLsp: Type.Boolean({
    description:
      'bLIP-52 `client_trusts_lsp` as `lsps2.buy` answered it: the funding is withheld until the client releases the preimage',
  }),
  validUntil: Timestamp,
  minFeeMsat: MsatString('minimum opening fee'),
  proportional: Type.String({ description: 'opening fee, ppm of the payment' }),
  paymentSizeMsat: Type.Optional(MsatString('the payment size bought (absent: variable amount)')),
  paymentHash: Type.Optional(Type.String()),
  feeMsat: Type.Optional(MsatString('the opening fee taken')),
  channelCapacity: Type.Optional(SatString('capacity of the channel opened')),
  fundingTxid: Type.Optional(Type.String()),
  fundingOutputIndex: Type.Optional(Type.Integer()),
  channelScid: Type.Optional(Type.String({ description: "the new channel's alias scid" })),
  failure: Type.Optional(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AdminJitChannelResponse = Static<typeof AdminJitChannelResponse>;

/** `GET /v1/admin/liquidity/purchases/:id`: one purchase of liquidity from the upstream LSP. */
export const AdminLiquidityPurchaseResponse = Type.Object({
  id: Type.String(),
  upstreamPubkey: Type.String(),
  orderId: Type.String({ description: "the upstream LSP's LSPS1 order id" }),
  state: Type.String({ description: 'ordered, paying, paid, opening, completed, refused or failed' }),
  amount: SatString('outbound liquidity asked for'),
  maxFee: SatString('the most the purchase may cost'),
  lspBalance: SatString("the channel's LSP-side balance ordered"),
  clientBalance: SatString("the channel's client-side balance ordered (our outbound)"),
  feeTotal: SatString("the upstream's fee"),
  orderTotal: SatString('what the order costs in all'),
  payAddress: Type.String(),
  refundAddress: Type.String(),
  paymentTxid: Type.Optional(Type.String()),
  onchainFee: Type.Optional(SatString('mining fee of the payment')),
  fundingOutpoint: Type.Optional(Type.String()),
  outbound: Type.Optional(SatString('outbound the channel gave us')),
  failure: Type.Optional(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AdminLiquidityPurchaseResponse = Static<typeof AdminLiquidityPurchaseResponse>;

/** `GET /v1/admin/jobs`: the background jobs, who runs each, and how they fare here. */
export const AdminJobsResponse = Type.Object({
  replica: Type.String({ description: "this server's name in the lease table" }),
  jobs: Type.Array(
    Type.Object({
      name: Type.String(),
      holder: Type.Optional(
        Type.String({ description: 'the replica that holds the lease (absent: nobody)' }),
      ),
      leaseExpiresAt: Type.Optional(Timestamp),
      leaseToken: Type.Optional(
        Type.String({
          description:
            "the lease's fencing token (decimal): drawn anew at every taking, greater than every earlier holding's",
        }),
      ),
      runningHere: Type.Boolean(),
      restartsHere: Type.Integer({
        description: 'times the job failed (or returned) and was restarted here',
      }),
      lastErrorHere: Type.Optional(Type.String()),
      refusedWritesHere: Type.Integer({
        description:
          "writes and actions of the job refused here because this replica no longer held the job's lease",
      }),
      leaseLossesHere: Type.Integer({
        description:
          'times the job was stopped here because its lease was lost or could not be renewed in time',
      }),
    }),
  ),
});
export type AdminJobsResponse = Static<typeof AdminJobsResponse>;
