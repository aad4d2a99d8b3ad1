/**
 * Watchtowers: the node's own tower (the server side), and the towers its client backs up
 * revoked channel states to, so that a peer publishing an old state while the node is offline
 * is punished all the same. One of the Lightning node's ports (see `../backend.ts`).
 */
import type { Pubkey } from '../../ids.ts';

/** A tower as a client dials it. */
export interface TowerAddress {
  /** The tower's identity key (not the node's). */
  readonly pubkey: Pubkey;
  /** `host:port` of its listener. */
  readonly address: string;
}

/** What the node's own tower says of itself. */
export interface OwnTower {
  readonly pubkey: Pubkey;
  /** `host:port` it listens on (`watchtower.listen`). */
  readonly listeners: readonly string[];
  /** `pubkey@host:port` it announces (`watchtower.externalip`); empty without one. */
  readonly uris: readonly string[];
}

/** What the node's tower client has done with one tower, summed over its sessions. */
export interface TowerBackups {
  /** Revoked states the tower has accepted. */
  readonly backups: number;
  /** Revoked states waiting to be sent to it. */
  readonly pendingBackups: number;
  readonly sessions: number;
}

/** Watchtowers: the node's own tower and its tower client. */
export interface WatchtowerPort {
  /**
   * The node's own tower (LND `watchtowerrpc.GetInfo`), or `undefined` when it runs none (not
   * built with `watchtowerrpc`, or started without `watchtower.active`).
   */
  ownTower(signal: AbortSignal): Promise<OwnTower | undefined>;

  /**
   * Registers a tower with the node's client (LND `wtclientrpc.AddTower`; the node keeps it, and
   * adding one it has is harmless). False when the node has no tower client (started without
   * `wtclient.active`, or an older lnd built without the `wtclientrpc` tag).
   */
  addTower(tower: TowerAddress, signal: AbortSignal): Promise<boolean>;

  /**
   * What the node's client has backed up to `tower` (LND `wtclientrpc.GetTowerInfo`), or
   * `undefined` when the client does not know that tower or has no client.
   */
  towerBackups(tower: Pubkey, signal: AbortSignal): Promise<TowerBackups | undefined>;
}
