/**
 * The port through which the LSP runs hosted nodes: a driver (local processes, Kubernetes)
 * creates, starts, stops and destroys isolated Lightning nodes and says how they are doing. No
 * process, container or LND type crosses it; wallets and channels are the service's business,
 * through {@link NodeWallets} and the node's own `LightningBackend`.
 */
import type { NodeFeatures } from './hosted-node.ts';

/** What a driver needs to create one node. */
export interface NodeSpec {
  /** The LSP's id of the node (also its directory, pod or volume name). */
  readonly nodeId: string;
  readonly alias: string;
  /** `#rrggbb`. */
  readonly color: string;
  readonly features: NodeFeatures;
  /** LND autopilot options, when it is on. */
  readonly autopilot?: {
    readonly maxChannels: number;
    readonly allocationPercent: number;
    readonly minChannelSize: bigint;
    readonly maxChannelSize: bigint;
  };
}

/** How a node is reached. */
export interface NodeEndpoints {
  /** gRPC `host:port` the LSP dials. */
  readonly rpcAddress: string;
  /** gRPC `host:port` a customer dials (the public host). */
  readonly publicRpcAddress: string;
  /** REST `host:port` the LSP's reverse proxy dials. */
  readonly restAddress: string;
  /** Lightning p2p `host:port`. */
  readonly p2pAddress: string;
  /** PEM of the node's TLS certificate (stable across restarts). */
  readonly tlsCert: string;
}

/**
 * Whether a node's process (pod) is up (`running`: its RPC answers), down (`stopped`: kept, not
 * running), or gone (`missing`); a driver that schedules nodes elsewhere also says `pending`
 * (asked to run, not running yet: no pod, scheduling, pulling its image, lnd starting) and
 * `failed` (its process cannot start: crashing, image not found).
 */
export type NodeRunStatus = 'running' | 'stopped' | 'missing' | 'pending' | 'failed';

/** A driver of hosted nodes. Every call takes an `AbortSignal`. */
export interface NodeOrchestrator {
  /** `local`, `kubernetes`, ... for logs and docs. */
  readonly driver: string;
  /** Creates the node's resources, starts it and waits until its RPC answers (wallet not yet created). */
  create(spec: NodeSpec, signal: AbortSignal): Promise<NodeEndpoints>;
  /** Starts a stopped node (no-op when running); waits until its RPC answers. */
  start(nodeId: string, signal: AbortSignal): Promise<void>;
  /** Stops a node, keeping its data (no-op when stopped). */
  stop(nodeId: string, signal: AbortSignal): Promise<void>;
  /**
   * The node's data (its LND directory and the driver's own record of it, logs left out) as a
   * gzipped tar stream, for the LSP to archive before {@link destroy}. The node is stopped first.
   */
  exportData(nodeId: string, signal: AbortSignal): AsyncIterable<Uint8Array>;
  /** Stops a node and deletes its data (no-op when missing). */
  destroy(nodeId: string, signal: AbortSignal): Promise<void>;
  status(nodeId: string, signal: AbortSignal): Promise<NodeRunStatus>;
  /** How to reach a node the driver knows (after a restart too); `undefined` when missing. */
  endpoints(nodeId: string, signal: AbortSignal): Promise<NodeEndpoints | undefined>;
  /**
   * The wallet password of a driver whose nodes unlock themselves at each start (Kubernetes:
   * lnd's `wallet-unlock-password-file` from the node's Secret): the LSP creates the node's
   * wallet with it. Drivers without it leave the LSP to pick a random one.
   */
  walletPassword?(nodeId: string, signal: AbortSignal): Promise<Uint8Array | undefined>;
  /**
   * Deletes what {@link destroy} kept of deleted nodes for the retention period (Kubernetes:
   * their volumes) once that period has ended; answers how many nodes' remains were deleted.
   */
  purgeRetained?(now?: Date): Promise<number>;
  /** Releases what the driver holds (not the nodes: they outlive the server unless told). */
  close(): Promise<void>;
}
