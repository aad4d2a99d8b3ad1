/**
 * Wrapped invoices (JIT channels for wallets on a stock node): the Flow 2.0-compatible shapes
 * (`/api/v1/info`, `/api/v1/fee`, `/api/v1/proposal`, snake_case as the wallets that speak it send
 * and read them) and the signed REST ones (`/v1/wrapped-invoices/...`, camelCase like the rest of
 * the API). Flow 2.0 clients send and read msat amounts as JSON integers (u64); they are accepted
 * up to 2^53 - 1, where a JSON number is still exact, and read into integers, never floats.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MsatString } from './wire-values.ts';

const MsatInteger = (description: string) =>
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: `${description}, msat` });

/** One way to reach the LSP's node. */
export const FlowConnectionMethod = Type.Object({
  type: Type.Union([Type.Literal('ipv4'), Type.Literal('ipv6'), Type.Literal('torv3')]),
  address: Type.String(),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
});

/** `GET /api/v1/info`. */
export const FlowInfoResponse = Type.Object({
  pubkey: Type.String({ description: "the LSP node's public key" }),
  connection_methods: Type.Array(FlowConnectionMethod),
});
export type FlowInfoResponse = Static<typeof FlowInfoResponse>;

/** `POST /api/v1/fee`: the fee to wrap an invoice of `amount_msat` for the wallet `pubkey`. */
export const FlowFeeBody = Type.Object(
  {
    amount_msat: MsatInteger("the amount of the wallet's invoice"),
    pubkey: Type.String({ maxLength: 200, description: "the wallet node's public key, 33 bytes hex" }),
  },
  { additionalProperties: false },
);
export type FlowFeeBody = Static<typeof FlowFeeBody>;

export const FlowFeeResponse = Type.Object({
  amount_msat: Type.Integer({ description: 'the fee, msat (the name some clients read)' }),
  fee_amount_msat: Type.Integer({ description: 'the fee, msat' }),
  id: Type.String({ description: 'the fee id to name in the proposal' }),
});
export type FlowFeeResponse = Static<typeof FlowFeeResponse>;

/** `POST /api/v1/proposal`: wrap the wallet's invoice under the fee `fee_id`. */
export const FlowProposalBody = Type.Object(
  {
    bolt11: Type.String({ minLength: 1, maxLength: 7089, description: "the wallet's BOLT11 invoice" }),
    fee_id: Type.String({ maxLength: 100, description: 'the id `/api/v1/fee` answered' }),
    host: Type.Optional(
      Type.String({ maxLength: 255, description: "the wallet node's address, to connect to" }),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false },
);
export type FlowProposalBody = Static<typeof FlowProposalBody>;

export const FlowProposalResponse = Type.Object({
  jit_bolt11: Type.String({
    description: "the wrapped invoice: the payer pays this; same hash as the wallet's",
  }),
});
export type FlowProposalResponse = Static<typeof FlowProposalResponse>;

/** `POST /v1/wrapped-invoices/fee` (signed): as `/api/v1/fee`, for a tenant. */
export const WrappedFeeBody = Type.Object(
  {
    amountMsat: MsatString("the amount of the wallet's invoice"),
    walletPubkey: Type.String({ maxLength: 200, description: "the wallet node's public key, 33 bytes hex" }),
  },
  { additionalProperties: false },
);
export type WrappedFeeBody = Static<typeof WrappedFeeBody>;

export const WrappedFeeResponse = Type.Object({
  feeId: Type.String(),
  amountMsat: MsatString("the amount of the wallet's invoice"),
  feeMsat: MsatString('the fee the wrapped invoice adds'),
  expiresAt: Type.String({ format: 'date-time', description: 'the fee holds for proposals until then' }),
});
export type WrappedFeeResponse = Static<typeof WrappedFeeResponse>;

/** `POST /v1/wrapped-invoices` (signed): as `/api/v1/proposal`, for a tenant. */
export const WrapInvoiceBody = Type.Object(
  {
    invoice: Type.String({ minLength: 1, maxLength: 7089, description: "the wallet's BOLT11 invoice" }),
    feeId: Type.String({ maxLength: 100 }),
    walletAddress: Type.Optional(
      Type.String({ maxLength: 260, description: "the wallet node's host:port, to connect to" }),
    ),
  },
  { additionalProperties: false },
);
export type WrapInvoiceBody = Static<typeof WrapInvoiceBody>;

/** A wrapped invoice as the signed API shows it. */
export const WrappedInvoiceView = Type.Object({
  id: Type.String(),
  paymentHash: Type.String(),
  walletPubkey: Type.String(),
  invoice: Type.String({ description: "the wallet's invoice" }),
  wrappedInvoice: Type.String({ description: 'the invoice the payer pays' }),
  amountMsat: MsatString("the wallet's amount"),
  feeMsat: MsatString('the fee'),
  expiresAt: Type.String({ format: 'date-time' }),
  state: Type.Union(
    ['awaiting_payment', 'opening', 'paying', 'settling', 'completed', 'failed', 'expired'].map((s) =>
      Type.Literal(s),
    ),
  ),
  channelScid: Type.Union([Type.String(), Type.Null()], {
    description:
      "the LSP's channel (its scid alias) the wallet is paid over: an existing one once chosen, a new one once the wallet is paid",
  }),
  failure: Type.Union([Type.String(), Type.Null()]),
});
export type WrappedInvoiceView = Static<typeof WrappedInvoiceView>;

/** An error of the Flow 2.0 routes: the API's one error shape, with `status`/`reason` as Flow clients read. */
export const FlowErrorResponse = Type.Object({
  status: Type.Literal('ERROR'),
  reason: Type.String(),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
