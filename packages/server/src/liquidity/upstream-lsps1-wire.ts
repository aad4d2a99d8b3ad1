/**
 * What an upstream LSP answers to our LSPS1 calls (bLIP-51), parsed once where it enters and
 * turned into domain types. Only the fields the purchase uses are required; anything else the
 * upstream sends is ignored. A malformed answer is a `lightning_rejected` {@link LspError}.
 */
import { type ChannelPoint, ErrorCode, LspError, parseHex32, type Sat, sat } from '@blgv/core';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const SatString = Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$' });

const InfoWire = Type.Object({
  min_required_channel_confirmations: Type.Integer({ minimum: 0 }),
  max_channel_expiry_blocks: Type.Integer({ minimum: 0 }),
  min_initial_client_balance_sat: SatString,
  max_initial_client_balance_sat: SatString,
  min_initial_lsp_balance_sat: SatString,
  max_initial_lsp_balance_sat: SatString,
  min_channel_balance_sat: SatString,
  max_channel_balance_sat: SatString,
});

const PaymentWire = Type.Object({ fee_total_sat: SatString, order_total_sat: SatString });

const OrderWire = Type.Object({
  order_id: Type.String({ minLength: 1, maxLength: 100 }),
  lsp_balance_sat: SatString,
  client_balance_sat: SatString,
  order_state: Type.Union([Type.Literal('CREATED'), Type.Literal('COMPLETED'), Type.Literal('FAILED')]),
  payment: Type.Object({
    bolt11: Type.Optional(Type.Union([PaymentWire, Type.Null()])),
    onchain: Type.Optional(
      Type.Union([
        Type.Composite([
          PaymentWire,
          Type.Object({
            address: Type.String({ minLength: 1, maxLength: 100 }),
            min_onchain_payment_confirmations: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
          }),
        ]),
        Type.Null(),
      ]),
    ),
  }),
  channel: Type.Optional(
    Type.Union([
      Type.Object({ funding_outpoint: Type.String({ pattern: '^[0-9a-fA-F]{64}:[0-9]{1,10}$' }) }),
      Type.Null(),
    ]),
  ),
});

/** The upstream's LSPS1 limits (`lsps1.get_info`). */
export interface UpstreamInfo {
  readonly minRequiredConfirmations: number;
  readonly maxChannelExpiryBlocks: number;
  readonly minClientBalance: Sat;
  readonly maxClientBalance: Sat;
  readonly minLspBalance: Sat;
  readonly maxLspBalance: Sat;
  readonly minChannelBalance: Sat;
  readonly maxChannelBalance: Sat;
}

/** How an order may be paid on-chain. */
export interface UpstreamOnchainPayment {
  readonly address: string;
  /** The upstream's fee. */
  readonly feeTotal: Sat;
  /** What to pay: the fee plus the client balance. */
  readonly orderTotal: Sat;
}

/** An upstream LSPS1 order (`create_order` / `get_order`). */
export interface UpstreamOrder {
  readonly id: string;
  readonly lspBalance: Sat;
  readonly clientBalance: Sat;
  readonly state: 'CREATED' | 'COMPLETED' | 'FAILED';
  /** The fee quoted for the order (from whichever payment option carries it). */
  readonly feeTotal: Sat | undefined;
  /** Absent when the upstream only takes Lightning payments. */
  readonly onchain: UpstreamOnchainPayment | undefined;
  /** Set once the upstream published the channel's funding transaction. */
  readonly fundingOutpoint: ChannelPoint | undefined;
}

/** Parses `lsps1.get_info`'s result. */
export function parseUpstreamInfo(result: unknown): UpstreamInfo {
  const w = checked(InfoWire, result, 'lsps1.get_info');
  return {
    minRequiredConfirmations: w.min_required_channel_confirmations,
    maxChannelExpiryBlocks: w.max_channel_expiry_blocks,
    minClientBalance: sat(w.min_initial_client_balance_sat),
    maxClientBalance: sat(w.max_initial_client_balance_sat),
    minLspBalance: sat(w.min_initial_lsp_balance_sat),
    maxLspBalance: sat(w.max_initial_lsp_balance_sat),
    minChannelBalance: sat(w.min_channel_balance_sat),
    maxChannelBalance: sat(w.max_channel_balance_sat),
  };
}

/** Parses the order object of `lsps1.create_order` and `lsps1.get_order`. */
export function parseUpstreamOrder(result: unknown): UpstreamOrder {
  const w = checked(OrderWire, result, 'LSPS1 order');
  const onchain = w.payment.onchain ?? undefined;
  const quoted = onchain ?? w.payment.bolt11 ?? undefined;
  const outpoint = w.channel?.funding_outpoint;
  const [txid, index] = outpoint ? outpoint.split(':') : [];
  return {
    id: w.order_id,
    lspBalance: sat(w.lsp_balance_sat),
    clientBalance: sat(w.client_balance_sat),
    state: w.order_state,
    feeTotal: quoted ? sat(quoted.fee_total_sat) : undefined,
    onchain: onchain
      ? {
          address: onchain.address,
          feeTotal: sat(onchain.fee_total_sat),
          orderTotal: sat(onchain.order_total_sat),
        }
      : undefined,
    fundingOutpoint:
      txid !== undefined && index !== undefined
        ? { txid: parseHex32(txid.toLowerCase()), outputIndex: Number(index) }
        : undefined,
  };
}

/**
 * Checks the order is the one we asked for (same balances, total = fee + client balance) and
 * payable on-chain; returns its on-chain option.
 */
export function payableOnchain(
  order: UpstreamOrder,
  size: { readonly lspBalance: Sat; readonly clientBalance: Sat },
): UpstreamOnchainPayment {
  if (order.lspBalance !== size.lspBalance || order.clientBalance !== size.clientBalance) {
    throw new LspError(
      ErrorCode.LightningRejected,
      `the upstream's order ${order.id} has other balances than asked`,
    );
  }
  const onchain = order.onchain;
  if (!onchain) {
    throw new LspError(
      ErrorCode.LspInsufficientFunds,
      'the upstream LSP offers no on-chain payment, and Lightning cannot pay it while outbound is short',
    );
  }
  if (onchain.orderTotal !== onchain.feeTotal + order.clientBalance) {
    throw new LspError(
      ErrorCode.LightningRejected,
      `the upstream's order total ${onchain.orderTotal} is not its fee ${onchain.feeTotal} plus the client balance ${order.clientBalance}`,
    );
  }
  return onchain;
}

function checked<T extends TSchema>(schema: T, value: unknown, what: string) {
  if (Value.Check(schema, value)) return value;
  const first = [...Value.Errors(schema, value)][0];
  throw new LspError(
    ErrorCode.LightningRejected,
    `the upstream LSP sent a malformed ${what}: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}`,
  );
}
