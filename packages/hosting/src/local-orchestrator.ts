/**
 * The `local` NodeOrchestrator driver: each hosted node is an lnd process on this machine, with
 * its own directory under `dataDir` (`<nodeId>/node.json` records its spec and ports, so a
 * restarted server finds it; `lnd/` is its lnd directory) and ports from a configured range.
 *
 * With `outliveServer` (production) nodes run detached and keep running while the server
 * restarts; the next server adopts them from their pid files. Without it (the `npm start` demo,
 * tests that want it) they die with the server.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { NodeEndpoints, NodeOrchestrator, NodeRunStatus, NodeSpec } from '@blgv/core';
import {
  adoptDetached,
  fileWritten,
  logTail,
  type ManagedProcess,
  type PortRange,
  startDetached,
  startProcess,
  WaitAbandoned,
  waitFor,
} from '@blgv/node-runner';
import { create as createTar } from 'tar';
import { type HostedLndSettings, type HostedPorts, hostedLndArgs } from './hosted-lnd-args.ts';

/** Options of {@link LocalOrchestrator}. */
export interface LocalOrchestratorOptions extends HostedLndSettings {
  /** One directory per node below this. */
  readonly dataDir: string;
  /** The lnd binary. */
  readonly lndBinary: string;
  readonly ports: PortRange;
  /** Nodes keep running when the server stops (production); otherwise they die with it. */
  readonly outliveServer: boolean;
  /** How long a start may take until the RPC answers (default 60 s). */
  readonly startTimeoutMs?: number;
}

/**
 * The prefix of a removed node's directory while its files are deleted (no node id has a dot):
 * the directory is moved aside in one step first, so a crash part-way never leaves a node with
 * its record (`node.json`) and only part of its files, which would read as `stopped` and never
 * as removed. What a crash left aside is deleted when the next orchestrator starts.
 */
const REMOVING_PREFIX = '.removing-';

/** What `node.json` holds. */
interface NodeRecord {
  readonly spec: NodeSpec;
  readonly ports: HostedPorts;
}

/** LND process per node on this machine. */
export class LocalOrchestrator implements NodeOrchestrator {
  readonly driver = 'local';
  readonly #o: LocalOrchestratorOptions;
  readonly #processes = new Map<string, ManagedProcess>();
  /** Serialises port allocation within this process. */
  #allocating: Promise<unknown> = Promise.resolve();

  constructor(options: LocalOrchestratorOptions) {
    this.#o = options;
    mkdirSync(options.dataDir, { recursive: true });
    for (const name of readdirSync(options.dataDir))
      if (name.startsWith(REMOVING_PREFIX))
        rmSync(join(options.dataDir, name), { recursive: true, force: true });
  }

  async create(spec: NodeSpec, signal: AbortSignal): Promise<NodeEndpoints> {
    const record = await this.#reserve(spec);
    await this.#launch(spec.nodeId, record, signal);
    return this.#endpointsOf(spec.nodeId, record);
  }

  async start(nodeId: string, signal: AbortSignal): Promise<void> {
    const record = this.#record(nodeId);
    if (!record) throw new Error(`hosted node ${nodeId} has no data under ${this.#o.dataDir}`);
    if ((await this.status(nodeId, signal)) === 'running') return;
    await this.#launch(nodeId, record, signal);
  }

  async stop(nodeId: string, _signal: AbortSignal): Promise<void> {
    const proc = this.#process(nodeId);
    this.#processes.delete(nodeId);
    await proc?.stop(30_000);
  }

