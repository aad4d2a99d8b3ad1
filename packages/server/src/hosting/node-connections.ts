/**
 * The LSP's reach into each hosted node: its admin connection (one per node, kept), its sealed
 * secrets opened, and starting (with unlocking) and stopping its process.
 *
 * Starting and stopping one node take turns: the keeper, the billing job and a tenant's request
 * can each start or stop a node, and a stop that lands while a start is unlocking kills the
 * process under it (the start then waits on a dead node until its deadline). Each takes the
 * node's turn, then reads the node's state again and acts only if it still asks for that.
 *
 * The turn spans replicas: inside this process's queue, each call also holds the node's lock
 * shared by every replica ({@link NodeLocks}: a Postgres advisory lock; nothing more on PGlite,
 * which serves one process), so a tenant's `stop` on one replica and the keeper's start on
 * another take turns too. A lock not had in time is a `conflict` naming the node. A call made
 * for a job (the keeper, billing, deletions) whose lease this replica can no longer hold is
 * refused once it has the lock (`lease_lost`), before it touches the node.
 */
import {
  ErrorCode,
  type HostedNodeState,
  type LightningBackend,
  type LightningConnector,
  LspError,
  type NodeAccess,
  type NodeLocks,
  type NodeOrchestrator,
  type NodeRunStatus,
  type NodeWalletState,
  type NodeWallets,
  oneProcessNodeLocks,
  shouldRun,
} from '@blgv/core';
import { assertLeaseHeld, type HostedNodeRecord } from '@blgv/store';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.ts';
import { retryUntilDone } from '../jobs/retry.ts';
import { KeyedQueue } from '../keyed-queue.ts';

/** The most one attempt to bring a node up (start, unlock, RPC answering) may take. */
const ENSURE_RUNNING_TIMEOUT_MS = 120_000;
/** The most one attempt to stop a node's process may take. */
const STOP_TIMEOUT_MS = 60_000;

/** What the LSP keeps secret for a node (sealed with the secrets key). */
export interface NodeSecrets {
  readonly seed: readonly string[];
  /** The wallet password, hex. */
  readonly password: string;
  readonly adminMacaroon: string;
  readonly readOnlyMacaroon: string;
}

/** Connections to hosted nodes and what keeps them usable. */
export class NodeConnections {
  readonly #orchestrator: NodeOrchestrator;
  readonly #wallets: NodeWallets;
  readonly #connect: LightningConnector;
  readonly #box: SecretBox;
  readonly #log: Logger;
  /** Called after a node was unlocked (it forgot what it was told at runtime). */
  readonly #onUnlocked: (record: HostedNodeRecord) => Promise<void>;
  readonly #backends = new Map<string, LightningBackend>();
  /** Attempts of {@link ensureRunning} in progress, by node. */
  readonly #ensuring = new Map<string, Promise<void>>();
  /** Attempts of {@link stopProcess} in progress, by node. */
  readonly #stopping = new Map<string, Promise<boolean>>();
  /** The state a node is in now (read when its turn comes). */
  readonly #stateOf: (nodeId: string) => Promise<HostedNodeState | undefined>;
  /** Each node's starts and stops, queued or running: the next one waits for them. */
  readonly #turns = new KeyedQueue();
  /** The node's lock across replicas, taken inside its turn here. */
  readonly #locks: NodeLocks;

  constructor(deps: {
    orchestrator: NodeOrchestrator;
    wallets: NodeWallets;
    connect: LightningConnector;
    box: SecretBox;
    log: Logger;
    onUnlocked: (record: HostedNodeRecord) => Promise<void>;
    stateOf: (nodeId: string) => Promise<HostedNodeState | undefined>;
    /** The node's lock across replicas (the database's); one process only when not given. */
    locks?: NodeLocks;
  }) {
    this.#orchestrator = deps.orchestrator;
    this.#wallets = deps.wallets;
    this.#connect = deps.connect;
    this.#box = deps.box;
    this.#log = deps.log;
    this.#onUnlocked = deps.onUnlocked;
    this.#stateOf = deps.stateOf;
    this.#locks = deps.locks ?? oneProcessNodeLocks;
  }

  /** Opens (and keeps) the admin connection of a node just created. */
  open(nodeId: string, access: NodeAccess, adminMacaroon: string): LightningBackend {
    const backend = this.#connect(access, adminMacaroon);
    this.#backends.set(nodeId, backend);
    return backend;
  }

  /** The LSP's admin connection to a provisioned node. */
  backend(record: HostedNodeRecord): LightningBackend {
    const known = this.#backends.get(record.id);
    if (known) return known;
    if (!record.rpcAddress || !record.tlsCert)
      throw new LspError(ErrorCode.Conflict, `node ${record.id} is not provisioned`);
    return this.open(
      record.id,
      { rpcAddress: record.rpcAddress, tlsCert: record.tlsCert },
      this.secretsOf(record).adminMacaroon,
    );
  }

