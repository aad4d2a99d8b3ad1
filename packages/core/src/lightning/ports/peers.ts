/**
 * Peers and the custom messages exchanged with them (LSPS0 rides on these).
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Pubkey } from '../../ids.ts';
import type { StreamOptions } from '../stream-options.ts';
import type { CustomMessage, Peer, PeerEvent } from '../types.ts';

/** Peers and the custom messages exchanged with them (LSPS0 rides on these). */
export interface PeersPort {
  /** Connects to a peer; succeeds when already connected. */
  connectPeer(pubkey: Pubkey, host: string, signal: AbortSignal): Promise<void>;

  listPeers(signal: AbortSignal): Promise<Peer[]>;

  /** Disconnects a peer; succeeds when it was not connected. */
  disconnectPeer(pubkey: Pubkey, signal: AbortSignal): Promise<void>;

  /**
   * Peers connecting and disconnecting, as they happen (after a reconnect, events missed
   * meanwhile are not replayed: `listPeers` tells who is connected).
   */
  peerEvents(options: StreamOptions): AsyncIterable<PeerEvent>;

  sendCustomMessage(message: CustomMessage, signal: AbortSignal): Promise<void>;

  customMessages(options: StreamOptions): AsyncIterable<CustomMessage>;
}
