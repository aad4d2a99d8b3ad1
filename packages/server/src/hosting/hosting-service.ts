/**
 * Hosted Lightning nodes for tenants (`/v1/nodes`): quotes, creation (process, wallet,
 * macaroons, initial channels, autopilot, the first month charged), start/stop, deletion,
 * backups and extra macaroons. The keeper and billing jobs (`node-keeper.ts`,
 * `hosting-billing.ts`) keep the nodes alive and paid for.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type FeeSchedule,
  type HostedNodeConfig,
  type HostedNodeEvent,
  type HostedNodeState,
  type LightningBackend,
  type LightningConnector,
  LspError,
  type NodeOrchestrator,
  type NodeWallets,
  nextHostedNodeState,
  type Pubkey,
  type Sat,
  sat,
} from '@blgv/core';
import type { HostedNodeConfigBody } from '@blgv/protocol';
import {
  type Database,
  type HostedNodeDeletion,
  type HostedNodeRecord,
  HostedNodesRepository,
  isUniqueViolation,
  type Page,
  type PageRequest,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import { ShortBalance } from '../accounts/short-balance.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { chargeMonth, refundFirstMonth } from './hosting-ledger.ts';
import { LspPreference } from './lsp-preference.ts';
import { NodeMacaroons } from './macaroon-keys.ts';
import type { NodeArchives } from './node-archives.ts';
import { nodeConfigFromJson, nodeConfigToJson, parseNodeConfig } from './node-config.ts';
import { NodeConnections } from './node-connections.ts';
import { type DeleteOptions, type DeletionConfig, NodeDeletions } from './node-deletions.ts';
import { CREATION_STALE_MS, NodeProvisioning, type Provisioned, Unrecoverable } from './node-provisioning.ts';
import type { ChainNetwork } from './sweep-address.ts';

/** Hosting limits and periods (from config). */
export interface HostingLimits {
  readonly maxNodes: number;
  readonly maxNodesPerTenant: number;
  readonly billingPeriodSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
  /** How long a repeated creation request is shown the seed again (unless acknowledged). */
  readonly seedRedeliverySeconds: number;
}

/** The price of a node at creation. */
export interface HostedNodeQuote {
  readonly monthlyFee: Sat;
  readonly transactionFee: Sat;
  readonly channels: readonly {
    capacity: Sat;
    openingFee: Sat;
    push: Sat;
    networkFee: Sat;
    total: Sat;
  }[];
  readonly total: Sat;
}

/** A node as its tenant sees it. */
export interface HostedNodeView {
  readonly record: HostedNodeRecord;
  /** Null once revoked. */
  readonly macaroon: string | null;
  /** Null once revoked. */
  readonly readOnlyMacaroon: string | null;
  /** The root keys they were baked under (`0n`: a node from before keys of their own; null: revoked). */
  readonly macaroonRootKeyId: bigint | null;
  readonly readOnlyMacaroonRootKeyId: bigint | null;
  readonly channels: readonly { id: string; status: string; capacity: Sat }[];
  /** Its deletion, once one was asked: what it still holds and why it stays. */
  readonly deletion: HostedNodeDeletion | undefined;
}

/** What creating a node answered: the node, its seed (when it may be shown), and whether it is a repeat. */
export interface CreatedNode {
  readonly view: HostedNodeView;
  readonly seed: readonly string[] | undefined;
  /** A repeat of an earlier request with the same `Idempotency-Key`. */
  readonly replayed: boolean;
}

/** How long a node may take from process start to an active wallet. */
const PROVISION_TIMEOUT_MS = 90_000;
/** A creation still failing this long after it was asked is given up: refunded. */
const CREATION_GIVE_UP_MS = 15 * 60_000;
/** How long a repeated creation request waits for the first one to finish. */
const REPEAT_WAIT_MS = PROVISION_TIMEOUT_MS + 30_000;

/** The idempotency key of a node's `i`th initial channel (its channel request). */
export function initialChannelKey(nodeId: string, i: number): string {
  return `hosted-node:${nodeId}:channel:${i}`;
}

