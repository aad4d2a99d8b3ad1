/**
 * Deleting hosted nodes without destroying a coin.
 *
 * - `DELETE /v1/nodes/:id` ({@link NodeDeletions.request}) looks at what the node holds, in every
 *   state: a stopped node is started to look (no month is charged) and stopped again (a
 *   suspended one is kept running); one that cannot be started is not deleted. A node holding
 *   anything (a channel in any phase, time-locked or unswept funds, coins on chain, confirmed or
 *   not) is refused (409 naming what it holds) unless the request says `closeChannels` and gives a `sweepAddress`
 *   (checked for the nodes' network: 400 otherwise). Then the node moves to `deleting`.
 * - The keeper looks at a deleting node each tick ({@link NodeDeletions.step}): the pure
 *   {@link planDeletion} decides (cooperative closes, force closes after
 *   `hosting.deletion.forceCloseAfterSeconds`, waiting for every close and time lock, the sweep,
 *   its confirmations) and every look is recorded with what the node held and why it stays.
 * - Removal ({@link NodeDeletions.remove}) keeps an encrypted archive of the node's data (its
 *   directory, sealed seed, latest channel backup) for `hosting.archiveRetentionSeconds`; the
 *   `hosting-archives` job purges archives whose time is up ({@link NodeDeletions.purgeExpired}).
 */
