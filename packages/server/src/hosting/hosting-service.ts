import {
  ErrorCode,
  type FeeSchedule,
  type HostedNodeConfig,
  type HostedNodeEvent,
  type HostedNodeState,
  type LightningConnector,
  LspError,
  type NodeOrchestrator,
  type NodeRunStatus,
  type NodeWallets,
  type TowerAddress,
} from '@blgv/core';
import type { HostedNodeConfigBody } from '@blgv/protocol';
import {
  type Database,
  type HostedNodeDeletion,
  type HostedNodeRecord,
  HostedNodesRepository,
  type Page,
  type PageRequest,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { errorMessage } from '../error-message.ts';
import type { HostedNodeView, HostingLimits } from './hosted-node-view.ts';
import { htlcsInFlight, refuseStopWithHtlcs } from './htlcs-in-flight.ts';
import { LspPreference, type LspPreferenceLightning } from './lsp-preference.ts';
import { NodeMacaroons } from './macaroon-keys.ts';
import type { NodeArchives } from './node-archives.ts';
import { nodeConfigFromJson, parseNodeConfig } from './node-config.ts';
import { NodeConnections } from './node-connections.ts';
import {
  type CreatedNode,
  type HostedNodeQuote,
  handedOver,
  initialChannelKey,
  NodeCreation,
  PROVISION_TIMEOUT_MS,
} from './node-creation.ts';
import { type DeleteOptions, type DeletionConfig, NodeDeletions } from './node-deletions.ts';
import { NodeProvisioning } from './node-provisioning.ts';
import { type MoveNode, nodeMover } from './node-steps.ts';
import { NodeWatchtower } from './node-watchtower.ts';
import type { ChainNetwork } from './sweep-address.ts';

export type { CreatedNode, HostedNodeQuote };

/** How long a stop waits for the node to count its HTLCs in flight. */
const HTLC_COUNT_MS = 10_000;

/** Hosted nodes for tenants. */
export class HostingService {
  readonly #database: Database;
  readonly #repo: HostedNodesRepository;
  readonly #orchestrator: NodeOrchestrator;
  readonly #wallets: NodeWallets;
  readonly #lightning: LspPreferenceLightning;
  readonly #accounts: Accounts;
  readonly #channels: ChannelService;
  readonly #box: SecretBox;
  readonly #schedule: FeeSchedule;
  readonly #limits: HostingLimits;
  readonly #log: Logger;
  /** Connections to the nodes, their secrets, keeping them running. */
  readonly nodes: NodeConnections;
  /** Autopilot nodes kept pointed at the LSP (peered, scored, the LSP in their graph). */
  readonly lspPreference: LspPreference;
  /** The tower that watches the nodes' channels while they are offline. */
  readonly watchtower: NodeWatchtower;
  /** Deletions: looking at what a node holds, closing, sweeping, archiving, removing. */
  readonly deletions: NodeDeletions;
  /** Creations: quotes, charging, provisioning, repeats, finishing what a crash cut short. */
  readonly #creation: NodeCreation;
  /** The customer macaroons of the nodes, each under its own root key: bake, list, revoke. */
  readonly macaroons: NodeMacaroons;
  /** Moves a node's machine and performs the step's effects (see `node-steps.ts`). */
  readonly #move: MoveNode;

  constructor(deps: {
    database: Database;
    orchestrator: NodeOrchestrator;
    wallets: NodeWallets;
    connect: LightningConnector;
    /** The LSP's own node, as the autopilot preference uses it (hosted nodes are reached through `connect`). */
    lightning: LspPreferenceLightning;
    /** The tower the nodes back up to, resolved at start (none: they are not watched offline). */
    watchtower?: TowerAddress;
    accounts: Accounts;
    channels: ChannelService;
    box: SecretBox;
    schedule: FeeSchedule;
    limits: HostingLimits;
    /** The least time between two announcements of the LSP's node (see `LspPreference`). */
    reannounceIntervalMs: number;
    /** Deletion and archive settings. */
    deletion: DeletionConfig;
    /** Where removed nodes' data is archived. */
    archives: NodeArchives;
    /** The chain the nodes run on (sweep addresses must belong to it). */
    network: ChainNetwork;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#repo = new HostedNodesRepository(deps.database.db);
    this.#orchestrator = deps.orchestrator;
    this.#wallets = deps.wallets;
    this.#lightning = deps.lightning;
    this.#accounts = deps.accounts;
    this.#channels = deps.channels;
    this.#box = deps.box;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.nodes = new NodeConnections({
      orchestrator: deps.orchestrator,
      wallets: deps.wallets,
      connect: deps.connect,
      box: deps.box,
      log: deps.log,
      onUnlocked: (record) => {
        // A node started anew (with this version's flags) is offered the tower again.
        this.watchtower.forget(record.id);
        return this.lspPreference.prefer(record);
      },
      stateOf: async (nodeId) => (await this.#repo.get(nodeId))?.state,
      locks: deps.database.nodeLocks,
    });
    this.watchtower = new NodeWatchtower({
      tower: deps.watchtower,
      nodes: this.nodes,
      repo: this.#repo,
      log: deps.log.child({ part: 'watchtower' }),
    });
    this.macaroons = new NodeMacaroons({ database: deps.database, backend: (r) => this.nodes.backend(r) });
    this.lspPreference = new LspPreference({
      lightning: deps.lightning,
      nodes: this.nodes,
      log: deps.log,
      reannounceIntervalMs: deps.reannounceIntervalMs,
    });
    this.#move = nodeMover({
      database: deps.database,
      nodes: this.nodes,
      remove: (record) => this.deletions.remove(record),
      log: deps.log,
    });
    const move = this.#move;
    this.deletions = new NodeDeletions({
      database: deps.database,
      nodes: this.nodes,
      archives: deps.archives,
      config: deps.deletion,
      network: deps.network,
      move,
      forget: (nodeId) => {
        this.lspPreference.forget(nodeId);
        this.watchtower.forget(nodeId);
      },
      log: deps.log.child({ part: 'deletion' }),
    });
    this.#creation = new NodeCreation({
      database: deps.database,
      accounts: deps.accounts,
      channels: deps.channels,
      schedule: deps.schedule,
      limits: deps.limits,
      provisioning: new NodeProvisioning({
        database: deps.database,
        orchestrator: deps.orchestrator,
        wallets: deps.wallets,
        nodes: this.nodes,
        box: deps.box,
        log: deps.log,
        markCreated: (nodeId, tx) => move(nodeId, 'creating', { type: 'created' }, { tx }),
      }),
      nodes: this.nodes,
      archives: deps.archives,
      prefer: (record) => this.lspPreference.prefer(record),
      watch: (record) => this.watchtower.guard(record),
      view: (record) => this.#view(record),
      move,
      log: deps.log,
    });
  }

  /** The driver running the nodes. */
  get orchestrator(): NodeOrchestrator {
    return this.#orchestrator;
  }

  /** The limits in force. */
  get limits(): HostingLimits {
    return this.#limits;
  }

  /** Parses a tenant's config (4xx naming the field when it is wrong). */
  parse(body: HostedNodeConfigBody): HostedNodeConfig {
    return parseNodeConfig(body, this.#limits);
  }

  /** What creating a node with `config` charges. */
  quote(config: HostedNodeConfig): Promise<HostedNodeQuote> {
    return this.#creation.quote(config);
  }

  /** Creates a node (see {@link NodeCreation.create}). */
  create(tenantId: string, config: HostedNodeConfig, idempotencyKey?: string): Promise<CreatedNode> {
    return this.#creation.create(tenantId, config, idempotencyKey);
  }

  /** Finishes creations whose creator died (for the keeper). */
  resumeAbandonedCreations(): Promise<void> {
    return this.#creation.resumeAbandoned();
  }

  /** The tenant has its seed: it is never shown again. */
  async acknowledgeSeed(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    await this.#repo.acknowledgeSeed(record.id);
    return this.get(tenantId, nodeId);
  }

  /** A tenant's node. */
  async get(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#repo.getOwned(tenantId, nodeId);
    if (!record) throw new LspError(ErrorCode.NotFound, `no node ${nodeId}`);
    return this.#view(record);
  }

  /**
   * The node's process as its driver reads it now (a pod `pending` while none runs on
   * Kubernetes); `undefined` when the driver does not answer within 3 s.
   */
  async processOf(nodeId: string): Promise<NodeRunStatus | undefined> {
    return this.#orchestrator.status(nodeId, AbortSignal.timeout(3_000)).catch(() => undefined);
  }

  /** A page of a tenant's nodes, newest first. */
  async list(tenantId: string, page: PageRequest): Promise<Page<HostedNodeView>> {
    const records = await this.#repo.listOwned(tenantId, page);
    const deletions = await this.deletions.forNodes(records.items.map((r) => r.id));
    return {
      items: await Promise.all(records.items.map((r) => this.#view(r, deletions.get(r.id)))),
      next: records.next,
    };
  }

  async #view(record: HostedNodeRecord, known?: HostedNodeDeletion): Promise<HostedNodeView> {
    const deletion =
      known ??
      (record.state === 'deleting' || record.state === 'deleted'
        ? await this.deletions.get(record.id)
        : undefined);
    const secrets = record.sealedSecrets ? this.nodes.secretsOf(record) : undefined;
    const config = nodeConfigFromJson(record.config);
    const channels = await Promise.all(
      config.channels.map(async (c, i) => {
        const request = await this.#channels.byIdempotencyKey(
          record.tenantId,
          initialChannelKey(record.id, i),
        );
        return { id: request?.id ?? '', status: request?.state ?? 'not_requested', capacity: c.capacity };
      }),
    );
    const keys = await this.macaroons.keysOf(record.id);
    const shown = handedOver(record);
    return {
      record,
      macaroon:
        shown && record.sealedCustomerMacaroon && keys.customer !== null
          ? this.#box.open(record.sealedCustomerMacaroon)
          : null,
      readOnlyMacaroon: shown && keys.readOnly !== null ? secrets?.readOnlyMacaroon || null : null,
      macaroonRootKeyId: record.sealedCustomerMacaroon ? keys.customer : null,
      readOnlyMacaroonRootKeyId: secrets?.readOnlyMacaroon ? keys.readOnly : null,
      channels,
      deletion,
    };
  }

  /**
   * Stops a running node (its data kept); answers once its process is stopped (`stop_process`).
   * Refused (409) while the node has HTLCs in flight ({@link htlcsInFlight}); a node that does
   * not answer the count is stopped all the same (it is not resolving anything either).
   */
  async stop(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    if (record.state === 'running') {
      const inFlight = await htlcsInFlight(
        this.nodes.backend(record),
        AbortSignal.timeout(HTLC_COUNT_MS),
      ).catch((err: unknown) => {
        this.#log.warn({ nodeId, err: errorMessage(err) }, 'HTLCs in flight not counted before a stop');
        return { htlcs: 0, unconfirmedForceCloses: 0 };
      });
      refuseStopWithHtlcs(nodeId, inFlight);
    }
    await this.#move(nodeId, record.state, { type: 'stop' });
    return this.get(tenantId, nodeId);
  }

  /** Starts a stopped node; answers once it runs, unlocked (`start_process`). */
  async start(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    await this.#move(nodeId, record.state, { type: 'start' }, { waitMs: PROVISION_TIMEOUT_MS });
    return this.get(tenantId, nodeId);
  }

  /**
   * Deletes a node, never destroying a coin (see {@link NodeDeletions}): refused (409 naming what
   * it holds) while it holds anything, unless `closeChannels` and a `sweepAddress` let the keeper
   * close, sweep and then remove it; the node shows `deleting`, with what it still holds and why,
   * until then. A node holding nothing is removed at once (its data archived).
   */
  async remove(tenantId: string, nodeId: string, options: DeleteOptions): Promise<HostedNodeView> {
    // The request first, then whose node it is, then the work.
    this.deletions.check(options);
    const record = await this.#owned(tenantId, nodeId);
    await this.deletions.request(record, options);
    return this.#view(await this.#require(nodeId));
  }

  /** The node's latest static channel backup. */
  async backup(
    tenantId: string,
    nodeId: string,
  ): Promise<{ multiChannelBackup: string; channelCount: number; updatedAt: Date }> {
    const record = await this.#owned(tenantId, nodeId);
    if (!record.backup || !record.backupAt)
      throw new LspError(ErrorCode.NotFound, `node ${nodeId} has no channel backup yet`);
    const parsed = JSON.parse(record.backup) as { multiChannelBackup: string; channelCount: number };
    return { ...parsed, updatedAt: record.backupAt };
  }

  /**
   * Moves a node by an event (for the jobs), performing the step's effects: a suspension of a
   * stopped node answers once it runs (a suspended node is kept running), a resumption once it
   * runs.
   */
  move(record: HostedNodeRecord, event: HostedNodeEvent): Promise<HostedNodeState> {
    return this.#move(record.id, record.state, event);
  }

  async #owned(tenantId: string, nodeId: string): Promise<HostedNodeRecord> {
    const record = await this.#repo.getOwned(tenantId, nodeId);
    if (!record) throw new LspError(ErrorCode.NotFound, `no node ${nodeId}`);
    return record;
  }

  async #require(nodeId: string): Promise<HostedNodeRecord> {
    const record = await this.#repo.get(nodeId);
    if (!record) throw new Error(`hosted node ${nodeId} vanished`);
    return record;
  }

  /** The repository (for the jobs). */
  get repo(): HostedNodesRepository {
    return this.#repo;
  }

  /** Closes the connections to the nodes (not the nodes). */
  close(): void {
    this.nodes.close();
  }
}