/** Hosted nodes for tenants. */
export class HostingService {
  readonly #database: Database;
  readonly #repo: HostedNodesRepository;
  readonly #orchestrator: NodeOrchestrator;
  readonly #wallets: NodeWallets;
  readonly #lightning: LightningBackend;
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
  /** Deletions: looking at what a node holds, closing, sweeping, archiving, removing. */
  readonly deletions: NodeDeletions;
  readonly #provisioning: NodeProvisioning;
  /** Nodes this process is creating (or finishing): the keeper leaves them alone. */
  readonly #creating = new Set<string>();
  /** The customer macaroons of the nodes, each under its own root key: bake, list, revoke. */
  readonly macaroons: NodeMacaroons;

  constructor(deps: {
    database: Database;
    orchestrator: NodeOrchestrator;
    wallets: NodeWallets;
    connect: LightningConnector;
    lightning: LightningBackend;
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
      onUnlocked: (record) => this.lspPreference.prefer(record),
      stateOf: async (nodeId) => (await this.#repo.get(nodeId))?.state,
    });
    this.macaroons = new NodeMacaroons({ database: deps.database, backend: (r) => this.nodes.backend(r) });
    this.lspPreference = new LspPreference({
      lightning: deps.lightning,
      nodes: this.nodes,
      log: deps.log,
      reannounceIntervalMs: deps.reannounceIntervalMs,
    });
    const move = (
      nodeId: string,
      from: HostedNodeState,
      event: HostedNodeEvent,
      repo?: HostedNodesRepository,
    ) => this.#move(nodeId, from, event, repo);
    this.deletions = new NodeDeletions({
      database: deps.database,
      nodes: this.nodes,
      archives: deps.archives,
      config: deps.deletion,
      network: deps.network,
      move,
      forget: (nodeId) => this.lspPreference.forget(nodeId),
      log: deps.log.child({ part: 'deletion' }),
    });
    this.#provisioning = new NodeProvisioning({
      database: deps.database,
      orchestrator: deps.orchestrator,
      wallets: deps.wallets,
      nodes: this.nodes,
      box: deps.box,
      log: deps.log,
      markCreated: (nodeId, repo) => move(nodeId, 'creating', { type: 'created' }, repo),
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
  async quote(config: HostedNodeConfig): Promise<HostedNodeQuote> {
    const channels = await Promise.all(
      config.channels.map(async (c) => {
        const q = await this.#channels.quote({ channelSize: c.capacity, pushAmount: c.pushAmount });
        return {
          capacity: c.capacity,
          openingFee: q.price.openingFee.total,
          push: q.price.push,
          networkFee: q.price.networkFee.total,
          total: q.price.total,
        };
      }),
    );
    const monthlyFee = this.#schedule.hosting.monthlyFee;
    return {
      monthlyFee,
      transactionFee: this.#schedule.hosting.transactionFee,
      channels,
      total: sat(channels.reduce((sum: bigint, c) => sum + c.total, monthlyFee as bigint)),
    };
  }

  /**
   * Creates a node: charges the first month, provisions it (process, wallet with its seed and
   * password sealed, macaroons), buys its initial channels and turns autopilot on. Answers with
   * the node and its seed. With an `idempotencyKey`, a repeat of the same request answers the
   * same node (charged once), with the seed until it is acknowledged or
   * `hosting.seedRedeliverySeconds` pass; a different request under the key is a 422.
   */
  async create(tenantId: string, config: HostedNodeConfig, idempotencyKey?: string): Promise<CreatedNode> {
    const requestHash = configHash(config);
    if (idempotencyKey) {
      const first = await this.#repo.byIdempotencyKey(tenantId, idempotencyKey);
      if (first) return this.#repeat(first, requestHash);
    }
    // Checked first to refuse early, and again under the creation lock when the node is inserted.
    this.#checkLimits(await this.#repo.counts(tenantId));
    const quote = await this.quote(config);
    const balance = await this.#accounts.balance(tenantId);
    if (balance < quote.total) {
      throw await this.#accounts.paymentRequired(
        tenantId,
        balance,
        quote.total,
        'the node, its first month and its channels',
      );
    }
    const nodeId = `n${randomBytes(8).toString('hex')}`;
    try {
      await this.#chargeFirstMonth(tenantId, nodeId, config, quote.monthlyFee, requestHash, idempotencyKey);
    } catch (err) {
      if (idempotencyKey && isUniqueViolation(err)) {
        const first = await this.#repo.byIdempotencyKey(tenantId, idempotencyKey);
        if (first) return this.#repeat(first, requestHash);
      }
      throw err;
    }
    const provisioned = await this.#provision(nodeId, config, tenantId, true);
    if (!provisioned) throw new Error(`node ${nodeId} was being created by another caller`);
    await this.#afterProvisioning(tenantId, nodeId, provisioned, config);
    const record = await this.#require(nodeId);
    return { view: await this.#view(record), seed: this.#seedToShow(record), replayed: false };
  }

  /** Answers a repeated creation request: the first one's node, once it is no longer creating. */
  async #repeat(first: HostedNodeRecord, requestHash: string): Promise<CreatedNode> {
    if (first.requestHash !== null && first.requestHash !== requestHash)
      throw new LspError(
        ErrorCode.IdempotencyKeyReused,
        'this Idempotency-Key was used with a different request body; use a new key for a new request',
        { nodeId: first.id },
      );
    let record = first;
    const deadline = Date.now() + REPEAT_WAIT_MS;
    while (record.state === 'creating' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500)); // polling the first request's progress
      record = await this.#require(first.id);
    }
    return { view: await this.#view(record), seed: this.#seedToShow(record), replayed: true };
  }

  /** The seed, while it may still be shown (provisioned, not acknowledged, within its time). */
  #seedToShow(record: HostedNodeRecord): readonly string[] | undefined {
    if (!record.sealedSecrets || record.seedAcknowledgedAt || record.state === 'failed') return undefined;
    if (record.seedAvailableUntil && record.seedAvailableUntil.getTime() < Date.now()) return undefined;
    return this.nodes.secretsOf(record).seed;
  }

  /** The tenant has its seed: it is never shown again. */
  async acknowledgeSeed(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    await this.#repo.acknowledgeSeed(record.id);
    return this.get(tenantId, nodeId);
  }

  /**
   * Runs (or resumes) a creation's provisioning in this process. A failure the creation cannot
   * recover from, or any failure of a fresh request, fails the node and refunds its month; the
   * keeper retries a resumed one until {@link CREATION_GIVE_UP_MS}. `undefined` when this process
   * is already at it.
   */
  async #provision(
    nodeId: string,
    config: HostedNodeConfig,
    tenantId: string,
    fresh: boolean,
  ): Promise<Provisioned | undefined> {
    if (this.#creating.has(nodeId)) return undefined;
    this.#creating.add(nodeId);
    try {
      return await this.#provisioning.run(nodeId, config, AbortSignal.timeout(PROVISION_TIMEOUT_MS));
    } catch (err) {
      const record = await this.#repo.get(nodeId);
      const old = record && Date.now() - record.createdAt.getTime() > CREATION_GIVE_UP_MS;
      if (record?.state === 'creating' && (fresh || old || err instanceof Unrecoverable)) {
        await this.#failCreation(tenantId, nodeId, err);
        throw new LspError(
          ErrorCode.LightningUnavailable,
          `the node could not be created: ${messageOf(err)}`,
          { nodeId },
        );
      }
      throw err;
    } finally {
      this.#creating.delete(nodeId);
    }
  }

  /** After provisioning: the initial channels (each once) and autopilot. */
  async #afterProvisioning(
    tenantId: string,
    nodeId: string,
    provisioned: Provisioned,
    config: HostedNodeConfig,
  ): Promise<void> {
    await this.#openInitialChannels(tenantId, nodeId, provisioned.pubkey, provisioned.p2pAddress, config);
    if (config.autopilot.enabled) await this.lspPreference.prefer(await this.#require(nodeId));
  }

  /**
   * Finishes creations whose creator died (their heartbeat stopped): resumes them from their last
   * step, or fails and refunds them when they cannot be finished (for the keeper).
   */
  async resumeAbandonedCreations(): Promise<void> {
    const abandoned = await this.#repo.abandonedCreations(CREATION_STALE_MS);
    await Promise.all(
      abandoned
        .filter((record) => !this.#creating.has(record.id))
        .map(async (record) => {
          const config = nodeConfigFromJson(record.config);
          this.#log.warn({ nodeId: record.id }, 'hosted node creation was cut short: finishing it');
          try {
            const provisioned = await this.#provision(record.id, config, record.tenantId, false);
            if (provisioned) await this.#afterProvisioning(record.tenantId, record.id, provisioned, config);
          } catch (err) {
            this.#log.warn(
              { nodeId: record.id, err: messageOf(err) },
              'finishing an abandoned creation failed',
            );
          }
        }),
    );
  }

  /** Throws when one more node would pass the per-tenant or the total limit. */
  #checkLimits(counts: { tenant: number; total: number }): void {
    if (counts.tenant >= this.#limits.maxNodesPerTenant) {
      throw new LspError(
        ErrorCode.TenantLimitExceeded,
        `at most ${this.#limits.maxNodesPerTenant} nodes per tenant`,
        { field: 'nodes', limit: this.#limits.maxNodesPerTenant },
      );
    }
    if (counts.total >= this.#limits.maxNodes) {
      throw new LspError(ErrorCode.LspInsufficientFunds, 'the LSP hosts as many nodes as it can; try later', {
        field: 'nodes',
        limit: this.#limits.maxNodes,
      });
    }
  }

  async #chargeFirstMonth(
    tenantId: string,
    nodeId: string,
    config: HostedNodeConfig,
    fee: Sat,
    requestHash: string,
    idempotencyKey: string | undefined,
  ): Promise<void> {
    const node = { id: nodeId, tenantId, alias: config.alias };
    const paidUntil = new Date(Date.now() + this.#limits.billingPeriodSeconds * 1000);
    try {
      await this.#database.db.transaction().execute(async (tx) => {
        const repo = new HostedNodesRepository(tx);
        await repo.lockCreation();
        this.#checkLimits(await repo.counts(tenantId));
        await repo.insert({
          ...node,
          color: config.color,
          config: nodeConfigToJson(config),
          requestHash,
          seedAvailableUntil: new Date(Date.now() + this.#limits.seedRedeliverySeconds * 1000),
          ...(idempotencyKey ? { idempotencyKey } : {}),
        });
        await chargeMonth(tx, node, 1, fee, paidUntil);
      });
    } catch (err) {
      // The balance moved between the check and the charge.
      if (err instanceof ShortBalance)
        throw await this.#accounts.paymentRequired(tenantId, err.balance, fee, 'the first month of hosting');
      throw err;
    }
  }

  async #failCreation(tenantId: string, nodeId: string, err: unknown): Promise<void> {
    this.#log.error({ nodeId, err }, 'hosted node creation failed');
    // A node that never reached its tenant holds nothing; its data is archived all the same.
    const record = await this.#repo.get(nodeId);
    await this.nodes
      .destroy(nodeId, AbortSignal.timeout(60_000), (data) =>
        this.deletions.archives.write(
          {
            nodeId,
            tenantId,
            pubkey: record?.pubkey ?? null,
            alias: record?.alias ?? '',
            createdAt: (record?.createdAt ?? new Date()).toISOString(),
            archivedAt: new Date().toISOString(),
            sealedSecrets: record?.sealedSecrets ?? null,
            channelBackup: null,
            sweeps: [],
          },
          data,
        ),
      )
      .catch((e: unknown) => {
        this.#log.error({ nodeId, err: e }, 'cannot remove the failed node');
      });
    await this.#database.db.transaction().execute(async (tx) => {
      const repo = new HostedNodesRepository(tx);
      await this.#move(nodeId, 'creating', { type: 'create_failed', reason: messageOf(err) }, repo);
      await refundFirstMonth(tx, { id: nodeId, tenantId, alias: '' });
    });
  }

  async #openInitialChannels(
    tenantId: string,
    nodeId: string,
    pubkey: Pubkey,
    p2pAddress: string,
    config: HostedNodeConfig,
  ): Promise<void> {
    await Promise.all(
      config.channels.map(async (c, i) => {
        try {
          await this.#channels.request(
            tenantId,
            {
              clientPubkey: pubkey,
              clientHost: p2pAddress,
              channelSize: c.capacity,
              pushAmount: c.pushAmount,
              isPrivate: c.isPrivate,
            },
            initialChannelKey(nodeId, i),
          );
        } catch (err) {
          // The node exists and is paid for; the channel request (or its refusal) is the tenant's to see.
          this.#log.warn({ nodeId, channel: i, err }, 'initial channel not opened');
        }
      }),
    );
  }

  /** A tenant's node. */
  async get(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#repo.getOwned(tenantId, nodeId);
    if (!record) throw new LspError(ErrorCode.NotFound, `no node ${nodeId}`);
    return this.#view(record);
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
    return {
      record,
      macaroon:
        record.sealedCustomerMacaroon && keys.customer !== null
          ? this.#box.open(record.sealedCustomerMacaroon)
          : null,
      readOnlyMacaroon: keys.readOnly !== null ? secrets?.readOnlyMacaroon || null : null,
      macaroonRootKeyId: record.sealedCustomerMacaroon ? keys.customer : null,
      readOnlyMacaroonRootKeyId: secrets?.readOnlyMacaroon ? keys.readOnly : null,
      channels,
      deletion,
    };
  }

  /** Stops a running node (its data kept). */
  async stop(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    await this.#move(nodeId, record.state, { type: 'stop' });
    await this.nodes.stop(nodeId, AbortSignal.timeout(60_000));
    return this.get(tenantId, nodeId);
  }

  /** Starts a stopped node and unlocks it. */
  async start(tenantId: string, nodeId: string): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    await this.#move(nodeId, record.state, { type: 'start' });
    await this.nodes.ensureRunning(await this.#require(nodeId), AbortSignal.timeout(PROVISION_TIMEOUT_MS));
    return this.get(tenantId, nodeId);
  }

  /**
   * Deletes a node, never destroying a coin (see {@link NodeDeletions}): refused (409 naming what
   * it holds) while it holds anything, unless `closeChannels` and a `sweepAddress` let the keeper
   * close, sweep and then remove it; the node shows `deleting`, with what it still holds and why,
   * until then. A node holding nothing is removed at once (its data archived).
   */
  async remove(tenantId: string, nodeId: string, options: DeleteOptions): Promise<HostedNodeView> {
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

  /** Applies an event to a node's machine and persists the new state (compare-and-set). */
  async #move(
    nodeId: string,
    from: HostedNodeState,
    event: HostedNodeEvent,
    repo: HostedNodesRepository = this.#repo,
  ): Promise<HostedNodeState> {
    const step = nextHostedNodeState(from, event);
    if (!step.ok) throw new LspError(ErrorCode.Conflict, step.reason, { field: 'state', state: from });
    const moved = await repo.transition(nodeId, from, step.state, {
      ...(step.failure ? { failure: step.failure } : {}),
      ...(step.state === 'suspended' ? { suspendedAt: new Date() } : {}),
      ...(from === 'suspended' ? { suspendedAt: null } : {}),
    });
    if (!moved)
      throw new LspError(ErrorCode.Conflict, `node ${nodeId} changed meanwhile; try again`, {
        field: 'state',
      });
    return step.state;
  }

  /** Moves a node by an event (for the jobs). */
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

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A digest of a creation request, kept with its idempotency key. */
function configHash(config: HostedNodeConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(nodeConfigToJson(config)))
    .digest('hex');
}
