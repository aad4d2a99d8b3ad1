/** Peers and their messages: the domain types its port speaks (no LND type). */
import type { Pubkey } from '../../ids.ts';

/** A connected peer. */
export interface Peer {
  readonly pubkey: Pubkey;
  readonly address: string;
  readonly inbound: boolean;
}

/** A peer connecting or disconnecting. */
export interface PeerEvent {
  readonly pubkey: Pubkey;
  readonly online: boolean;
}

/** A custom peer message (LSPS0 uses type 37913). */
export interface CustomMessage {
  readonly peer: Pubkey;
  readonly type: number;
  readonly data: Uint8Array;
}