  /** A node's sealed secrets, opened. */
  secretsOf(record: HostedNodeRecord): NodeSecrets {
    if (!record.sealedSecrets) throw new Error(`node ${record.id} has no secrets`);
    return JSON.parse(this.#box.open(record.sealedSecrets)) as NodeSecrets;
  }

  /** Seals a node's secrets for storage. */
  seal(secrets: NodeSecrets): string {
    return this.#box.seal(JSON.stringify(secrets));
  }

  /**
   * Makes sure a node that should run runs and is unlocked: starts its process when it is not
   * running, unlocks its wallet when it is locked, and waits until its RPC answers. This is the
   * node's `start_process` effect, and what the keeper does each tick for a node that should run
   * and does not answer (after a restart it finishes a start cut short). Callers at
   * the same time (the keeper and a `start` request, say) share one attempt: two unlocks of one
   * wallet race, and the loser's call hangs until it times out. The attempt takes the node's
   * turn and is refused (`conflict`) when the node has been stopped or removed by then.
   */
  ensureRunning(record: HostedNodeRecord, signal: AbortSignal): Promise<void> {
    let attempt = this.#ensuring.get(record.id);
    if (!attempt) {
      // Its own deadline, not the first caller's signal: a keeper stopping must not fail the
      // start request that shares the attempt. Each caller stops waiting on its own signal.
      const deadline = AbortSignal.timeout(ENSURE_RUNNING_TIMEOUT_MS);
      attempt = this.#inTurn(record.id, deadline, async () => {
        const state = await this.#stateOf(record.id);
        if (!processWanted(state))
          throw new LspError(ErrorCode.Conflict, `node ${record.id} is ${state ?? 'gone'}: not started`);
        await this.#ensureRunning(record, deadline);
      }).finally(() => this.#ensuring.delete(record.id));
      // Each caller hears of a failure through its own wait; one whose signal had aborted
      // already is not waiting, and the failure must not go unhandled (it would end the process).
      attempt.catch(() => {});
      this.#ensuring.set(record.id, attempt);
    }
    return abortable(attempt, signal);
  }

