/**
 * Provisioning a hosted node, step by step, each step recorded as soon as it is done, so that a
 * creation cut short (the server killed, the answer lost) is resumed from where it stopped:
 *
 * 1. the node's process and endpoints (created, or the existing one started or adopted);
 * 2. its wallet: created with a random password, and the seed, password and admin macaroon
 *    sealed and stored at once (a wallet found without stored secrets cannot be used by anyone:
 *    the creation fails and is refunded);
 * 3. running, unlocked and synced to the chain;
 * 4. the customer's and the read-only macaroons;
 * 5. `creating -> running`.
 *
 * A fresh creation (`POST /v1/nodes`) and the keeper finishing one whose creator died run the
 * same steps. While a creation runs, its process beats the node's heartbeat; the keeper
 * resumes only `creating` nodes whose heartbeat stopped.
 */
import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type HostedNodeConfig,
  LspError,
  type NodeAccess,
  type NodeEndpoints,
  type NodeOrchestrator,
  type NodeWallets,
  type Pubkey,
} from '@blgv/core';
import {
  type Database,
  type HostedNodeRecord,
  HostedNodesRepository,
  type Kysely,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { bakeUnderOwnKey, recordMacaroon } from './macaroon-keys.ts';
import { CUSTOMER_PERMISSIONS, READ_ONLY_PERMISSIONS } from './macaroon-permissions.ts';
import type { NodeConnections, NodeSecrets } from './node-connections.ts';

/** How often a running creation beats its node's heartbeat. */
export const CREATION_HEARTBEAT_MS = 2_000;
/** A `creating` node whose heartbeat is older than this was abandoned by its creator. */
export const CREATION_STALE_MS = 15_000;

/** A creation that cannot be finished by anyone (refund it). */
export class Unrecoverable extends Error {}

/** What a provisioned node is reached at. */
export interface Provisioned {
  readonly pubkey: Pubkey;
  readonly p2pAddress: string;
}

/** Runs (or resumes) the provisioning steps of `creating` nodes. */
export class NodeProvisioning {
  readonly #database: Database;
  readonly #repo: HostedNodesRepository;
  readonly #orchestrator: NodeOrchestrator;
  readonly #wallets: NodeWallets;
  readonly #nodes: NodeConnections;
  readonly #box: SecretBox;
  readonly #log: Logger;
  readonly #markCreated: (nodeId: string, tx: Kysely<Schema>) => Promise<unknown>;

  constructor(deps: {
    database: Database;
    orchestrator: NodeOrchestrator;
    wallets: NodeWallets;
    nodes: NodeConnections;
    box: SecretBox;
    log: Logger;
    /** Moves the node `creating -> running` (in the given transaction). */
    markCreated: (nodeId: string, tx: Kysely<Schema>) => Promise<unknown>;
  }) {
    this.#database = deps.database;
    this.#repo = new HostedNodesRepository(deps.database.db);
    this.#orchestrator = deps.orchestrator;
    this.#wallets = deps.wallets;
    this.#nodes = deps.nodes;
    this.#box = deps.box;
    this.#log = deps.log;
    this.#markCreated = deps.markCreated;
  }

  /**
   * Brings a `creating` node to `running` from wherever its creation stopped; beats its
   * heartbeat meanwhile. Throws {@link Unrecoverable} when no one can finish it.
   */
  async run(nodeId: string, config: HostedNodeConfig, signal: AbortSignal): Promise<Provisioned> {
    const beat = setInterval(() => {
      this.#repo
        .beatCreation(nodeId)
        .catch((err: unknown) => this.#log.warn({ nodeId, err }, 'heartbeat failed'));
    }, CREATION_HEARTBEAT_MS);
    try {
      await this.#repo.beatCreation(nodeId);
      const endpoints = await this.#endpoints(nodeId, config, signal);
      const access: NodeAccess = { rpcAddress: endpoints.rpcAddress, tlsCert: endpoints.tlsCert };
      await this.#wallet(nodeId, access, signal);
      const record = await this.#require(nodeId);
      await this.#nodes.ensureRunning(record, signal);
      const backend = this.#nodes.backend(record);
      // `running` means usable: the node answers and has caught up with the chain.
      const info = await this.#nodes.retry(
        'node synced to chain',
        async () => {
          const i = await backend.getInfo(AbortSignal.timeout(5_000));
          if (!i.syncedToChain) throw new Error('not synced to chain yet');
          return i;
        },
        signal,
      );
      if (!record.sealedCustomerMacaroon) {
        // Each under a root key of its own, so either can be revoked alone (macaroon-keys.ts).
        const customer = await bakeUnderOwnKey(backend, CUSTOMER_PERMISSIONS, signal);
        const readOnly = await bakeUnderOwnKey(backend, READ_ONLY_PERMISSIONS, signal);
        const secrets = this.#nodes.secretsOf(record);
        await this.#database.db.transaction().execute(async (tx) => {
          await new HostedNodesRepository(tx).provisioned(
            nodeId,
            {
              sealedSecrets: this.#nodes.seal({ ...secrets, readOnlyMacaroon: readOnly.macaroon }),
              sealedCustomerMacaroon: this.#box.seal(customer.macaroon),
            },
            tx,
          );
          await recordMacaroon(tx, nodeId, 'customer', CUSTOMER_PERMISSIONS, customer);
          await recordMacaroon(tx, nodeId, 'read_only', READ_ONLY_PERMISSIONS, readOnly);
        });
      }
      // In the node's turn: a failed creation's removal (another replica's, after this one
      // stalled) and this step never interleave; whichever comes second finds the other's state.
      await this.#nodes.inTurn(nodeId, signal, () =>
        this.#database.db.transaction().execute(async (tx) => {
          await new HostedNodesRepository(tx).provisioned(nodeId, { pubkey: info.pubkey }, tx);
          await this.#markCreated(nodeId, tx);
        }),
      );
      this.#log.info({ nodeId, pubkey: info.pubkey }, 'hosted node created');
      return { pubkey: info.pubkey, p2pAddress: endpoints.p2pAddress };
    } finally {
      clearInterval(beat);
    }
  }

  /** Step 1: the node's process, created or found (adopted, started), and its endpoints stored. */
  async #endpoints(nodeId: string, config: HostedNodeConfig, signal: AbortSignal): Promise<NodeEndpoints> {
    const stored = await this.#require(nodeId);
    const status = await this.#orchestrator.status(nodeId, signal);
    let endpoints: NodeEndpoints | undefined;
    if (status === 'missing') {
      endpoints = await this.#orchestrator.create(
        {
          nodeId,
          alias: config.alias,
          color: config.color,
          features: config.features,
          ...(config.autopilot.enabled ? { autopilot: config.autopilot } : {}),
        },
        signal,
      );
    } else {
      if (status === 'stopped') await this.#orchestrator.start(nodeId, signal);
      endpoints = await this.#orchestrator.endpoints(nodeId, signal);
      if (!endpoints) throw new Error(`node ${nodeId} runs but has no endpoints`);
    }
    if (stored.rpcAddress !== endpoints.rpcAddress || stored.tlsCert !== endpoints.tlsCert) {
      await this.#repo.provisioned(nodeId, {
        rpcAddress: endpoints.rpcAddress,
        publicRpcAddress: endpoints.publicRpcAddress,
        restAddress: endpoints.restAddress,
        p2pAddress: endpoints.p2pAddress,
        tlsCert: endpoints.tlsCert,
      });
    }
    return endpoints;
  }

  /**
   * Step 2: the wallet. Created with a random password when the node has none; its secrets are
   * stored before anything else happens. A node with a wallet but no stored secrets is lost.
   */
  async #wallet(nodeId: string, access: NodeAccess, signal: AbortSignal): Promise<void> {
    if ((await this.#require(nodeId)).sealedSecrets) return;
    const state = await this.#nodes.retry(
      'wallet state',
      () => this.#nodes.settledWalletState(access, signal),
      signal,
    );
    if (state !== 'absent')
      throw new Unrecoverable(
        `node ${nodeId} has a wallet (${state}) whose secrets were never stored: no one can unlock it`,
      );
    // A driver whose nodes unlock themselves keeps the password; otherwise a random one.
    const kept = await this.#orchestrator.walletPassword?.(nodeId, signal);
    const password = kept ? Buffer.from(kept) : randomBytes(32);
    const wallet = await this.#nodes.retry(
      'wallet creation',
      () => this.#wallets.create(access, password, signal),
      signal,
    );
    const secrets: NodeSecrets = {
      seed: wallet.mnemonic,
      password: password.toString('hex'),
      adminMacaroon: wallet.adminMacaroon,
      readOnlyMacaroon: '',
    };
    await this.#repo.provisioned(nodeId, { sealedSecrets: this.#nodes.seal(secrets) });
    this.#nodes.open(nodeId, access, wallet.adminMacaroon);
  }

  async #require(nodeId: string): Promise<HostedNodeRecord> {
    const record = await this.#repo.get(nodeId);
    if (!record) throw new LspError(ErrorCode.NotFound, `no node ${nodeId}`);
    if (record.state !== 'creating')
      throw new LspError(ErrorCode.Conflict, `node ${nodeId} is ${record.state}, no longer creating`);
    return record;
  }
}
