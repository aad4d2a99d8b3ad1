/**
 * How large an LSPS1 order must be for our node to gain `amount` of spendable outbound.
 *
 * In LSPS1 the upstream opens the channel to us. `lsp_balance_sat` stays on the upstream's
 * side (it is inbound for us); `client_balance_sat` is pushed to our side at open, and we pay
 * for it in the order total (`order_total = fee + client_balance`). Outbound liquidity is
 * therefore bought as `client_balance_sat`: the money is still ours, moved from the on-chain
 * wallet into the channel; only the fee is a cost.
 *
 * What we can spend of our side is our balance minus the channel reserve the opener makes us
 * keep: LND's default is 1 % of the capacity, at least 354 sat (its dust limit for unknown
 * witnesses). The initiator pays the commitment and anchor fees, so nothing else comes off our
 * side. The LSP side is kept at the upstream's minimum: it is capacity we pay a fee on and do
 * not need, but never below its reserve plus a fee buffer: the opener pays the commitment fee
 * of every HTLC we add, and LND lets us add none while that would leave the opener under its
 * reserve.
 */
import { ErrorCode, LspError, ppmOfCeil, type Sat, sat } from '@blgv/core';
import type { UpstreamInfo } from './upstream-lsps1-wire.ts';

/** The smallest channel reserve LND asks of the remote side. */
export const MIN_CHANNEL_RESERVE = 354n;
/** The reserve as a share of the capacity (LND: 1 %). */
const RESERVE_DIVISOR = 100n;

/**
 * What the upstream side keeps above its reserve for commitment fees: a commitment with many
 * HTLCs at a high fee rate (about 50 HTLCs at 100 sat/vB on an anchor channel).
 */
export const OPENER_FEE_BUFFER = 50_000n;

/** The balances to order. */
export interface UpstreamOrderSize {
  readonly lspBalance: Sat;
  readonly clientBalance: Sat;
}

/** The channel reserve LND makes the non-opening side keep in a channel of `capacity`. */
export function channelReserve(capacity: bigint): bigint {
  return larger((capacity + RESERVE_DIVISOR - 1n) / RESERVE_DIVISOR, MIN_CHANNEL_RESERVE);
}

/**
 * The order that leaves at least `amount` plus `headroomPpm` spendable on our side, within
 * the upstream's limits; a `lsp_insufficient_funds` {@link LspError} when none fits.
 */
export function sizeUpstreamOrder(amount: Sat, headroomPpm: bigint, info: UpstreamInfo): UpstreamOrderSize {
  const wanted = amount + ppmOfCeil(amount, headroomPpm);
  let lsp: bigint = info.minLspBalance;
  let client: bigint = wanted;
  // The reserve depends on the capacity, which depends on the client side: settle on a fixed
  // point (it grows by at most 1 % per round), counting the capacity at least the minimum.
  const capacityOf = (c: bigint) => larger(lsp + c, info.minChannelBalance);
  for (let i = 0; i < 20; i++) {
    const reserve = channelReserve(capacityOf(client));
    const next = wanted + reserve;
    // The upstream side must stay above its own reserve after paying the commitment fee of
    // our HTLCs (the opener pays it): below that, LND gives our side no bandwidth at all.
    const nextLsp = larger(info.minLspBalance, reserve + OPENER_FEE_BUFFER);
    if (next === client && nextLsp === lsp) break;
    client = next;
    lsp = nextLsp;
  }
  if (lsp + client < info.minChannelBalance) lsp = info.minChannelBalance - client;
  if (client < info.minClientBalance) client = info.minClientBalance;
  const refuse = (limit: string, value: bigint, max: bigint) =>
    new LspError(
      ErrorCode.LspInsufficientFunds,
      `the upstream LSP sells at most ${max} sat of ${limit}; ${value} sat would be needed for ${amount} sat of outbound`,
      { limit, needed: Number(value), max: Number(max) },
    );
  if (client > info.maxClientBalance) throw refuse('client balance', client, info.maxClientBalance);
  if (lsp > info.maxLspBalance) throw refuse('LSP balance', lsp, info.maxLspBalance);
  if (lsp + client > info.maxChannelBalance)
    throw refuse('channel capacity', lsp + client, info.maxChannelBalance);
  return { lspBalance: sat(lsp), clientBalance: sat(client) };
}

/** What our side of a channel can spend: its balance minus the reserve. */
export function spendableOf(channel: { readonly localBalance: Sat; readonly localReserve: Sat }): Sat {
  return sat(channel.localBalance > channel.localReserve ? channel.localBalance - channel.localReserve : 0n);
}

/** The larger of two bigints (`Math.max` takes numbers only). */
function larger(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
