/**
 * The REST API's request and response shapes, as TypeBox schemas: the server validates with
 * them and generates its OpenAPI document from them; the SDK derives its types from them.
 * Sat amounts are JSON integers (never fractions); ids are strings.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LEDGER_PAGE, LIST_PAGE, NextCursor, PageQuery } from './paging.ts';

/** A satoshi amount on the wire. */
export const SatAmount = (description: string, minimum = 0) =>
  Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, description: `${description} (sat)` });

const Pubkey = Type.String({
  pattern: '^0[23][0-9a-fA-F]{64}$',
  description: 'node public key, 33 bytes hex',
});
const HostPort = Type.String({
  pattern: '^[A-Za-z0-9.\\-]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$',
  maxLength: 260,
  description: 'host:port',
});
const Timestamp = Type.String({ format: 'date-time' });

/** Every error: `{ error: { code, message, details? } }`. */
export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'stable machine-readable code' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

/** `GET /v1/fees`: the fee schedule, and what else a purchase pays for. */
export const FeesResponse = Type.Object({
  channelOpening: Type.Object(
    {
      baseFee: SatAmount('fixed fee per channel'),
      capacityFeePpm: Type.Integer({ description: 'parts per million of capacity' }),
    },
    { description: 'the opening fee of a channel: baseFee + capacityFeePpm of its capacity, rounded up' },
  ),
  channelPush: Type.String({
    description:
      "what a channel with a pushAmount costs on top: the push itself, sat for sat (it is the LSP's money handed to the client)",
  }),
  network: Type.Object(
    {
      channelVbytes: Type.Integer({ description: "a channel's share of its funding transaction, in vB" }),
      feeRate: Type.Integer({
        description: "the LSP's 6-block estimate now (sat/vB), used when a request gives no feeRate",
      }),
      channelFee: SatAmount('channelVbytes x feeRate: the network fee of a channel at that rate'),
    },
    {
      description:
        "the network fee of a channel: its share of the funding transaction at the fee rate used, at cost (REST quotes and LSPS1 fee_total_sat include it; LSPS2's min_fee_msat never goes below it)",
    },
  ),
  liquidity: Type.Object(
    {
      reservationFee: SatAmount('fee per reservation'),
      utilizationFeePpm: Type.Integer({ description: 'ppm of what each payment takes from a reservation' }),
    },
    {
      description:
        'a reservation also pays for liquidity bought from outside for it (purchaseFee), within its maxFeeRate',
    },
  ),
  routing: Type.Object(
    {
      baseFeeMsat: Type.Integer({ description: 'per payment, msat' }),
      feeRatePpm: Type.Integer({ description: 'ppm of the amount' }),
    },
    {
      description:
        "a payment's routing fee (also the most the network may take), and the LSP node's forwarding fees",
    },
  ),
  hosting: Type.Object({
    monthlyFee: SatAmount('per hosted node and month'),
    transactionFee: SatAmount('per transaction'),
  }),
});
export type FeesResponse = Static<typeof FeesResponse>;

/** The spec's `ChannelRequest`, as a body of `POST /v1/channels`. */
export const ChannelRequestBody = Type.Object(
  {
    clientPubkey: Pubkey,
    channelSize: SatAmount('channel capacity', 1),
    pushAmount: Type.Optional(SatAmount('amount pushed to the client at open')),
    feeRate: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000, description: 'funding fee rate, sat/vB' }),
    ),
    isPrivate: Type.Optional(Type.Boolean({ description: 'unannounced channel' })),
    clientHost: Type.Optional(HostPort),
  },
  { additionalProperties: false },
);
export type ChannelRequestBody = Static<typeof ChannelRequestBody>;

/** `POST /v1/channels/quote`. */
export const ChannelQuoteBody = Type.Object(
  {
    channelSize: SatAmount('channel capacity', 1),
    pushAmount: Type.Optional(SatAmount('amount pushed to the client')),
    feeRate: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'sat/vB' })),
  },
  { additionalProperties: false },
);
export type ChannelQuoteBody = Static<typeof ChannelQuoteBody>;

const EstimatedConfirmation = Type.Object({
  blocks: Type.Integer({ description: 'expected blocks until the funding transaction confirms' }),
  seconds: Type.Integer({ description: 'the same, at ten minutes a block' }),
});

const FeeBreakdown = Type.Object({
  baseFee: SatAmount('fixed part'),
  capacityFee: SatAmount('capacity part'),
  total: SatAmount('opening fee charged'),
});

const NetworkFee = Type.Object(
  {
    feeRate: Type.Integer({ description: 'sat/vB the funding transaction pays' }),
    vbytes: Type.Integer({ description: "the channel's share of the funding transaction" }),
    total: SatAmount('feeRate x vbytes, charged at cost'),
  },
  { description: "the channel's share of its funding transaction at the fee rate used" },
);

