/**
 * Whether a client node is connected to the LSP node right now (a BOLT 8 connection: bLIP-55's
 * "does not have a BOLT8 tunnel with the LSP"), asked of LND each time, so any replica answers
 * the same.
 */
import type { PeersPort, Pubkey } from '@blgv/core';
import { pause } from '../poll.ts';

const POLL_MS = 250;

/** Asks LND who is connected. */
export class PeerPresence {
  readonly #lightning: Pick<PeersPort, 'listPeers'>;

  constructor(lightning: Pick<PeersPort, 'listPeers'>) {
    this.#lightning = lightning;
  }

  /** True when `client` is connected now. */
  async isOnline(client: Pubkey, signal: AbortSignal): Promise<boolean> {
    return (await this.online(signal)).has(client);
  }

  /** Every connected peer. */
  async online(signal: AbortSignal): Promise<Set<Pubkey>> {
    const peers = await this.#lightning.listPeers(AbortSignal.any([signal, AbortSignal.timeout(10_000)]));
    return new Set(peers.map((p) => p.pubkey));
  }

  /** Resolves true once `client` is connected, false when `ms` pass (or `signal` aborts) first. */
  async waitOnline(client: Pubkey, ms: number, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await this.isOnline(client, signal).catch(() => false)) return true;
      if (signal.aborted || Date.now() >= deadline) return false;
      await pause(Math.min(POLL_MS, deadline - Date.now()), signal);
    }
  }
}
