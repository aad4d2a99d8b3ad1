/**
 * Creating hosted nodes: quotes, the first month charged with the node's row (under the creation
 * lock, counted against the limits), provisioning in resumable steps ({@link NodeProvisioning}),
 * the initial channels and autopilot; repeats of a request under its `Idempotency-Key`; the
 * keeper finishing creations whose creator died; and failing (refunded, archived) what cannot be
 * finished.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type FeeSchedule,
  type HostedNodeConfig,
  isLspError,
  LspError,
  type Pubkey,
  type Sat,
  sat,
} from '@blgv/core';
import { type Database, type HostedNodeRecord, HostedNodesRepository, isUniqueViolation } from '@blgv/store';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { errorMessage } from '../error-message.ts';
import { chargeFirstMonth, checkNodeLimits } from './first-month-charge.ts';
import type { HostedNodeView, HostingLimits } from './hosted-node-view.ts';
import { refundFirstMonth } from './hosting-ledger.ts';
import type { ArchiveManifest, NodeArchives } from './node-archives.ts';
import { nodeConfigFromJson, nodeConfigToJson } from './node-config.ts';
import type { NodeConnections } from './node-connections.ts';
import {
  CREATION_STALE_MS,
  type NodeProvisioning,
  type Provisioned,
  Unrecoverable,
} from './node-provisioning.ts';
import type { MoveNode } from './node-steps.ts';

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

/** What creating a node answered: the node, its seed (when it may be shown), and whether it is a repeat. */
export interface CreatedNode {
  readonly view: HostedNodeView;
  readonly seed: readonly string[] | undefined;
  /** A repeat of an earlier request with the same `Idempotency-Key`. */
  readonly replayed: boolean;
}

/** How long a node may take from process start to an active wallet. */
export const PROVISION_TIMEOUT_MS = 90_000;
/** A creation still failing this long after it was asked is given up: refunded. */
const CREATION_GIVE_UP_MS = 15 * 60_000;
/** How long a repeated creation request waits for the first one to finish. */
const REPEAT_WAIT_MS = PROVISION_TIMEOUT_MS + 30_000;

/** The idempotency key of a node's `i`th initial channel (its channel request). */
export function initialChannelKey(nodeId: string, i: number): string {
  return `hosted-node:${nodeId}:channel:${i}`;
}

/** Creates hosted nodes, and finishes creations cut short. */
export class NodeCreation {
  readonly #database: Database;
  readonly #repo: HostedNodesRepository;
  readonly #accounts: Accounts;
  readonly #channels: ChannelService;
  readonly #schedule: FeeSchedule;
  readonly #limits: HostingLimits;
  readonly #provisioning: NodeProvisioning;
  readonly #nodes: NodeConnections;
  readonly #archives: NodeArchives;
  readonly #prefer: (record: HostedNodeRecord) => Promise<void>;
  readonly #watch: (record: HostedNodeRecord) => Promise<void>;
  readonly #view: (record: HostedNodeRecord) => Promise<HostedNodeView>;
  readonly #move: MoveNode;
  readonly #log: Logger;
  /** Nodes this process is creating (or finishing): the keeper leaves them alone. */
  readonly #creating = new Set<string>();

