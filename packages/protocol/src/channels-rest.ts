/**
 * The REST shapes of channels: the fee schedule, quotes, and channels bought
 * (`/v1/fees`, `/v1/channels`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { NextCursor } from './paging.ts';
import { HostPort, Pubkey, SatAmount, Timestamp } from './wire-values.ts';

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

/**
 * `POST /v1/channels/quote`: the body of the purchase it prices (`POST /v1/channels`), the
 * client node optional. Only `channelSize`, `pushAmount` and `feeRate` change the price; the
 * other fields are checked as the purchase checks them and otherwise ignored.
 */
export const ChannelQuoteBody = Type.Object(
  {
    ...ChannelRequestBody.properties,
    clientPubkey: Type.Optional(ChannelRequestBody.properties.clientPubkey),
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

/** `GET /v1/channels`: the tenant's bought channels, newest first, a page at a time. */
export const ChannelsResponse = Type.Object({
  channels: Type.Array(ChannelResponse),
  nextCursor: NextCursor,
});
export type ChannelsResponse = Static<typeof ChannelsResponse>;