import {
  type DeletionSettings,
  describeHoldings,
  ErrorCode,
  holdsNothing,
  LspError,
  type NodeHoldings,
  planDeletion,
  type SweepRecord,
  summariseHoldings,
} from '@blgv/core';
import {
  type Database,
  type HostedNodeDeletion,
  HostedNodeDeletionsRepository,
  type HostedNodeRecord,
  HostedNodesRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { AfterCommit } from '../machines/apply-step.ts';
import {
  type DeletionNode,
  describeAction,
  noteClose,
  performDeletionAction,
  readSweeps,
  refuseUnlessCovered,
} from './deletion-actions.ts';
import type { ArchiveManifest, NodeArchives } from './node-archives.ts';
import { nodeConfigFromJson } from './node-config.ts';
import type { NodeConnections } from './node-connections.ts';
import { type HoldingsPort, lastLookBeforeRemoval, readHoldings } from './node-holdings-reader.ts';
import type { MoveNode } from './node-steps.ts';
import { recordLastPayments } from './payment-record.ts';
import { type ChainNetwork, checkSweepAddress } from './sweep-address.ts';

/** Deletion and archive settings (from config). */
export interface DeletionConfig extends DeletionSettings {
  /** How long a removed node's archive is kept before it is purged. */
  readonly archiveRetentionMs: number;
}

/** What `DELETE /v1/nodes/:id` may say. */
export interface DeleteOptions {
  readonly closeChannels?: boolean;
  readonly sweepAddress?: string;
}

const CALL_TIMEOUT_MS = 30_000;
/** How long `DELETE` waits for a stopped node to start so it can be looked at. */
const LOOK_TIMEOUT_MS = 120_000;

/** Deletions of hosted nodes. */
export class NodeDeletions {
  readonly #database: Database;
  readonly #nodes: NodeConnections;
  readonly #archives: NodeArchives;
  readonly #config: DeletionConfig;
  readonly #network: ChainNetwork;
  readonly #move: MoveNode;
  readonly #forget: (nodeId: string) => void;
  readonly #log: Logger;
  readonly #repo: HostedNodeDeletionsRepository;
  readonly #nodeRepo: HostedNodesRepository;
  /** Each node's deletion steps in this process, one at a time ({@link #inTurn}). */
  readonly #turns = new KeyedQueue();

  constructor(deps: {
    database: Database;
    nodes: NodeConnections;
    archives: NodeArchives;
    config: DeletionConfig;
    network: ChainNetwork;
    move: MoveNode;
    /** Forgets what the LSP keeps in memory about a node being removed. */
    forget: (nodeId: string) => void;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#nodes = deps.nodes;
    this.#archives = deps.archives;
    this.#config = deps.config;
    this.#network = deps.network;
    this.#move = deps.move;
    this.#forget = deps.forget;
    this.#log = deps.log;
    this.#repo = new HostedNodeDeletionsRepository(deps.database.db);
    this.#nodeRepo = new HostedNodesRepository(deps.database.db);
  }

  /** The archives of removed nodes. */
  get archives(): NodeArchives {
    return this.#archives;
  }

  /** A node's deletion, if one was asked. */
  get(nodeId: string): Promise<HostedNodeDeletion | undefined> {
    return this.#repo.get(nodeId);
  }

  /** The deletions of these nodes, by node id. */
  forNodes(nodeIds: readonly string[]): Promise<Map<string, HostedNodeDeletion>> {
    return this.#repo.forNodes(nodeIds);
  }

  /** Checks a deletion's options alone (400 naming `sweepAddress` when it is not of the network). */
  check(options: DeleteOptions): void {
    if (options.sweepAddress !== undefined) checkSweepAddress(options.sweepAddress, this.#network);
  }

  /**
   * `DELETE /v1/nodes/:id`: refuses (409 naming what the node holds) unless the node holds
   * nothing or the request lets it close and sweep; then moves it to `deleting` and, when it
   * holds nothing, removes it at once (the step's `remove` effect, performed once the step and
   * the deletion's record are committed: {@link remove}). Asked again of a deleting node, it
   * changes `closeChannels` and the sweep address.
   */
  async request(record: HostedNodeRecord, options: DeleteOptions): Promise<void> {
    this.check(options);
    const request = {
      closeChannels: options.closeChannels ?? false,
      sweepAddress: options.sweepAddress ?? null,
    };
    if (record.state === 'deleting') {
      await this.#repo.request(record.id, request, null);
      return;
    }
    if (record.state !== 'running' && record.state !== 'stopped' && record.state !== 'suspended')
      throw new LspError(ErrorCode.Conflict, `a ${record.state} node cannot be deleted`, { field: 'state' });
    const holdings = await this.#look(record);
    refuseUnlessCovered(holdings, request);
    const after = new AfterCommit(this.#database.db);
    await this.#database.db.transaction().execute(async (tx) => {
      const event = { type: 'delete', holdsNothing: holdsNothing(holdings) } as const;
      await this.#move(record.id, record.state, event, { tx, after });
      await new HostedNodeDeletionsRepository(tx).request(record.id, request, holdings.height);
    });
    this.#log.info(
      { nodeId: record.id, from: record.state, holds: describeHoldings(holdings), ...request },
      'hosted node deletion asked',
    );
    await after.perform();
  }

  /**
   * What a node holds now; a node that is not running is started to look, and a stopped one
   * stopped again (a suspended one is kept running: `NodeConnections.inspect`).
   */
  async #look(record: HostedNodeRecord): Promise<NodeHoldings> {
    const signal = AbortSignal.timeout(LOOK_TIMEOUT_MS);
    // A node just started answers some calls before others, and syncs to the chain first.
    const look = (node: HoldingsPort) =>
      this.#nodes.retry(
        'what the node holds',
        () => readHoldings(node, AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)])),
        signal,
      );
    try {
      if (record.state === 'running') return await look(this.#nodes.backend(record));
      return await this.#nodes.inspect(record, look, signal);
    } catch (err) {
      if (err instanceof LspError && err.code === ErrorCode.Conflict) throw err;
      throw new LspError(
        ErrorCode.LightningUnavailable,
        `the node could not be ${record.state === 'running' ? 'asked' : 'started to see'} what it holds, so it is not deleted: ${errorMessage(err)}`,
        { nodeId: record.id },
        { cause: err },
      );
    }
  }

  /**
   * One look at a deleting node: starts it if needed, reads what it holds, and does what the
   * plan says (closes, a sweep, the removal). Records the look, or why it could not be made.
   * Takes the node's deletion turn ({@link #inTurn}).
   */
  step(record: HostedNodeRecord, signal: AbortSignal): Promise<void> {
    return this.#inTurn(record.id, signal, (now) => this.#step(now, signal));
  }

  async #step(record: HostedNodeRecord, signal: AbortSignal): Promise<void> {
    const deletion = await this.#repo.get(record.id);
    if (!deletion) {
      // Asked before deletions were recorded: nothing said to close or sweep.
      await this.#repo.request(record.id, { closeChannels: false, sweepAddress: null }, null);
      return;
    }
    const call = () => AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
    if (deletion.phase === 'removing' && (await this.#nodes.status(record.id, call())) === 'missing') {
      await this.#finishRemoval(record);
      return;
    }
    let node: HoldingsPort & DeletionNode;
    let holdings: NodeHoldings;
    let sweeps: SweepRecord[];
    let toOwnAddress: boolean;
    try {
      await this.#nodes.ensureRunning(record, AbortSignal.any([signal, AbortSignal.timeout(120_000)]));
      node = this.#nodes.backend(record);
      // Its autopilot would open channels with what the closes free (started again with the
      // node): stopped at every look, before anything is read or closed.
      if (nodeConfigFromJson(record.config).autopilot.enabled) await node.stopAutopilot(call());
      holdings = await readHoldings(node, call());
      ({ sweeps, toOwnAddress } = await readSweeps(node, record.id, deletion, call()));
    } catch (err) {
      // The node stays, coins and all, until it can be looked at: its tenant reads why.
      await this.#repo.recordTrouble(record.id, [
        `the node could not be looked at (it is kept, with everything it holds, and tried again): ${errorMessage(err)}`,
      ]);
      throw err;
    }
    const closes = { ...deletion.closes };
    const progress = { ...deletion, closes, sweeps, sweepAddressIsOwn: toOwnAddress };
    const plan = planDeletion(progress, holdings, new Date(), this.#config);
    for (const action of plan.actions) {
      if (action.type === 'remove') {
        await this.#repo.recordLook(record.id, {
          phase: 'removing',
          holdings: summariseHoldings(holdings),
          reasons: [],
          closes,
          sweeps,
        });
        await this.#remove(record);
        return;
      }
      const done = await performDeletionAction(node, record, action, call(), this.#log).catch(
        (err: unknown) => {
          this.#log.warn(
            { nodeId: record.id, action: describeAction(action), err: errorMessage(err) },
            'deletion step failed',
          );
          return undefined;
        },
      );
      if (action.type === 'close') {
        noteClose(closes, action, done !== undefined);
      } else if (action.type === 'sweep' && done) {
        sweeps.push(done as SweepRecord);
      }
    }
    await this.#repo.recordLook(record.id, {
      phase: plan.phase,
      holdings: summariseHoldings(holdings),
      reasons: plan.reasons,
      closes,
      sweeps,
    });
  }

  /**
   * Removes a deleting node that holds nothing: archives its data (encrypted, with its sealed
   * secrets and latest backup), destroys it, records the archive and moves it to `deleted`. An
   * archive that cannot be written leaves the node as it is; so does anything that reached the
   * node since the look that decided its removal ({@link lastLookBeforeRemoval}, right before
   * its data goes). The `remove` effect of a deletion
   * asked of a node holding nothing, and the keeper's last step of any other (or of one whose
   * effect a restart cut short). Takes the node's deletion turn ({@link #inTurn}): a keeper's
   * look at the node never runs beside it, and one that removed it first leaves it nothing to do.
   */
  remove(record: HostedNodeRecord): Promise<void> {
    return this.#inTurn(record.id, AbortSignal.timeout(LOOK_TIMEOUT_MS), (now) => this.#remove(now));
  }

  /**
   * Runs one step of a node's deletion (a look, a removal) in the node's turn: after the steps
   * of it queued here before it, holding its deletion lock across replicas (a `DELETE` answered
   * on one replica removes the node while the keeper may look at it on another). `op` gets the
   * node as it is then, and runs only if it is still `deleting`.
   */
  #inTurn(
    nodeId: string,
    signal: AbortSignal,
    op: (record: HostedNodeRecord) => Promise<void>,
  ): Promise<void> {
    return this.#turns.run(nodeId, () =>
      this.#database.nodeLocks.withLock(
        nodeId,
        signal,
        async () => {
          const now = await this.#nodeRepo.get(nodeId);
          if (now?.state === 'deleting') await op(now);
        },
        'deletion',
      ),
    );
  }

  async #remove(record: HostedNodeRecord): Promise<void> {
    const deletion = await this.#repo.get(record.id);
    const manifest: ArchiveManifest = {
      nodeId: record.id,
      tenantId: record.tenantId,
      pubkey: record.pubkey,
      alias: record.alias,
      createdAt: record.createdAt.toISOString(),
      archivedAt: new Date().toISOString(),
      sealedSecrets: record.sealedSecrets,
      channelBackup: record.backup,
      sweeps: (deletion?.sweeps ?? []).map((s) => ({
        txid: s.txid,
        amount: s.amount.toString(),
        address: s.address,
      })),
    };
    this.#forget(record.id);
    // From here a crash before the removal is recorded is finished by the keeper's next look.
    const began = await this.#repo.removing(record.id);
    // The last payments it sent are recorded (and billed) before its data goes.
    await recordLastPayments(this.#database, record, () => this.#nodes.backend(record), this.#log);
    await lastLookBeforeRemoval(
      this.#nodes.backend(record),
      // Asked only when the node did not answer. Only a node its driver reports stopped or
      // missing goes unread: `pending` (a pod running but not ready: its probe timed out under
      // the same load), `failed`, or a driver that cannot tell, are taken as running.
      async () => {
        const status = await this.#nodes
          .status(record.id, AbortSignal.timeout(CALL_TIMEOUT_MS))
          .catch(() => 'running' as const);
        return status !== 'stopped' && status !== 'missing';
      },
      AbortSignal.timeout(CALL_TIMEOUT_MS),
    ).catch(async (err: unknown) => {
      // Not removed: no longer `removing` (a node the driver then misses is not taken for one
      // whose removal a crash cut short), and the tenant reads why.
      await this.#repo.removalRefused(record.id, [errorMessage(err)], began);
      throw err;
    });
    const ref = await this.#nodes.destroy(record.id, AbortSignal.timeout(300_000), (data) =>
      this.#archives.write(manifest, data),
    );
    const expiresAt = await this.#recordRemoved(record.id, ref);
    this.#log.info({ nodeId: record.id, archive: ref, archiveExpiresAt: expiresAt }, 'hosted node deleted');
  }

  /**
   * Records a node removed (`deleting -> deleted`) with its archive `ref`, kept until the
   * retention ends; answers that end.
   */
  async #recordRemoved(nodeId: string, ref: string | undefined): Promise<Date> {
    const expiresAt = new Date(Date.now() + this.#config.archiveRetentionMs);
    await this.#database.db.transaction().execute(async (tx) => {
      await new HostedNodeDeletionsRepository(tx).removed(nodeId, ref ? { ref, expiresAt } : undefined, tx);
      await this.#move(nodeId, 'deleting', { type: 'destroyed' }, { tx });
    });
    return expiresAt;
  }

  /**
   * Records the removal of a node whose data is gone though its removal was not recorded (a
   * crash between the two): its newest archive, if one was written, kept as any removal's.
   */
  async #finishRemoval(record: HostedNodeRecord): Promise<void> {
    const ref = this.#archives.latest(record.id);
    await this.#recordRemoved(record.id, ref);
    this.#log.warn(
      { nodeId: record.id, archive: ref ?? null },
      'hosted node removal was cut short after its data went; recorded now',
    );
  }

  /**
   * Purges archives whose retention has ended, and what the LSP still kept of those nodes
   * (sealed secrets, macaroon, channel backup). Answers how many were purged.
   */
  async purgeExpired(): Promise<number> {
    const expired = await this.#repo.expiredArchives(new Date());
    for (const d of expired) {
      if (d.archiveRef) this.#archives.purge(d.archiveRef);
      await this.#nodeRepo.forgetSecrets(d.nodeId);
      await this.#repo.purged(d.nodeId);
      this.#log.info({ nodeId: d.nodeId, archive: d.archiveRef }, 'hosted node archive purged');
    }
    return expired.length;
  }
}
