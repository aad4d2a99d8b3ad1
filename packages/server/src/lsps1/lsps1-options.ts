/**
 * LSPS1's advertised options (`lsps1.get_info`) and the check of an order against them
 * (bLIP-51): an order inside every advertised option is never refused for a limit the LSP does
 * not advertise, and an order outside one is refused with `100` naming that option.
 */
import type { Lsps1Info } from '@blgv/protocol';

/** The limits the options come from (config). */
export interface Lsps1OptionLimits {
  /** Smallest and largest channel the LSP opens (capacity, sat). */
  readonly minChannel: number;
  readonly maxChannel: number;
  /** The most the client may be given at open. */
  readonly maxClientBalance: number;
  readonly maxChannelExpiryBlocks: number;
  /** The fewest confirmations the LSP waits for (it never opens zero-conf LSPS1 channels). */
  readonly minRequiredConfirmations: number;
}

/** What an order asks, in numbers. */
export interface OrderAsk {
  readonly lspBalance: bigint;
  readonly clientBalance: bigint;
  readonly requiredChannelConfirmations: number;
  readonly fundingConfirmsWithinBlocks: number;
  readonly channelExpiryBlocks: number;
}

/** The options, as `lsps1.get_info` answers them (each min <= max). */
export function lsps1Options(l: Lsps1OptionLimits): Lsps1Info {
  const maxClient = Math.max(0, Math.min(l.maxClientBalance, l.maxChannel - l.minChannel));
  return {
    min_required_channel_confirmations: l.minRequiredConfirmations,
    min_funding_confirms_within_blocks: 1,
    supports_zero_channel_reserve: false,
    max_channel_expiry_blocks: l.maxChannelExpiryBlocks,
    min_initial_client_balance_sat: '0',
    max_initial_client_balance_sat: String(maxClient),
    min_initial_lsp_balance_sat: String(l.minChannel),
    max_initial_lsp_balance_sat: String(l.maxChannel),
    min_channel_balance_sat: String(l.minChannel),
    max_channel_balance_sat: String(l.maxChannel),
  };
}

/** The option an order falls outside of (the first), with why; `undefined` when it fits. */
export function optionMismatch(
  options: Lsps1Info,
  order: OrderAsk,
): { readonly property: keyof Lsps1Info; readonly message: string } | undefined {
  const total = order.lspBalance + order.clientBalance;
  const checks: [boolean, keyof Lsps1Info, string][] = [
    [
      order.lspBalance < BigInt(options.min_initial_lsp_balance_sat),
      'min_initial_lsp_balance_sat',
      `lsp_balance_sat must be at least ${options.min_initial_lsp_balance_sat}`,
    ],
    [
      order.lspBalance > BigInt(options.max_initial_lsp_balance_sat),
      'max_initial_lsp_balance_sat',
      `lsp_balance_sat must be at most ${options.max_initial_lsp_balance_sat}`,
    ],
    [
      order.clientBalance < BigInt(options.min_initial_client_balance_sat),
      'min_initial_client_balance_sat',
      `client_balance_sat must be at least ${options.min_initial_client_balance_sat}`,
    ],
    [
      order.clientBalance > BigInt(options.max_initial_client_balance_sat),
      'max_initial_client_balance_sat',
      `client_balance_sat must be at most ${options.max_initial_client_balance_sat}`,
    ],
    [
      total < BigInt(options.min_channel_balance_sat),
      'min_channel_balance_sat',
      `lsp_balance_sat + client_balance_sat must be at least ${options.min_channel_balance_sat}`,
    ],
    [
      total > BigInt(options.max_channel_balance_sat),
      'max_channel_balance_sat',
      `lsp_balance_sat + client_balance_sat must be at most ${options.max_channel_balance_sat}`,
    ],
    [
      order.requiredChannelConfirmations < options.min_required_channel_confirmations,
      'min_required_channel_confirmations',
      `required_channel_confirmations must be at least ${options.min_required_channel_confirmations}`,
    ],
    [
      order.fundingConfirmsWithinBlocks < options.min_funding_confirms_within_blocks,
      'min_funding_confirms_within_blocks',
      `funding_confirms_within_blocks must be at least ${options.min_funding_confirms_within_blocks}`,
    ],
    [
      order.channelExpiryBlocks > options.max_channel_expiry_blocks,
      'max_channel_expiry_blocks',
      `channel_expiry_blocks must be at most ${options.max_channel_expiry_blocks}`,
    ],
  ];
  const hit = checks.find(([outside]) => outside);
  return hit ? { property: hit[1], message: hit[2] } : undefined;
}
