/**
 * Hosted Lightning nodes for tenants (`/v1/nodes`): quotes, creation (process, wallet,
 * macaroons, initial channels, autopilot, the first month charged), start/stop, deletion,
 * backups and extra macaroons. The keeper and billing jobs (`node-keeper.ts`,
 * `hosting-billing.ts`) keep the nodes alive and paid for.
 */
import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type FeeSchedule,
  type HostedNodeConfig,
  type HostedNodeState,
  type LightningBackend,
  type LightningConnector,
  LspError,
  type NodeAccess,
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
  type HostedNodeRecord,
  HostedNodesRepository,
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
import { bakeUnderOwnKey, NodeMacaroons, recordMacaroon } from './macaroon-keys.ts';
import { CUSTOMER_PERMISSIONS, READ_ONLY_PERMISSIONS } from './macaroon-permissions.ts';
import { nodeConfigFromJson, nodeConfigToJson, parseNodeConfig } from './node-config.ts';
import { NodeConnections, type NodeSecrets } from './node-connections.ts';
import { recordLastPayments } from './payment-record.ts';

/** Hosting limits and periods (from config). */
export interface HostingLimits {
  readonly maxNodes: number;
  readonly maxNodesPerTenant: number;
  readonly billingPeriodSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
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
}

/** How long a node may take from process start to an active wallet. */
const PROVISION_TIMEOUT_MS = 90_000;

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
   * Creates a node: charges the first month, starts the node, creates its wallet (seed and
   * password kept sealed), bakes the customer's macaroons, buys its initial channels and turns
   * autopilot on. Answers with the node and its seed (shown this once).
   */
  async create(
    tenantId: string,
    config: HostedNodeConfig,
  ): Promise<{ view: HostedNodeView; seed: readonly string[] }> {
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
    await this.#chargeFirstMonth(tenantId, nodeId, config, quote.monthlyFee);
    let provisioned: { pubkey: Pubkey; p2pAddress: string; seed: readonly string[] };
    try {
      provisioned = await this.#provision(nodeId, config);
    } catch (err) {
      await this.#failCreation(tenantId, nodeId, quote.monthlyFee, err);
      throw new LspError(ErrorCode.LightningUnavailable, `the node could not be created: ${messageOf(err)}`, {
        nodeId,
      });
    }
    await this.#openInitialChannels(tenantId, nodeId, provisioned.pubkey, provisioned.p2pAddress, config);
    if (config.autopilot.enabled) await this.lspPreference.prefer(await this.#require(nodeId));
    return { view: await this.get(tenantId, nodeId), seed: provisioned.seed };
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

  async #provision(
    nodeId: string,
    config: HostedNodeConfig,
  ): Promise<{ pubkey: Pubkey; p2pAddress: string; seed: readonly string[] }> {
    const signal = AbortSignal.timeout(PROVISION_TIMEOUT_MS);
    const endpoints = await this.#orchestrator.create(
      {
        nodeId,
        alias: config.alias,
        color: config.color,
        features: config.features,
        ...(config.autopilot.enabled ? { autopilot: config.autopilot } : {}),
      },
      signal,
    );
    const access: NodeAccess = { rpcAddress: endpoints.rpcAddress, tlsCert: endpoints.tlsCert };
    const password = randomBytes(32);
    const wallet = await this.nodes.retry(
      'wallet creation',
      () => this.#wallets.create(access, password, signal),
      signal,
    );
    const backend = this.nodes.open(nodeId, access, wallet.adminMacaroon);
    // `running` means usable: the node answers and has caught up with the chain.
    const info = await this.nodes.retry(
      'node synced to chain',
      async () => {
        const i = await backend.getInfo(AbortSignal.timeout(5_000));
        if (!i.syncedToChain) throw new Error('not synced to chain yet');
        return i;
      },
      signal,
    );
    // Each under a root key of its own, so either can be revoked alone (macaroon-keys.ts).
    const [customer, readOnly] = [
      await bakeUnderOwnKey(backend, CUSTOMER_PERMISSIONS, signal),
      await bakeUnderOwnKey(backend, READ_ONLY_PERMISSIONS, signal),
    ];
    const secrets: NodeSecrets = {
      seed: wallet.mnemonic,
      password: password.toString('hex'),
      adminMacaroon: wallet.adminMacaroon,
      readOnlyMacaroon: readOnly.macaroon,
    };
    await this.#database.db.transaction().execute(async (tx) => {
      const repo = new HostedNodesRepository(tx);
      await repo.provisioned(
        nodeId,
        {
          pubkey: info.pubkey,
          rpcAddress: endpoints.rpcAddress,
          publicRpcAddress: endpoints.publicRpcAddress,
          restAddress: endpoints.restAddress,
          p2pAddress: endpoints.p2pAddress,
          tlsCert: endpoints.tlsCert,
          sealedSecrets: this.nodes.seal(secrets),
          sealedCustomerMacaroon: this.#box.seal(customer.macaroon),
        },
        tx,
      );
      await recordMacaroon(tx, nodeId, 'customer', CUSTOMER_PERMISSIONS, customer);
      await recordMacaroon(tx, nodeId, 'read_only', READ_ONLY_PERMISSIONS, readOnly);
      await this.#move(nodeId, 'creating', { type: 'created' }, repo);
    });
    this.#log.info({ nodeId, pubkey: info.pubkey }, 'hosted node created');
    return { pubkey: info.pubkey, p2pAddress: endpoints.p2pAddress, seed: wallet.mnemonic };
  }

  async #failCreation(tenantId: string, nodeId: string, fee: Sat, err: unknown): Promise<void> {
    this.#log.error({ nodeId, err }, 'hosted node creation failed');
    await this.nodes.destroy(nodeId, AbortSignal.timeout(60_000)).catch((e: unknown) => {
      this.#log.error({ nodeId, err: e }, 'cannot remove the failed node');
    });
    await this.#database.db.transaction().execute(async (tx) => {
      const repo = new HostedNodesRepository(tx);
      await this.#move(nodeId, 'creating', { type: 'create_failed', reason: messageOf(err) }, repo);
      await refundFirstMonth(tx, { id: nodeId, tenantId, alias: '' }, fee);
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
    return { items: await Promise.all(records.items.map((r) => this.#view(r))), next: records.next };
  }

  async #view(record: HostedNodeRecord): Promise<HostedNodeView> {
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
      readOnlyMacaroon: keys.readOnly !== null ? (secrets?.readOnlyMacaroon ?? null) : null,
      macaroonRootKeyId: record.sealedCustomerMacaroon ? keys.customer : null,
      readOnlyMacaroonRootKeyId: secrets?.readOnlyMacaroon ? keys.readOnly : null,
      channels,
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
   * Deletes a node. Refused while it has channels or funds, unless `closeChannels` (channels
   * closed cooperatively) and a `sweepAddress` for the funds are given: then the keeper closes,
   * sweeps and removes it, and the node shows `deleting` until it is gone.
   */
  async remove(
    tenantId: string,
    nodeId: string,
    options: { closeChannels?: boolean; sweepAddress?: string },
  ): Promise<HostedNodeView> {
    const record = await this.#owned(tenantId, nodeId);
    const holdings =
      record.state === 'running' ? await this.holdings(record) : { channels: 0, funds: sat(0) };
    if (holdings.channels > 0 && !options.closeChannels) {
      throw new LspError(
        ErrorCode.Conflict,
        `the node has ${holdings.channels} channels; delete with closeChannels and a sweepAddress`,
        {
          field: 'closeChannels',
          channels: holdings.channels,
        },
      );
    }
    if ((holdings.funds > 0n || holdings.channels > 0) && !options.sweepAddress) {
      throw new LspError(
        ErrorCode.Conflict,
        `the node holds ${holdings.funds} sat on-chain; delete with a sweepAddress`,
        {
          field: 'sweepAddress',
          funds: Number(holdings.funds),
        },
      );
    }
    if (record.state !== 'running' && (options.closeChannels || options.sweepAddress)) {
      throw new LspError(
        ErrorCode.Conflict,
        `a ${record.state} node cannot close channels or sweep; start it first`,
        {
          field: 'state',
        },
      );
    }
    await this.#move(nodeId, record.state, { type: 'delete' }, this.#repo, {
      ...(options.sweepAddress ? { sweepAddress: options.sweepAddress } : {}),
      closeChannels: options.closeChannels ?? false,
    });
    if (holdings.channels === 0 && holdings.funds === 0n)
      await this.finishDeletion(await this.#require(nodeId));
    // Read again: a node removed at once is `deleted`, which `get` no longer finds.
    return this.#view(await this.#require(nodeId));
  }

  /** Open and pending channels and on-chain funds of a running node. */
  async holdings(record: HostedNodeRecord): Promise<{ channels: number; funds: Sat }> {
    const backend = this.nodes.backend(record);
    const signal = AbortSignal.timeout(15_000);
    const [open, pending, wallet] = await Promise.all([
      backend.listChannels(signal),
      backend.pendingChannels(signal),
      backend.walletBalance(signal),
    ]);
    return { channels: open.length + pending.length, funds: sat(wallet.confirmed + wallet.unconfirmed) };
  }

  /** Removes a node in `deleting` whose channels and funds are gone. */
  async finishDeletion(record: HostedNodeRecord): Promise<void> {
    this.lspPreference.forget(record.id);
    await recordLastPayments(this.#database, record, () => this.nodes.backend(record), this.#log);
    await this.nodes.destroy(record.id, AbortSignal.timeout(60_000));
    await this.#move(record.id, 'deleting', { type: 'destroyed' });
    this.#log.info({ nodeId: record.id }, 'hosted node deleted');
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
    event: Parameters<typeof nextHostedNodeState>[1],
    repo: HostedNodesRepository = this.#repo,
    patch: { sweepAddress?: string; closeChannels?: boolean } = {},
  ): Promise<HostedNodeState> {
    const step = nextHostedNodeState(from, event);
    if (!step.ok) throw new LspError(ErrorCode.Conflict, step.reason, { field: 'state', state: from });
    const moved = await repo.transition(nodeId, from, step.state, {
      ...(step.failure ? { failure: step.failure } : {}),
      ...(step.state === 'suspended' ? { suspendedAt: new Date() } : {}),
      ...(from === 'suspended' ? { suspendedAt: null } : {}),
      ...patch,
    });
    if (!moved)
      throw new LspError(ErrorCode.Conflict, `node ${nodeId} changed meanwhile; try again`, {
        field: 'state',
      });
    return step.state;
  }

  /** Moves a node by an event (for the jobs). */
  move(record: HostedNodeRecord, event: Parameters<typeof nextHostedNodeState>[1]): Promise<HostedNodeState> {
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
