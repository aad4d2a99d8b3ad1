/**
 * The per-peer request bounds of the LSPS peer transport: a token bucket and a count of
 * requests in flight for each peer. A peer whose bucket has refilled and who has nothing in
 * flight is forgotten (it would start from a full bucket anyway), so the map holds only peers
 * active lately, however many keys ever sent a message.
 */
import { RATE_MAP_PRUNE_FLOOR } from '@blgv/core';

/** Per-peer bounds. */
export interface PeerBounds {
  /** Requests a peer may make per second on average. */
  readonly ratePerSecond: number;
  /** Requests a peer may make in a burst. */
  readonly burst: number;
  /** Requests of one peer being worked on at once. */
  readonly maxInFlight: number;
}

/** Defaults: generous for a wallet, tight for a flood. */
export const DEFAULT_PEER_BOUNDS: PeerBounds = { ratePerSecond: 5, burst: 20, maxInFlight: 4 };

/** An admitted request of a peer: `done` (or `refund`) is called once when it ends. */
export interface PeerTurn {
  readonly done: () => void;
  /** Gives the token back (the message was not a request to serve). */
  readonly refund: () => void;
}

interface PeerState {
  tokens: number;
  at: number;
  inFlight: number;
}

/** Token buckets per peer, swept once they hold many peers (amortised O(1) per message). */
export class PeerBuckets {
  readonly #bounds: PeerBounds;
  readonly #peers = new Map<string, PeerState>();
  #pruneAt = RATE_MAP_PRUNE_FLOOR;

  constructor(bounds: PeerBounds = DEFAULT_PEER_BOUNDS) {
    this.#bounds = bounds;
  }

  /** Peers held now. */
  get size(): number {
    return this.#peers.size;
  }

  /** Takes a token of `peer` at `now` (ms): a turn, or undefined when the peer is over its bounds. */
  take(peer: string, now: number): PeerTurn | undefined {
    if (this.#peers.size >= this.#pruneAt) this.#prune(now);
    const b = this.#bounds;
    const state = this.#peers.get(peer) ?? { tokens: b.burst, at: now, inFlight: 0 };
    state.tokens = Math.min(b.burst, state.tokens + ((now - state.at) / 1000) * b.ratePerSecond);
    state.at = now;
    this.#peers.set(peer, state);
    if (state.tokens < 1 || state.inFlight >= b.maxInFlight) return undefined;
    state.tokens -= 1;
    state.inFlight += 1;
    return {
      done: () => {
        state.inFlight -= 1;
      },
      refund: () => {
        state.inFlight -= 1;
        state.tokens += 1;
      },
    };
  }

  /** Forgets peers with nothing in flight whose bucket is full again by `now`. */
  #prune(now: number): void {
    const b = this.#bounds;
    for (const [peer, s] of this.#peers) {
      if (s.inFlight === 0 && s.tokens + ((now - s.at) / 1000) * b.ratePerSecond >= b.burst)
        this.#peers.delete(peer);
    }
    this.#pruneAt = Math.max(RATE_MAP_PRUNE_FLOOR, 2 * this.#peers.size);
  }
}