  async *exportData(nodeId: string, signal: AbortSignal): AsyncIterable<Uint8Array> {
    if (!existsSync(join(this.#dir(nodeId), 'node.json')))
      throw new Error(`hosted node ${nodeId} has no data under ${this.#o.dataDir}`);
    await this.stop(nodeId, signal);
    const stream = createTar(
      {
        gzip: true,
        cwd: this.#o.dataDir,
        portable: true,
        // Logs are not the node's: its wallet, channel database, TLS key and record are.
        filter: (path) => !/(^|\/)(logs)(\/|$)|\.log(\.\d+)?(\.gz)?$/.test(path),
      },
      [nodeId],
    );
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal.throwIfAborted();
      yield chunk;
    }
  }

  async destroy(nodeId: string, signal: AbortSignal): Promise<void> {
    await this.stop(nodeId, signal);
    const dir = this.#dir(nodeId);
    if (!existsSync(dir)) return;
    const aside = join(this.#o.dataDir, `${REMOVING_PREFIX}${nodeId}-${Date.now()}`);
    renameSync(dir, aside);
    rmSync(aside, { recursive: true, force: true });
  }

  async status(nodeId: string, _signal: AbortSignal): Promise<NodeRunStatus> {
    if (this.#process(nodeId)) return 'running';
    return existsSync(join(this.#dir(nodeId), 'node.json')) ? 'stopped' : 'missing';
  }

  async endpoints(nodeId: string, _signal: AbortSignal): Promise<NodeEndpoints | undefined> {
    const record = this.#record(nodeId);
    return record && fileWritten(this.#tlsCertPath(nodeId)) ? this.#endpointsOf(nodeId, record) : undefined;
  }

  /** Stops the nodes this process started, unless they are to outlive it. */
  async close(): Promise<void> {
    if (this.#o.outliveServer) return;
    await Promise.all([...this.#processes.values()].map((p) => p.stop(30_000)));
    this.#processes.clear();
  }

  /** The last lines of a node's lnd output (for errors and the operator). */
  logTail(nodeId: string): string {
    return logTail(join(this.#dir(nodeId), 'lnd.out.log'));
  }

  #dir(nodeId: string): string {
    if (!/^[a-z0-9_-]{1,64}$/i.test(nodeId)) throw new Error(`bad node id ${nodeId}`);
    return join(this.#o.dataDir, nodeId);
  }

  #tlsCertPath(nodeId: string): string {
    return join(this.#dir(nodeId), 'lnd', 'tls.cert');
  }

  #record(nodeId: string): NodeRecord | undefined {
    try {
      return JSON.parse(
        readFileSync(join(this.#dir(nodeId), 'node.json'), 'utf8'),
        reviveBigints,
      ) as NodeRecord;
    } catch {
      return undefined;
    }
  }

  /** The live process of a node: one we started, or one an earlier server left running. */
  #process(nodeId: string): ManagedProcess | undefined {
    const known = this.#processes.get(nodeId);
    if (known?.running) return known;
    const adopted = this.#o.outliveServer
      ? adoptDetached(`lnd-${nodeId}`, join(this.#dir(nodeId), 'lnd.pid'), join(this.#dir(nodeId), 'lnd'))
      : undefined;
    if (adopted) this.#processes.set(nodeId, adopted);
    else this.#processes.delete(nodeId);
    return adopted;
  }

  /** Allocates ports and writes `node.json` (one allocation at a time). */
  #reserve(spec: NodeSpec): Promise<NodeRecord> {
    const next = this.#allocating.then(async () => {
      const dir = this.#dir(spec.nodeId);
      if (existsSync(join(dir, 'node.json'))) throw new Error(`hosted node ${spec.nodeId} exists already`);
      const [rpc, rest, p2p] = (await this.#o.ports.take(3, this.#portsInUse())) as [number, number, number];
      const record: NodeRecord = { spec, ports: { rpc, rest, p2p } };
      mkdirSync(join(dir, 'lnd'), { recursive: true });
      writeFileSync(join(dir, 'node.json'), `${JSON.stringify(record, replaceBigints, 2)}\n`);
      return record;
    });
    this.#allocating = next.catch(() => undefined);
    return next;
  }

  #portsInUse(): Set<number> {
    const used = new Set<number>();
    for (const id of readdirSync(this.#o.dataDir)) {
      const record = this.#record(id);
      if (record) for (const p of Object.values(record.ports)) used.add(p);
    }
    return used;
  }

  async #launch(nodeId: string, record: NodeRecord, signal: AbortSignal): Promise<void> {
    const dir = this.#dir(nodeId);
    const args = hostedLndArgs(record.spec, join(dir, 'lnd'), record.ports, this.#o);
    const logFile = join(dir, 'lnd.out.log');
    const proc = this.#o.outliveServer
      ? startDetached(`lnd-${nodeId}`, this.#o.lndBinary, args, { logFile, pidFile: join(dir, 'lnd.pid') })
      : startProcess(`lnd-${nodeId}`, this.#o.lndBinary, args, logFile);
    this.#processes.set(nodeId, proc);
    try {
      await waitFor(
        async () => {
          if (!proc.running)
            throw new WaitAbandoned(`lnd of ${nodeId} exited while starting:\n${logTail(logFile)}`);
          return (
            fileWritten(this.#tlsCertPath(nodeId)) && (await accepts(this.#o.listenHost, record.ports.rpc))
          );
        },
        { what: `hosted node ${nodeId}'s RPC`, timeoutMs: this.#o.startTimeoutMs ?? 60_000, signal },
      );
    } catch (err) {
      this.#processes.delete(nodeId);
      await proc.stop(5_000);
      throw err;
    }
  }

  #endpointsOf(nodeId: string, record: NodeRecord): NodeEndpoints {
    const local = this.#o.listenHost === '0.0.0.0' ? '127.0.0.1' : this.#o.listenHost;
    return {
      rpcAddress: `${local}:${record.ports.rpc}`,
      publicRpcAddress: `${this.#o.publicHost}:${record.ports.rpc}`,
      restAddress: `${local}:${record.ports.rest}`,
      p2pAddress: `${local}:${record.ports.p2p}`,
      tlsCert: readFileSync(this.#tlsCertPath(nodeId), 'utf8'),
    };
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function replaceBigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $bigint: value.toString() } : value;
}

function reviveBigints(_key: string, value: unknown): unknown {
  return value && typeof value === 'object' && '$bigint' in value
    ? BigInt((value as { $bigint: string }).$bigint)
    : value;
}