  /**
   * Runs `look` on a node whatever its state: a node that is not running is started (and
   * unlocked) for it and stopped again afterwards unless its state now asks it to run. This is
   * how a stopped node is looked at before it is deleted (no month is charged for it). The
   * whole look takes the node's turn, so the keeper cannot stop it halfway.
   */
  inspect<T>(
    record: HostedNodeRecord,
    look: (backend: LightningBackend) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    return this.#inTurn(record.id, signal, async () => {
      const wasRunning = (await this.#orchestrator.status(record.id, signal)) === 'running';
      try {
        await this.#ensureRunning(
          record,
          AbortSignal.any([signal, AbortSignal.timeout(ENSURE_RUNNING_TIMEOUT_MS)]),
        );
        return await look(this.backend(record));
      } finally {
        const state = await this.#stateOf(record.id).catch(() => undefined);
        if (!wasRunning && !processWanted(state))
          await this.#orchestrator.stop(record.id, AbortSignal.timeout(60_000)).catch((err: unknown) => {
            this.#log.warn({ nodeId: record.id, err }, 'node started to be looked at could not be stopped');
          });
      }
    });
  }

  /**
   * Stops the process of a node that should not run (stopped by its tenant): the node's
   * `stop_process` effect, and what the keeper does each tick for such a node (after a restart
   * it finishes a stop cut short). Callers at the same time share one attempt, with its own
   * deadline; it takes the node's turn and stops the process only if the node's state still
   * asks for that then (a start may have moved it meanwhile). True when it was stopped.
   */
  stopProcess(nodeId: string, signal: AbortSignal): Promise<boolean> {
    let attempt = this.#stopping.get(nodeId);
    if (!attempt) {
      const deadline = AbortSignal.timeout(STOP_TIMEOUT_MS);
      attempt = this.stop(nodeId, deadline, async () => {
        const state = await this.#stateOf(nodeId);
        return state === 'stopped';
      }).finally(() => this.#stopping.delete(nodeId));
      attempt.catch(() => {}); // heard by each caller's own wait (see ensureRunning)
      this.#stopping.set(nodeId, attempt);
    }
    return abortable(attempt, signal);
  }

  /**
   * Stops a node's process in the node's turn, when `stillWanted` (asked then) agrees or is not
   * given. True when it was stopped.
   */
  stop(nodeId: string, signal: AbortSignal, stillWanted?: () => Promise<boolean>): Promise<boolean> {
    return this.#inTurn(nodeId, signal, async () => {
      if (stillWanted && !(await stillWanted())) return false;
      await this.#orchestrator.stop(nodeId, signal);
      return true;
    });
  }

  /**
   * Removes a node's process and data in the node's turn, and closes its connection. With
   * `keep`, the node's data (stopped first) is handed to it before it is deleted; a failure to
   * keep it leaves everything in place. With `stillWanted` (asked in the turn, first), nothing
   * is removed unless it agrees; `whenGone` runs in the same turn once the node is gone (what
   * records it), so no other start, stop or {@link inTurn} of the node comes in between.
   */
  destroy<T = void>(
    nodeId: string,
    signal: AbortSignal,
    keep?: (data: AsyncIterable<Uint8Array>) => Promise<T>,
    turn: { stillWanted?: () => Promise<boolean>; whenGone?: () => Promise<void> } = {},
  ): Promise<T | undefined> {
    this.forget(nodeId);
    return this.#inTurn(nodeId, signal, async () => {
      if (turn.stillWanted && !(await turn.stillWanted())) return undefined;
      const kept = keep ? await keep(this.#orchestrator.exportData(nodeId, signal)) : undefined;
      await this.#orchestrator.destroy(nodeId, signal);
      await turn.whenGone?.();
      return kept;
    });
  }

  /** Whether the node's process runs, is stopped, or is gone (no data). */
  status(nodeId: string, signal: AbortSignal): Promise<NodeRunStatus> {
    return this.#orchestrator.status(nodeId, signal);
  }

  /**
   * Runs `op` in the node's turn (after every start, stop or removal of it queued here, holding
   * its lock across replicas): for a step that must not interleave with them, such as a
   * creation's last step against a failed creation's removal.
   */
  inTurn<T>(nodeId: string, signal: AbortSignal, op: () => Promise<T>): Promise<T> {
    return this.#inTurn(nodeId, signal, op);
  }

  /**
   * Runs `op` once every start or stop of the node queued before it here has ended, holding
   * the node's lock across replicas (waited for until `signal` aborts, at most the lock's bound).
   */
  #inTurn<T>(nodeId: string, signal: AbortSignal, op: () => Promise<T>): Promise<T> {
    return this.#turns.run(nodeId, () =>
      this.#locks.withLock(nodeId, signal, () => {
        // For the keeper (or another job) whose lease this replica can no longer hold: the
        // node is left to the replica that holds it now (`lease_lost`).
        assertLeaseHeld(`node ${nodeId}'s start or stop`);
        return op();
      }),
    );
  }

  async #ensureRunning(record: HostedNodeRecord, signal: AbortSignal): Promise<void> {
    if ((await this.#orchestrator.status(record.id, signal)) !== 'running') {
      this.#log.warn({ nodeId: record.id }, 'hosted node not running: starting it');
      await this.#orchestrator.start(record.id, signal);
    }
    if (!record.tlsCert || !record.rpcAddress) return;
    const access: NodeAccess = { rpcAddress: record.rpcAddress, tlsCert: record.tlsCert };
    const state = await this.retry('wallet state', () => this.settledWalletState(access, signal), signal);
    if (state === 'locked') {
      await this.#wallets.unlock(access, Buffer.from(this.secretsOf(record).password, 'hex'), signal);
      this.#log.info({ nodeId: record.id }, 'hosted node unlocked');
      await this.retry('node RPC', () => this.backend(record).getInfo(AbortSignal.timeout(5_000)), signal);
      await this.#onUnlocked(record);
    }
  }

  /**
   * The state of a node's wallet once lnd has started far enough to say it (it reports
   * `starting` before it waits for its wallet's password): a node asked too early would
   * otherwise be left locked.
   */
  async settledWalletState(access: NodeAccess, signal: AbortSignal): Promise<NodeWalletState> {
    const state = await this.#wallets.state(access, signal);
    if (state === 'starting') throw new Error('lnd is still starting');
    return state;
  }

  /** Retries a call to a node that may still be starting; a `timeout` error once `signal` aborts. */
  async retry<T>(what: string, attempt: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await retryUntilDone(attempt, {
        what,
        signal,
        log: this.#log,
        // A local node that is starting: ask often, it answers within seconds.
        minDelayMs: 250,
        maxDelayMs: 500,
      });
    } catch (err) {
      if (signal.aborted)
        throw new LspError(ErrorCode.Timeout, `gave up waiting for ${what}`, undefined, { cause: err });
      throw err;
    }
  }

  /** Closes a node's connection (the node is being removed). */
  forget(nodeId: string): void {
    this.#backends.get(nodeId)?.close();
    this.#backends.delete(nodeId);
  }

  /** Closes every connection (not the nodes). */
  close(): void {
    for (const b of this.#backends.values()) b.close();
    this.#backends.clear();
  }
}

/** `promise`, or a rejection once `signal` aborts first (the promise itself runs on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Whether a node in `state` should have its process up: one that runs (or is kept running while
 * suspended), one being created, one being deleted (its closes and sweep need it). Not a node
 * its tenant stopped, nor one whose state cannot be read.
 */
function processWanted(state: HostedNodeState | undefined): boolean {
  return state !== undefined && (shouldRun(state) || state === 'deleting' || state === 'creating');
}