  constructor(deps: {
    database: Database;
    accounts: Accounts;
    channels: ChannelService;
    schedule: FeeSchedule;
    limits: HostingLimits;
    provisioning: NodeProvisioning;
    nodes: NodeConnections;
    archives: NodeArchives;
    /** Keeps an autopilot node pointed at the LSP. */
    prefer: (record: HostedNodeRecord) => Promise<void>;
    /** Registers the watchtower with the node (logs, does not throw, when it cannot). */
    watch: (record: HostedNodeRecord) => Promise<void>;
    /** The node as its tenant sees it. */
    view: (record: HostedNodeRecord) => Promise<HostedNodeView>;
    /** Moves a node's machine (compare-and-set) and performs the step's effects. */
    move: MoveNode;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#repo = new HostedNodesRepository(deps.database.db);
    this.#accounts = deps.accounts;
    this.#channels = deps.channels;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#provisioning = deps.provisioning;
    this.#nodes = deps.nodes;
    this.#archives = deps.archives;
    this.#prefer = deps.prefer;
    this.#watch = deps.watch;
    this.#view = deps.view;
    this.#move = deps.move;
    this.#log = deps.log;
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
    checkNodeLimits(this.#limits, await this.#repo.counts(tenantId));
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
      await chargeFirstMonth(
        { database: this.#database, accounts: this.#accounts, limits: this.#limits },
        tenantId,
        nodeId,
        config,
        quote.monthlyFee,
        requestHash,
        idempotencyKey,
      );
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

  /** The seed, while it may still be shown ({@link seedMayBeShown}). */
  #seedToShow(record: HostedNodeRecord): readonly string[] | undefined {
    return seedMayBeShown(record, Date.now()) ? this.#nodes.secretsOf(record).seed : undefined;
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
          `the node could not be created: ${errorMessage(err)}`,
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
    // The tower first, so that the node's channels are watched from their first state on.
    await this.#watch(await this.#require(nodeId));
    await this.#openInitialChannels(tenantId, nodeId, provisioned.pubkey, provisioned.p2pAddress, config);
    if (config.autopilot.enabled) await this.#prefer(await this.#require(nodeId));
  }

  /**
   * Finishes creations whose creator died (their heartbeat stopped): resumes them from their last
   * step, or fails and refunds them when they cannot be finished (for the keeper).
   */
  async resumeAbandoned(): Promise<void> {
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
              { nodeId: record.id, err: errorMessage(err) },
              'finishing an abandoned creation failed',
            );
          }
        }),
    );
  }

  async #failCreation(tenantId: string, nodeId: string, err: unknown): Promise<void> {
    this.#log.error({ nodeId, err }, 'hosted node creation failed');
    // A node that never reached its tenant holds nothing; its data is archived all the same.
    const record = await this.#repo.get(nodeId);
    // Archived and destroyed before the step records it (in the same turn of the node, so a
    // creation finished elsewhere cannot come in between): `failed` is final, nothing looks at
    // it again. A step that no longer applies (the node is running) records nothing.
    const recordFailed = () =>
      this.#database.db
        .transaction()
        .execute(async (tx) => {
          await this.#move(nodeId, 'creating', { type: 'create_failed', reason: errorMessage(err) }, { tx });
          await refundFirstMonth(tx, { id: nodeId, tenantId, alias: '' });
        })
        .catch((e: unknown) => {
          if (!isLspError(e, ErrorCode.Conflict)) throw e;
          this.#log.warn({ nodeId }, 'hosted node creation finished elsewhere meanwhile; kept');
        });
    const manifest: ArchiveManifest = {
      nodeId,
      tenantId,
      pubkey: record?.pubkey ?? null,
      alias: record?.alias ?? '',
      createdAt: (record?.createdAt ?? new Date()).toISOString(),
      archivedAt: new Date().toISOString(),
      sealedSecrets: record?.sealedSecrets ?? null,
      channelBackup: null,
      sweeps: [],
    };
    await this.#nodes
      .destroy(nodeId, AbortSignal.timeout(60_000), (data) => this.#archives.write(manifest, data), {
        // Another replica may have finished the creation meanwhile (this one stalled): the
        // node is then its tenant's, and stays.
        stillWanted: async () => (await this.#repo.get(nodeId))?.state === 'creating',
        whenGone: recordFailed,
      })
      .catch(async (e: unknown) => {
        this.#log.error({ nodeId, err: e }, 'cannot remove the failed node');
        await recordFailed();
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

  async #require(nodeId: string): Promise<HostedNodeRecord> {
    const record = await this.#repo.get(nodeId);
    if (!record) throw new Error(`hosted node ${nodeId} vanished`);
    return record;
  }
}

/**
 * Whether a node's seed may be shown to its tenant at `now`: its wallet made (the seed sealed),
 * the creation finished (a node still `creating` may yet fail and be removed, so its seed never
 * leaves the LSP before the node is the tenant's: nothing can have been paid to a wallet whose
 * seed nobody outside was shown), not acknowledged, within `hosting.seedRedeliverySeconds`.
 */
export function seedMayBeShown(
  record: Pick<HostedNodeRecord, 'sealedSecrets' | 'seedAcknowledgedAt' | 'state' | 'seedAvailableUntil'>,
  now: number,
): boolean {
  if (!record.sealedSecrets || record.seedAcknowledgedAt) return false;
  if (!handedOver(record)) return false;
  return !record.seedAvailableUntil || record.seedAvailableUntil.getTime() >= now;
}

/**
 * Whether a node is its tenant's yet: its creation finished (not `creating`, not `failed`).
 * Before, nothing that reaches its wallet leaves the LSP (its seed, its macaroons, an
 * `lndconnect` URI): a creation that fails removes the node without looking at its wallet, so
 * nothing may have been paid to it.
 */
export function handedOver(record: Pick<HostedNodeRecord, 'state'>): boolean {
  return record.state !== 'creating' && record.state !== 'failed';
}

/** A digest of a creation request, kept with its idempotency key. */
function configHash(config: HostedNodeConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(nodeConfigToJson(config)))
    .digest('hex');
}
