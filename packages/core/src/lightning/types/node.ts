/** The node itself: the domain types its port speaks (no LND type). */
import type { Pubkey } from '../../ids.ts';

/** What a node says about itself. */
export interface NodeInfo {
  readonly pubkey: Pubkey;
  readonly alias: string;
  readonly color: string;
  readonly blockHeight: number;
  readonly blockHash: string;
  readonly syncedToChain: boolean;
  readonly syncedToGraph: boolean;
  /** `pubkey@host:port` for each address the node listens on. */
  readonly uris: readonly string[];
  readonly version: string;
  readonly numActiveChannels: number;
  readonly numPendingChannels: number;
  readonly numPeers: number;
}

/** What verifying a signed message found. */
export interface VerifiedMessage {
  /** True when the signature is valid over the message (for the key it recovers). */
  readonly valid: boolean;
  /** The node key the signature recovers to. */
  readonly pubkey: Pubkey | undefined;
}

/** Permissions for a baked macaroon, as `entity:action` pairs or URIs. */
export interface MacaroonPermission {
  readonly entity: string;
  readonly action: string;
}