export const ChannelQuoteResponse = Type.Object({
  capacity: SatAmount('channel capacity'),
  pushAmount: SatAmount("amount pushed: charged sat for sat (it is the LSP's money handed to the client)"),
  fee: FeeBreakdown,
  networkFee: NetworkFee,
  total: SatAmount('what buying this channel charges: fee.total + pushAmount + networkFee.total'),
  estimatedConfirmation: EstimatedConfirmation,
});
export type ChannelQuoteResponse = Static<typeof ChannelQuoteResponse>;

/** Where a sold channel is. */
export const ChannelStatus = Type.Union(
  ['opening', 'pending', 'open', 'closed', 'failed'].map((s) => Type.Literal(s)),
);

/** The spec's `ChannelResponse`, extended with what a client needs to follow it. */
export const ChannelResponse = Type.Object({
  channelId: Type.String({ description: 'id of this channel request (UUID)' }),
  status: ChannelStatus,
  clientPubkey: Type.String(),
  capacity: SatAmount('channel capacity'),
  pushAmount: SatAmount('amount pushed (charged sat for sat)'),
  fee: SatAmount('opening fee charged'),
  networkFee: SatAmount("network fee charged: the channel's share of its funding transaction"),
  charged: SatAmount('everything charged: fee + pushAmount + networkFee'),
  feeRate: Type.Union([Type.Integer(), Type.Null()], { description: 'sat/vB of the funding transaction' }),
  isPrivate: Type.Boolean(),
  fundingTxid: Type.Union([Type.String(), Type.Null()]),
  outputIndex: Type.Union([Type.Integer(), Type.Null()]),
  estimatedConfirmation: EstimatedConfirmation,
  failure: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ChannelResponse = Static<typeof ChannelResponse>;

/** `?limit=&cursor=` of a list of the tenant's records, newest first (channels, payments). */
export const ListQuery = PageQuery(LIST_PAGE, 'records');
export type ListQuery = Static<typeof ListQuery>;

/** `GET /v1/channels`: the tenant's bought channels, newest first, a page at a time. */
export const ChannelsResponse = Type.Object({
  channels: Type.Array(ChannelResponse),
  nextCursor: NextCursor,
});
export type ChannelsResponse = Static<typeof ChannelsResponse>;

export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) }, { additionalProperties: false });

/** `POST /v1/account/topups`. */
export const TopupBody = Type.Object(
  { amount: SatAmount('amount to credit', 1) },
  { additionalProperties: false },
);
export type TopupBody = Static<typeof TopupBody>;

export const TopupResponse = Type.Object({
  paymentHash: Type.String(),
  paymentRequest: Type.String({ description: 'BOLT11 invoice to pay' }),
  amount: SatAmount('amount credited when paid'),
  state: Type.Union(['open', 'settled', 'canceled'].map((s) => Type.Literal(s))),
  expiresAt: Timestamp,
});
export type TopupResponse = Static<typeof TopupResponse>;

export const BalanceResponse = Type.Object({
  tenantId: Type.String(),
  balance: SatAmount('balance: the sum of the ledger'),
  debt: SatAmount(
    'owed: hosted-node payment fees the balance could not cover, paid first by the next credit; while above 0 every charge is refused (402)',
  ),
  debtSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      'when the oldest unpaid debt was incurred (hosted nodes are suspended once it is older than the grace period)',
  }),
});
export type BalanceResponse = Static<typeof BalanceResponse>;

/** `?limit=&cursor=` of `GET /v1/account/ledger`. */
export const LedgerQuery = PageQuery(LEDGER_PAGE, 'entries');
export type LedgerQuery = Static<typeof LedgerQuery>;

/** `GET /v1/account/ledger`: the tenant's ledger entries, newest first, a page at a time. */
export const LedgerResponse = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      amount: Type.Integer({ description: 'credit (+) or charge (-), sat' }),
      reference: Type.String(),
      description: Type.String(),
      createdAt: Timestamp,
    }),
  ),
  nextCursor: NextCursor,
});
export type LedgerResponse = Static<typeof LedgerResponse>;

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

/** `POST /v1/liquidity/reservations` (the spec's `LiquidityRequest`). */
export const ReservationBody = Type.Object(
  {
    amount: SatAmount('outbound liquidity to set aside', 1),
    duration: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'how long, ms' }),
    maxFeeRate: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'the most the reservation may cost if fully used, ppm of amount',
    }),
  },
  { additionalProperties: false },
);
export type ReservationBody = Static<typeof ReservationBody>;

/** The spec's `LiquidityResponse`, extended with what a client needs to follow it. */
export const ReservationResponse = Type.Object({
  reservationId: Type.String({ description: 'UUID' }),
  state: Type.Union(['active', 'exhausted', 'released', 'expired'].map((s) => Type.Literal(s))),
  allocated: SatAmount('liquidity set aside'),
  used: SatAmount('taken by payments so far'),
  remaining: SatAmount('left to pay with'),
  feeRate: Type.Integer({ description: 'effective fee if fully used, ppm of allocated (rounded up)' }),
  reservationFee: SatAmount('charged when reserved (purchaseFee included)'),
  purchaseFee: SatAmount(
    'what the liquidity bought from outside for it cost (0 when none was bought); the reservation pays it',
  ),
  utilizationFeePpm: Type.Integer({ description: 'charged on each payment, ppm of its amount' }),
  externalLiquidity: Type.Boolean({ description: 'liquidity was bought from an upstream LSP for it' }),
  expiresAt: Timestamp,
  createdAt: Timestamp,
});
export type ReservationResponse = Static<typeof ReservationResponse>;

