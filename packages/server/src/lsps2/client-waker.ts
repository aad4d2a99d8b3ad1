/**
 * The port through which the JIT forwarder wakes client nodes that are not connected: LSPS5
 * notifications (`lsps5/lsps5-notifier.ts` implements it). The forwarder owns it; it works
 * without one (no client is woken).
 */
import type { Pubkey, Scid } from '@blgv/core';

/**
 * Wakes client nodes that are not connected (LSPS5): told of each HTLC the forwarder sees, and
 * asked to wait for a JIT channel's client before the channel is opened to it.
 */
export interface ClientWaker {
  /**
   * An HTLC arrived for a JIT channel of `client`, or (`client` undefined) for the channel
   * `outgoingScid`. Returns at once; never throws.
   */
  htlcArrived(outgoingScid: Scid, client: Pubkey | undefined, signal: AbortSignal): void;
  /** Waits (as long as allowed) for `client` to be connected. */
  awaitClient(client: Pubkey, signal: AbortSignal): Promise<AwaitedClient>;
}

/** What became of waiting for a JIT channel's client before its open. */
export interface AwaitedClient {
  /** It is connected: it was, or it came within the wait. */
  readonly online: boolean;
  /**
   * It came online while waited for (woken by a notification): until this time (epoch ms), an
   * open it refuses is tried again, since a wallet just started may not have its channel
   * acceptor up yet (an LND wallet's node reconnects to the LSP before its hooks do).
   */
  readonly retryRefusalsUntil?: number;
}
