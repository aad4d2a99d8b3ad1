/**
 * The watchtower that guards hosted nodes' channels while they are offline
 * (`hosting.watchtower`, docs/hosting.md "Watchtower").
 *
 * A node its tenant stopped, or one down for a while, cannot answer a peer that publishes a
 * revoked commitment: once the commitment's delay has passed, the peer takes the whole channel.
 * Each node's tower client (`--wtclient.active`) sends every revoked state, encrypted, to the
 * tower; the tower publishes the justice transaction itself when the old state appears on chain,
 * paying everything to the node's own wallet.
 *
 * The tower is resolved once, at the server's start ({@link resolveWatchtower}): the LSP's own
 * LND's (`lsp`), one the operator names (`pubkey@host:port`), or none (`off`, or an LSP whose LND
 * runs none the nodes can dial). The nodes run the tower client only when there is one. It is
 * registered with each node when the node is created, before its first channel, and again by the
 * keeper once per server run (the node keeps its towers; adding one again is harmless); the
 * node's record keeps which tower it has, and `/metrics` counts the live nodes that have none.
 */
import { type OwnTower, parsePubkey, type TowerAddress, type WatchtowerPort } from '@blgv/core';
import type { HostedNodeRecord, HostedNodesRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { NodeConnections } from './node-connections.ts';

/** `hosting.watchtower`: `lsp`, `off` or a tower's `pubkey@host:port`. */
export type WatchtowerSetting = string;

/** What a node's tower client has done, as `GET /v1/nodes/:id` shows it. */
export interface NodeWatchtowerStatus {
  /** `pubkey@host:port` of the tower. */
  readonly tower: string;
  /** Revoked states the tower holds. */
  readonly backups: number;
  /** Revoked states still to be sent to it. */
  readonly pendingBackups: number;
}

/** The most registering the tower with one node may take (its session is set up later). */
const REGISTER_TIMEOUT_MS = 15_000;

/** Hosts a listener may bind that no other machine can dial. */
const UNSPECIFIED_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * Where a tower can be dialled: the first URI it announces (`watchtower.externalip`), else a
 * listener bound to a definite host; `undefined` when it only listens on every interface and
 * announces nothing (the nodes would not know which address reaches it).
 */
export function towerAddressOf(own: OwnTower): TowerAddress | undefined {
  const uri = own.uris.find((u) => u.includes('@'));
  if (uri) return { pubkey: own.pubkey, address: uri.slice(uri.indexOf('@') + 1) };
  const listener = own.listeners.find((l) => !UNSPECIFIED_HOSTS.has(l.slice(0, l.lastIndexOf(':'))));
  return listener ? { pubkey: own.pubkey, address: listener } : undefined;
}

/** A tower as `pubkey@host:port` (what the node's record keeps and the API shows). */
export function towerUri(tower: TowerAddress): string {
  return `${tower.pubkey}@${tower.address}`;
}

/** A configured tower, `pubkey@host:port` (the config schema checked its form). */
export function parseTowerUri(uri: string): TowerAddress {
  const at = uri.indexOf('@');
  return { pubkey: parsePubkey(uri.slice(0, at)), address: uri.slice(at + 1) };
}

/**
 * The tower of `setting` (`hosting.watchtower`): the named one, or for `lsp` the LSP's LND's own
 * where the nodes can dial it; `undefined` for `off`, or when the LSP's LND runs none (or does not
 * answer), or its tower announces no address and listens on every interface. `why` says which.
 */
export async function resolveWatchtower(
  setting: WatchtowerSetting,
  lsp: Pick<WatchtowerPort, 'ownTower'>,
  signal: AbortSignal,
): Promise<{ readonly tower?: TowerAddress; readonly why?: string }> {
  if (setting === 'off') return { why: 'hosting.watchtower is off' };
  if (setting !== 'lsp') return { tower: parseTowerUri(setting) };
  const own = await lsp.ownTower(signal).catch(() => undefined);
  if (!own) return { why: "the LSP's lnd runs no watchtower (watchtower.active)" };
  const tower = towerAddressOf(own);
  return tower
    ? { tower }
    : {
        why: "the LSP's watchtower listens on every interface and announces no address (set watchtower.externalip on the LSP's lnd, or hosting.watchtower)",
      };
}

/** The tower the hosted nodes use, and each node's registration with it. */
export class NodeWatchtower {
  readonly #tower: TowerAddress | undefined;
  readonly #nodes: Pick<NodeConnections, 'backend'>;
  readonly #repo: Pick<HostedNodesRepository, 'setWatchtower'>;
  readonly #log: Logger;
  /** Nodes this server run has nothing more to do for: they have the tower (or there is none). */
  readonly #settled = new Set<string>();
  /** Nodes whose LND has no tower client (warned once). */
  readonly #unable = new Set<string>();
  /** Nodes a registration failed for (warned once; the next tries are logged at debug). */
  readonly #failed = new Set<string>();

  constructor(deps: {
    /** The tower resolved at start ({@link resolveWatchtower}); none: the nodes are unwatched. */
    tower: TowerAddress | undefined;
    nodes: Pick<NodeConnections, 'backend'>;
    /** Where each node's registration is recorded (`/metrics` counts the nodes without one). */
    repo: Pick<HostedNodesRepository, 'setWatchtower'>;
    log: Logger;
  }) {
    this.#tower = deps.tower;
    this.#nodes = deps.nodes;
    this.#repo = deps.repo;
    this.#log = deps.log;
  }

  /**
   * Registers the tower with `record`'s node, once per server run, within 15 s (or until
   * `signal` aborts). A failure is logged, not thrown (the next call tries again): the node runs
   * unwatched meanwhile. Without a tower, a record that says the node is watched is cleared.
   */
  async guard(record: HostedNodeRecord, until?: AbortSignal): Promise<void> {
    if (this.#settled.has(record.id) || this.#unable.has(record.id)) return;
    const tower = this.#tower;
    if (!tower) {
      // A tower given in an earlier run no longer watches (its nodes run no client now).
      if (record.watchtower) await this.#repo.setWatchtower(record.id, null);
      this.#settled.add(record.id);
      return;
    }
    const bound = AbortSignal.timeout(REGISTER_TIMEOUT_MS);
    const signal = until ? AbortSignal.any([until, bound]) : bound;
    try {
      if (await this.#nodes.backend(record).addTower(tower, signal)) {
        const uri = towerUri(tower);
        if (record.watchtower !== uri) await this.#repo.setWatchtower(record.id, uri);
        this.#settled.add(record.id);
        this.#failed.delete(record.id);
        this.#log.info({ nodeId: record.id }, 'hosted node backs up to the watchtower');
      } else {
        this.#unable.add(record.id);
        this.#log.warn(
          { nodeId: record.id },
          "hosted node's lnd has no tower client (started before the tower client was on, or an lnd too old to serve wtclientrpc): not watched while offline",
        );
      }
    } catch (err) {
      // Once per node at warn (the keeper tries on every tick while the node does not answer).
      const level = this.#failed.has(record.id) ? 'debug' : 'warn';
      this.#failed.add(record.id);
      this.#log[level]({ nodeId: record.id, err }, 'registering the watchtower with a hosted node failed');
    }
  }

  /**
   * What `record`'s node has backed up to the tower its record says it was given (by whichever
   * replica registered it): `null` when no tower was registered with it, or the node no longer
   * knows it; `undefined` when the node did not answer.
   */
  async status(
    record: HostedNodeRecord,
    signal: AbortSignal,
  ): Promise<NodeWatchtowerStatus | null | undefined> {
    if (!record.watchtower) return null;
    try {
      const { pubkey } = parseTowerUri(record.watchtower);
      const backups = await this.#nodes.backend(record).towerBackups(pubkey, signal);
      if (!backups) return null;
      return { tower: record.watchtower, backups: backups.backups, pendingBackups: backups.pendingBackups };
    } catch {
      return undefined;
    }
  }

  /**
   * Forgets a node: a removed one, or one started anew (unlocked), which the next
   * {@link guard} offers the tower again (one whose LND had no tower client may have one now).
   */
  forget(nodeId: string): void {
    this.#settled.delete(nodeId);
    this.#unable.delete(nodeId);
    this.#failed.delete(nodeId);
  }
}
