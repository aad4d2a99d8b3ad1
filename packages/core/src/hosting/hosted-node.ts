/**
 * A hosted Lightning node: an isolated LND that the LSP runs for one tenant (the spec's
 * `HostedNodeConfig` -> `HostedNode`), and its life as a state machine (the shape of every
 * machine: see `machine.ts`).
 *
 * ```
 * creating --created--> running --stop--> stopped --start--> running
 *    |                    |  ^---resumed--- suspended <--suspended--+ (unpaid month, past the grace)
 *    +--create_failed--> failed
 * running | stopped | suspended --delete--> deleting --destroyed--> deleted
 * ```
 *
 * `running` is what the tenant asked for; whether the process answers right now is the keeper's
 * business (it restarts a dead one and unlocks it), not a state of the machine.
 *
 * A `suspended` node (its hosting unpaid) keeps running: the LSP refuses its tenant (the REST
 * endpoint answers 503, it cannot be stopped or started), but the node stays online to guard its
 * coins: an HTLC in flight is claimed or failed back before its time-out, and a peer that
 * publishes a revoked commitment is punished. A stopped node that is suspended is started for
 * the same reason. Only the tenant's own `stop` takes a node offline.
 *
 * Effects (performed by the server right after the step is written, each through one method
 * the keeper's reconcile loop also calls, so a step cut short by a restart is finished there):
 * `start_process` and `stop_process` start or stop the node's process now; `remove` archives
 * and destroys a node being deleted that holds nothing, then records `destroyed`. A node whose
 * creation failed, and one `destroyed`, were destroyed before their step was written: the step
 * records it and calls for nothing more.
 */
import { type Machine, type Moved, moved, refuse, type Step, states } from '../machine.ts';
import type { Sat } from '../money.ts';

/**
 * Protocol features a hosted node turns on (each an LND option). Unknown names are refused.
 * - `keysend`: accept spontaneous (keysend) payments;
 * - `amp`: accept AMP payments;
 * - `wumbo`: channels above 0.16777215 BTC;
 * - `zeroConf`: zero-conf channels (needs `scidAlias`, turned on with it);
 * - `scidAlias`: the option-scid-alias channel type.
 */
export interface NodeFeatures {
  readonly keysend: boolean;
  readonly amp: boolean;
  readonly wumbo: boolean;
  readonly zeroConf: boolean;
  readonly scidAlias: boolean;
}

/** The names of {@link NodeFeatures}. */
export const NODE_FEATURE_NAMES = ['keysend', 'amp', 'wumbo', 'zeroConf', 'scidAlias'] as const;

/** An initial channel: inbound liquidity from the LSP node to the hosted node, sold like a channel. */
export interface ChannelConfig {
  /** Channel size in sat (the LSP funds it). */
  readonly capacity: Sat;
  /** Sat the LSP pushes to the hosted node's side (charged sat for sat). */
  readonly pushAmount: Sat;
  /** Keep the channel out of the public graph. */
  readonly isPrivate: boolean;
}

/** LND's own autopilot, with the LSP as the preferred peer. */
export interface AutopilotConfig {
  readonly enabled: boolean;
  /** Most channels autopilot keeps open. */
  readonly maxChannels: number;
  /** Share of the wallet's funds autopilot may put into channels, in percent (1..100). */
  readonly allocationPercent: number;
  readonly minChannelSize: Sat;
  readonly maxChannelSize: Sat;
}

/** What a tenant asks for (the spec's `HostedNodeConfig`), parsed. */
export interface HostedNodeConfig {
  /** At most 32 bytes of UTF-8. */
  readonly alias: string;
  /** `#rrggbb`. */
  readonly color: string;
  readonly features: NodeFeatures;
  readonly channels: readonly ChannelConfig[];
  readonly autopilot: AutopilotConfig;
}

/** Where a hosted node is. Final: `failed`, `deleted`. */
export type HostedNodeState =
  | 'creating'
  | 'running'
  | 'stopped'
  | 'suspended'
  | 'deleting'
  | 'deleted'
  | 'failed';

/** What happens to a hosted node. */
export type HostedNodeEvent =
  | { readonly type: 'created' }
  | { readonly type: 'create_failed'; readonly reason: string }
  | { readonly type: 'stop' }
  | { readonly type: 'start' }
  | { readonly type: 'suspended' }
  | { readonly type: 'resumed' }
  /** `holdsNothing`: what the node holds was looked at just before, and it was nothing. */
  | { readonly type: 'delete'; readonly holdsNothing?: boolean }
  | { readonly type: 'destroyed' };

/**
 * What the service does after persisting a transition: start or stop the node's process, or
 * remove a deleting node that holds nothing (archive its data, destroy it, record `destroyed`).
 */
export type HostedNodeEffect =
  | { readonly type: 'start_process' }
  | { readonly type: 'stop_process' }
  | { readonly type: 'remove' };

/** What a transition records. */
export interface HostedNodeFacts {
  readonly failure?: string;
}

/** Final states. */
export const FINAL_HOSTED_NODE_STATES: readonly HostedNodeState[] = ['failed', 'deleted'];

/** States in which the node's process should be running: a suspended node guards its coins. */
export function shouldRun(state: HostedNodeState): boolean {
  return state === 'running' || state === 'suspended';
}

/** The transition function. */
export function nextHostedNodeState(
  state: HostedNodeState,
  event: HostedNodeEvent,
): Step<HostedNodeState, HostedNodeEffect, HostedNodeFacts> {
  const go = (
    to: HostedNodeState,
    effects: HostedNodeEffect[] = [],
    record: HostedNodeFacts = {},
  ): Moved<HostedNodeState, HostedNodeEffect, HostedNodeFacts> => moved(to, effects, record);
  switch (event.type) {
    case 'created':
      return state === 'creating' ? go('running') : refuse(state, event.type);
    case 'create_failed':
      return state === 'creating' ? go('failed', [], { failure: event.reason }) : refuse(state, event.type);
    case 'stop':
      return state === 'running'
        ? go('stopped', [{ type: 'stop_process' }])
        : refuse(state, event.type, `a ${state} node cannot be stopped`);
    case 'start':
      if (state === 'suspended')
        return refuse(state, event.type, 'the node is suspended until its hosting is paid');
      return state === 'stopped'
        ? go('running', [{ type: 'start_process' }])
        : refuse(state, event.type, `a ${state} node cannot be started`);
    case 'suspended':
      // Kept online (started, if its tenant had stopped it): see the module's comment.
      if (state === 'running') return go('suspended');
      return state === 'stopped' ? go('suspended', [{ type: 'start_process' }]) : refuse(state, event.type);
    case 'resumed':
      return state === 'suspended' ? go('running', [{ type: 'start_process' }]) : refuse(state, event.type);
    case 'delete':
      return state === 'running' || state === 'stopped' || state === 'suspended'
        ? go('deleting', event.holdsNothing ? [{ type: 'remove' }] : [])
        : refuse(state, event.type, `a ${state} node cannot be deleted`);
    case 'destroyed':
      return state === 'deleting' ? go('deleted') : refuse(state, event.type);
  }
}

/** The hosted node machine, as data. */
export const hostedNodeMachine: Machine<HostedNodeState, HostedNodeEvent, HostedNodeEffect, HostedNodeFacts> =
  {
    name: 'hosted_node',
    states: states<HostedNodeState>({
      creating: true,
      running: true,
      stopped: true,
      suspended: true,
      deleting: true,
      deleted: true,
      failed: true,
    }),
    final: FINAL_HOSTED_NODE_STATES,
    next: (state, event) => nextHostedNodeState(state, event),
  };
