/**
 * LSPS1 (bLIP-51): buying a channel. Amounts are decimal strings in fields ending `_sat`;
 * times are ISO 8601.
 */
import { type Static, Type } from '@sinclair/typebox';
import { HostPort } from './wire-values.ts';

/** LSPS1 error codes. */
export const Lsps1Error = {
  OptionMismatch: 100,
  NotFound: 101,
  BadToken: 102,
} as const;

const SatString = Type.String({
  pattern: '^(0|[1-9][0-9]{0,18})$',
  description: 'satoshis as a decimal string',
});

/** `lsps1.create_order` params (plus, over HTTP only, the client node to open to). */
export const CreateOrderParams = Type.Object(
  {
    lsp_balance_sat: SatString,
    client_balance_sat: SatString,
    required_channel_confirmations: Type.Integer({ minimum: 0, maximum: 65535 }),
    funding_confirms_within_blocks: Type.Integer({ minimum: 0, maximum: 65535 }),
    channel_expiry_blocks: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
    token: Type.Optional(Type.String({ maxLength: 512 })),
    refund_onchain_address: Type.Optional(Type.String({ maxLength: 100 })),
    announce_channel: Type.Boolean(),
    /** HTTP transport only: the node to open the channel to (peer messages use the sender). */
    client_node_pubkey: Type.Optional(Type.String({ pattern: '^0[23][0-9a-fA-F]{64}$' })),
    /** HTTP transport only: where to reach that node, `host:port`. */
    client_node_host: Type.Optional(HostPort),
  },
  { additionalProperties: false },
);
export type CreateOrderParams = Static<typeof CreateOrderParams>;

/** `lsps1.get_order` params. */
export const GetOrderParams = Type.Object(
  { order_id: Type.String({ maxLength: 100 }) },
  { additionalProperties: false },
);
export type GetOrderParams = Static<typeof GetOrderParams>;

/** `lsps1.get_info` params. */
export const GetInfoParams = Type.Object({}, { additionalProperties: false });

/** `lsps1.get_info` result. */
export interface Lsps1Info {
  readonly min_required_channel_confirmations: number;
  readonly min_funding_confirms_within_blocks: number;
  readonly supports_zero_channel_reserve: boolean;
  readonly max_channel_expiry_blocks: number;
  readonly min_initial_client_balance_sat: string;
  readonly max_initial_client_balance_sat: string;
  readonly min_initial_lsp_balance_sat: string;
  readonly max_initial_lsp_balance_sat: string;
  readonly min_channel_balance_sat: string;
  readonly max_channel_balance_sat: string;
}

/** The on-chain payment option of an order. */
export interface Lsps1OnchainPayment {
  readonly state: 'EXPECT_PAYMENT' | 'PAID' | 'REFUNDED';
  readonly expires_at: string;
  readonly fee_total_sat: string;
  readonly order_total_sat: string;
  /** Pay `order_total_sat` here. */
  readonly address: string;
  readonly min_onchain_payment_confirmations: number;
  /** Absent: we take no unconfirmed payments (bLIP-51: null or absent when confirmations > 0). */
  readonly min_fee_for_0conf?: number;
  readonly refund_onchain_address: string;
}

/** The order object returned by `create_order` and `get_order`. */
export interface Lsps1Order {
  readonly order_id: string;
  readonly lsp_balance_sat: string;
  readonly client_balance_sat: string;
  readonly required_channel_confirmations: number;
  readonly funding_confirms_within_blocks: number;
  readonly channel_expiry_blocks: number;
  readonly token: string;
  readonly created_at: string;
  readonly announce_channel: boolean;
  readonly order_state: 'CREATED' | 'COMPLETED' | 'FAILED';
  readonly payment: {
    readonly bolt11: {
      readonly state: 'EXPECT_PAYMENT' | 'HOLD' | 'PAID' | 'REFUNDED';
      readonly expires_at: string;
      readonly fee_total_sat: string;
      readonly order_total_sat: string;
      readonly invoice: string;
    };
    /** Offered only when the client gave `refund_onchain_address` (else omitted, bLIP-51). */
    readonly onchain?: Lsps1OnchainPayment;
  };
  readonly channel: {
    readonly funded_at: string;
    readonly funding_outpoint: string;
    readonly expires_at: string;
  } | null;
}
