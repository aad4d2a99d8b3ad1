/**
 * The port through which the LSP acquires outbound liquidity it does not have, e.g. by buying a
 * channel from an upstream LSP over LSPS1. Reservations call it when the node's spendable
 * balance minus active reservations is short.
 */
import type { ChannelPoint } from '../lightning/types.ts';
import type { Sat } from '../money.ts';

/** What the caller is willing to pay and wait for. */
export interface LiquidityLimits {
  /** The most the acquisition may cost, all fees included. */
  readonly maxFee: Sat;
  /** Gives up (and costs nothing) when this aborts. */
  readonly signal: AbortSignal;
}

/** Liquidity that is now usable: a channel on which the LSP holds `outbound`. */
export interface AcquiredLiquidity {
  readonly outbound: Sat;
  /** What it cost, all fees included. */
  readonly fee: Sat;
  readonly channelPoint: ChannelPoint;
  /** Where it came from, for logs and the ledger (e.g. `lsps1:<upstream pubkey>:<order id>`). */
  readonly reference: string;
}

/** Acquires outbound liquidity. */
export interface LiquiditySource {
  /**
   * Acquires at least `amount` of outbound liquidity and resolves once it can carry payments.
   * Rejects with an {@link LspError} (`lsp_insufficient_funds` when it cannot be had within the
   * limits) and then has spent nothing.
   */
  acquire(amount: Sat, limits: LiquidityLimits): Promise<AcquiredLiquidity>;
}
