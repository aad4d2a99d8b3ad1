/**
 * LSPS2 (bLIP-52): JIT channels. Amounts are decimal strings in fields ending `_msat`; times
 * are ISO 8601; the JIT scid is written `<block>x<tx>x<output>`.
 */
import { type Static, Type } from '@sinclair/typebox';

/** LSPS2 error codes. */
export const Lsps2Error = {
  UnrecognizedOrStaleToken: 200,
  InvalidOpeningFeeParams: 201,
  PaymentSizeTooSmall: 202,
  PaymentSizeTooLarge: 203,
} as const;

const MsatString = Type.String({
  pattern: '^(0|[1-9][0-9]{0,19})$',
  description: 'millisatoshis as a decimal string',
});

/** `lsps2.get_info` params. */
export const Lsps2GetInfoParams = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 512 })) },
  { additionalProperties: false },
);
export type Lsps2GetInfoParams = Static<typeof Lsps2GetInfoParams>;

/** One entry of the fee menu; `promise` lets `buy` check the rest came back unaltered. */
export const OpeningFeeParams = Type.Object(
  {
    min_fee_msat: MsatString,
    proportional: Type.Integer({ minimum: 0, maximum: 4_294_967_295 }),
    valid_until: Type.String({ maxLength: 40 }),
    min_lifetime: Type.Integer({ minimum: 0, maximum: 4_294_967_295 }),
    max_client_to_self_delay: Type.Integer({ minimum: 0, maximum: 4_294_967_295 }),
    min_payment_size_msat: MsatString,
    max_payment_size_msat: MsatString,
    promise: Type.String({ maxLength: 512 }),
  },
  { additionalProperties: false },
);
export type OpeningFeeParams = Static<typeof OpeningFeeParams>;

/** `lsps2.get_info` result. */
export interface Lsps2Info {
  readonly opening_fee_params_menu: OpeningFeeParams[];
}

/** `lsps2.buy` params (plus, over HTTP only, the client node the channel goes to). */
export const Lsps2BuyParams = Type.Object(
  {
    opening_fee_params: OpeningFeeParams,
    payment_size_msat: Type.Optional(MsatString),
    /** HTTP transport only: the node the JIT channel opens to (peer messages use the sender). */
    client_node_pubkey: Type.Optional(Type.String({ pattern: '^0[23][0-9a-fA-F]{64}$' })),
  },
  { additionalProperties: false },
);
export type Lsps2BuyParams = Static<typeof Lsps2BuyParams>;

/** `lsps2.buy` result. */
export interface Lsps2BuyResult {
  readonly jit_channel_scid: string;
  readonly lsp_cltv_expiry_delta: number;
  readonly client_trusts_lsp: boolean;
}
