/**
 * Steps of a hosted node's machine: one `applyStep` writes the transition (compare-and-set) and
 * performs its effects through handlers that do the work now, each through the one method the
 * keeper's reconcile loop also calls (so a step whose effect a restart cut short is finished
 * by the keeper's next tick):
 * - `start_process`: {@link NodeConnections.ensureRunning} (start, unlock, answer);
 * - `stop_process`: {@link NodeConnections.stopProcess};
 * - `remove`: the deletion's removal of a node that holds nothing (`NodeDeletions.remove`:
 *   archive, destroy, record `destroyed`).
 *
 * The caller waits for the effects: a tenant's stop or start answers once the process is
 * stopped or started, as billing's suspension and resumption do.
 */
import {
  ErrorCode,
  type HostedNodeEvent,
  type HostedNodeState,
  hostedNodeMachine,
  LspError,
} from '@blgv/core';
import {
  type Database,
  type HostedNodeRecord,
  HostedNodesRepository,
  type Kysely,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { type AfterCommit, applyStep } from '../machines/apply-step.ts';
import type { NodeConnections } from './node-connections.ts';

/** How long a step's caller waits for the node's process to start, by default. */
const START_WAIT_MS = 120_000;
/** How long a step's caller waits for the node's process to stop, by default. */
const STOP_WAIT_MS = 60_000;

/** Where a step is written and how long its caller waits for its effects. */
export interface MoveOptions {
  /** The transaction to write the step in; its effects then wait for `after`. */
  readonly tx?: Kysely<Schema>;
  /** Where the effects of a step written in `tx` are queued until the caller commits it. */
  readonly after?: AfterCommit;
  /** How long to wait for the process to start or stop (the work goes on past it). */
  readonly waitMs?: number;
}

/**
 * Moves a node's machine by an event (compare-and-set from `from`) and performs the step's
 * effects; a refused event, or a node that moved meanwhile, is a 409. Answers the new state.
 */
export type MoveNode = (
  nodeId: string,
  from: HostedNodeState,
  event: HostedNodeEvent,
  options?: MoveOptions,
) => Promise<HostedNodeState>;

/** The mover of hosted nodes' machines. */
export function nodeMover(deps: {
  database: Database;
  nodes: NodeConnections;
  /** Removes a deleting node that holds nothing (the deletion's removal). */
  remove: (record: HostedNodeRecord) => Promise<void>;
  log: Logger;
}): MoveNode {
  const repo = new HostedNodesRepository(deps.database.db);
  const require = async (nodeId: string): Promise<HostedNodeRecord> => {
    const record = await repo.get(nodeId);
    if (!record) throw new Error(`hosted node ${nodeId} vanished`);
    return record;
  };
  return async (nodeId, from, event, options = {}) => {
    const step = await applyStep(hostedNodeMachine, { id: nodeId, state: from }, event, undefined, {
      db: options.tx ?? deps.database.db,
      ...(options.after ? { afterCommit: options.after } : {}),
      log: deps.log,
      refused: (reason) => {
        throw new LspError(ErrorCode.Conflict, reason, { field: 'state', state: from });
      },
      persist: (step, db) =>
        repo.transition(
          nodeId,
          from,
          step.state,
          {
            ...(step.failure ? { failure: step.failure } : {}),
            ...(step.state === 'suspended' ? { suspendedAt: new Date() } : {}),
            ...(from === 'suspended' ? { suspendedAt: null } : {}),
          },
          db,
        ),
      effects: {
        start_process: async () =>
          deps.nodes.ensureRunning(
            await require(nodeId),
            AbortSignal.timeout(options.waitMs ?? START_WAIT_MS),
          ),
        stop_process: async () => {
          await deps.nodes.stopProcess(nodeId, AbortSignal.timeout(options.waitMs ?? STOP_WAIT_MS));
        },
        remove: async () => deps.remove(await require(nodeId)),
      },
    });
    if (!step)
      throw new LspError(ErrorCode.Conflict, `node ${nodeId} changed meanwhile; try again`, {
        field: 'state',
      });
    return step.state;
  };
}
