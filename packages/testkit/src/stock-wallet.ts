/**
 * A wallet on a stock lnd node (the release build, no hook: what Zeus embeds) that gets JIT
 * channels through wrapped invoices: connected to its LSP, with a channel acceptor that takes
 * zero-conf channels from that LSP only, as a stock wallet's acceptor does.
 */
import type { Harness, LndNode } from '@blgv/regtest';
import { within } from './network.ts';

/** How the wallet's acceptor answers; asked on each channel the wallet is offered. */
export interface StockWalletPolicy {
  /** Refuse the channel (default: take it). */
  readonly refuseChannel?: () => boolean;
}

/**
 * Connects `wallet` to `lsp` and registers its channel acceptor (until `signal` aborts):
 * zero-conf only from `lsp`, every channel refused while `policy.refuseChannel()` says so.
 * Resolves once the acceptor is registered.
 */
export async function startStockWallet(
  h: Harness,
  wallet: LndNode,
  lsp: LndNode,
  signal: AbortSignal,
  policy: StockWalletPolicy = {},
): Promise<void> {
  await wallet.lnd.connectPeer(lsp.pubkey, lsp.host, within());
  let registered = false;
  await wallet.lnd.acceptChannels(
    (p) =>
      policy.refuseChannel?.()
        ? { accept: false, error: 'no channels wanted' }
        : { accept: true, zeroConf: p.remotePubkey === lsp.pubkey && p.wantsZeroConf },
    { signal, onConnected: () => (registered = true) },
  );
  await h.waitFor(() => registered, { what: `${wallet.name}'s channel acceptor` });
}