/** `POST /v1/payments` (the spec's `sendPayment`). */
export const PaymentBody = Type.Object(
  {
    invoice: Type.String({ minLength: 1, maxLength: 7089, description: 'BOLT11 payment request' }),
    reservationId: Type.Optional(Type.String({ maxLength: 100, description: 'pay with this reservation' })),
    amount: Type.Optional(SatAmount('for an invoice without an amount', 1)),
  },
  { additionalProperties: false },
);
export type PaymentBody = Static<typeof PaymentBody>;

export const PaymentHashParams = Type.Object(
  { paymentHash: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: '32 bytes hex' }) },
  { additionalProperties: false },
);

export const PaymentResponse = Type.Object({
  paymentHash: Type.String(),
  status: Type.Union(['pending', 'succeeded', 'failed'].map((s) => Type.Literal(s))),
  amountMsat: Type.String({ pattern: '^[0-9]+$', description: 'amount paid to the destination, msat' }),
  destination: Type.String(),
  reservationId: Type.Union([Type.String(), Type.Null()]),
  charged: Type.Object({
    amount: SatAmount('the amount, rounded up'),
    routingFee: SatAmount("the schedule's routing fee"),
    utilizationFee: SatAmount('the reservation utilization fee'),
    total: SatAmount('charged to the balance (refunded if the payment fails)'),
  }),
  feePaidMsat: Type.Union([Type.String(), Type.Null()], { description: 'what the network took, msat' }),
  routeCount: Type.Union([Type.Integer(), Type.Null()], { description: 'HTLCs (parts) used' }),
  preimage: Type.Union([Type.String(), Type.Null()]),
  failure: Type.Union([Type.String(), Type.Null()]),
  attempt: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PaymentResponse = Static<typeof PaymentResponse>;

/** `GET /v1/payments`: the tenant's payments, newest first, a page at a time. */
export const PaymentsResponse = Type.Object({
  payments: Type.Array(PaymentResponse),
  nextCursor: NextCursor,
});
export type PaymentsResponse = Static<typeof PaymentsResponse>;

/** `GET /v1/events` query. */
export const EventsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        pattern: '^(0|[1-9][0-9]{0,17})$',
        description: 'a cursor from an earlier answer: events after it (default: from the start)',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 100' })),
    subjectKind: Type.Optional(Type.String({ maxLength: 50, description: 'e.g. `channel_request`' })),
    subjectId: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

/** One state transition, as `GET /v1/events` lists it. */
export const EventResponse = Type.Object({
  cursor: Type.String({ description: "the event's place in the log; pass it as `after` to read on" }),
  at: Timestamp,
  subjectKind: Type.String({
    description:
      'channel_request, lsps1_order, lsps1_refund, jit_channel, channel_funding, reservation, payment, topup, liquidity_purchase or ledger_entry',
  }),
  subjectId: Type.String(),
  tenantId: Type.Optional(Type.String()),
  state: Type.String({ description: "the subject's state after the transition (a ledger entry's kind)" }),
  facts: Type.Object(
    {},
    {
      additionalProperties: true,
      description:
        'what the transition recorded: amounts as decimal strings (*_sat, *_msat, *_ppm), txid, scid, failure',
    },
  ),
});
export type EventResponse = Static<typeof EventResponse>;

/** `GET /v1/events`. */
export const EventsResponse = Type.Object({
  events: Type.Array(EventResponse),
  next: Type.String({
    description: 'pass as `after` to read the events that follow (the last cursor, or `after` when none)',
  }),
});
export type EventsResponse = Static<typeof EventsResponse>;

/** An msat amount on the wire: a decimal string, so it never passes through a float. */
export const MsatString = (description: string) =>
  Type.String({ pattern: '^[0-9]+$', description: `${description}, msat` });
const SatString = (description: string) =>
  Type.String({ pattern: '^[0-9]+$', description: `${description}, sat` });

/** `GET /v1/admin/jit-channels/:scid`: one LSPS2 JIT channel as the LSP recorded it. */
export const AdminJitChannelResponse = Type.Object({
  id: Type.String(),
  jitScid: Type.String({ description: 'the scid handed to the client in `lsps2.buy` (`BxTxO`)' }),
  owner: Type.Object({ kind: Type.Union([Type.Literal('node'), Type.Literal('tenant')]), id: Type.String() }),
  clientPubkey: Type.String(),
  state: Type.String({
    description: 'awaiting_payment, opening, publishing, forwarding, completed, failed or expired',
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
      runningHere: Type.Boolean(),
      restartsHere: Type.Integer({
        description: 'times the job failed (or returned) and was restarted here',
      }),
      lastErrorHere: Type.Optional(Type.String()),
    }),
  ),
});
export type AdminJobsResponse = Static<typeof AdminJobsResponse>;
