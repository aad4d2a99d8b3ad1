/**
 * One LND process on regtest, with its backend client.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LightningBackend, NodeInfo, Pubkey } from '@blgv/core';
import { type LndConnectionConfig, lndBackend, lndConnectionFromFiles } from '@blgv/lnd';
import {
  fileWritten,
  freePort,
  lightningBinary,
  lndArgs,
  logTail,
  type ManagedProcess,
  REGTEST_SPEED_ARGS,
  regtestLightningBinary,
  startProcess,
  startWithRetries,
  WaitAbandoned,
  waitFor,
} from '@blgv/node-runner';
import type { Btcd } from './btcd.ts';

/** Options of a node. */
export interface LndNodeOptions {
  /** Hold HTLCs while no interceptor is connected (`--requireinterceptor`). */
  readonly requireInterceptor?: boolean;
  /**
   * Run `lnd-lsps2-client` (lnd with the LSPS2 client hook) instead of stock lnd: a wallet that
   * receives JIT channel payments with the opening fee deducted. Pair it with `runLsps2Client`
   * from `@blgv/lnd` (zero-conf acceptor for the LSP + invoice HTLC modifier).
   */
  readonly lsps2Client?: boolean;
  /**
   * Run the release build of stock lnd (the normal wallet encryption, no lowscrypt tag), as a
   * wallet that runs lnd out of the box does: a few seconds more to create its wallet.
   */
  readonly release?: boolean;
  /**
   * Run a watchtower (`watchtower.active`) listening on a port of its own, as an LSP does for
   * its hosted nodes (`hosting.watchtower`).
   */
  readonly watchtower?: boolean;
  /**
   * Added to lnd's environment: a bench that runs tens of wallet nodes on a few cores sets Go's
   * runtime (`GOMAXPROCS`, `GOGC`) for them, so that the rig spends less of the cores.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** More lnd flags. */
  readonly extraArgs?: readonly string[];
}

/** A running (or stopped) LND node. */
export class LndNode {
  readonly name: string;
  readonly dir: string;
  readonly rpcPort: number;
  readonly p2pPort: number;
  readonly #args: string[];
  readonly #binary: 'lnd' | 'lnd-lsps2-client';
  readonly #release: boolean;
  readonly #env: Readonly<Record<string, string>> | undefined;
  #process: ManagedProcess | undefined;
  #backend: LightningBackend | undefined;
  #pubkey: Pubkey | undefined;

  private constructor(
    name: string,
    dir: string,
    ports: { rpc: number; p2p: number },
    args: string[],
    binary: 'lnd' | 'lnd-lsps2-client',
    release = false,
    env?: Readonly<Record<string, string>>,
  ) {
    this.name = name;
    this.dir = dir;
    this.rpcPort = ports.rpc;
    this.p2pPort = ports.p2p;
    this.#args = args;
    this.#binary = binary;
    this.#release = release;
    this.#env = env;
  }

  /**
   * Starts a node named `name` in `dir` against `btcd` and waits until it is synced. A process
   * that exits while starting is started again on fresh ports in an emptied `dir`
   * (`startWithRetries`); its log's last lines are printed and end the error.
   */
  static async start(name: string, dir: string, btcd: Btcd, options: LndNodeOptions = {}): Promise<LndNode> {
    return startWithRetries(name, dir, async () => {
      mkdirSync(dir, { recursive: true });
      const ports = {
        rpc: await freePort(),
        p2p: await freePort(),
        ...(options.watchtower ? { tower: await freePort() } : {}),
      };
      const binary = options.lsps2Client ? 'lnd-lsps2-client' : 'lnd';
      const args = regtestArgs(name, dir, btcd, ports, options);
      const node = new LndNode(
        name,
        dir,
        ports,
        args,
        binary,
        options.release === true && !options.lsps2Client,
        options.env,
      );
      try {
        await node.start();
        return node;
      } catch (err) {
        // A node that did not come up must not outlive the failed start.
        await node.shutdown();
        throw err;
      }
    });
  }

  /** The node's identity key. */
  get pubkey(): Pubkey {
    if (!this.#pubkey) throw new Error(`${this.name} has not started`);
    return this.#pubkey;
  }

  /** The node's p2p address, `127.0.0.1:port`. */
  get host(): string {
    return `127.0.0.1:${this.p2pPort}`;
  }

  /** The backend client of this node. */
  get lnd(): LightningBackend {
    if (!this.#backend) throw new Error(`${this.name} is not running`);
    return this.#backend;
  }

  /** The OS process id (while running). */
  get pid(): number | undefined {
    return this.#process?.running ? this.#process.pid : undefined;
  }

  /** Files a client needs to connect: gRPC address, TLS cert and admin macaroon. */
  get connection(): LndConnectionConfig {
    return lndConnectionFromFiles(
      `127.0.0.1:${this.rpcPort}`,
      join(this.dir, 'tls.cert'),
      join(this.dir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon'),
    );
  }

  /** Starts the process (again) and waits until it answers and is synced to the chain. */
  async start(): Promise<void> {
    this.#process = startProcess(
      `lnd-${this.name}`,
      this.#release ? lightningBinary('lnd') : regtestLightningBinary(this.#binary),
      this.#args,
      join(this.dir, 'lnd.out.log'),
      this.#env,
    );
    const proc = this.#process;
    const macaroon = join(this.dir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon');
    await waitFor(
      () => {
        if (!proc.running) throw this.#exited();
        return fileWritten(macaroon) && fileWritten(join(this.dir, 'tls.cert'));
      },
      { what: `${this.name}'s macaroon`, timeoutMs: 60_000 },
    );
    this.#backend ??= lndBackend(this.connection);
    const info = await this.waitSynced();
    this.#pubkey = info.pubkey;
  }

  /** Waits until lnd answers and reports itself synced to the chain. */
  waitSynced(minHeight = 0): Promise<NodeInfo> {
    return waitFor(
      async () => {
        if (!this.#process?.running) throw this.#exited();
        const info = await this.lnd.getInfo(AbortSignal.timeout(5_000));
        return info.syncedToChain && info.blockHeight >= minHeight ? info : undefined;
      },
      { what: `${this.name} synced to height ${minHeight}`, timeoutMs: 90_000 },
    );
  }

  #exited(): WaitAbandoned {
    const log = join(this.dir, 'lnd.out.log');
    return new WaitAbandoned(`lnd ${this.name} is not running; last lines of ${log}:\n${logTail(log)}`);
  }

  /** Stops the process (the backend client stays and reconnects after {@link start}). */
  async stop(): Promise<void> {
    await this.#process?.stop();
  }

  /** Stops and starts the process, keeping ports and data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the process and closes the client. */
  async shutdown(): Promise<void> {
    await this.stop();
    this.#backend?.close();
    this.#backend = undefined;
  }
}

function regtestArgs(
  name: string,
  dir: string,
  btcd: Btcd,
  ports: { rpc: number; p2p: number; tower?: number },
  options: LndNodeOptions,
): string[] {
  return lndArgs({
    dir,
    alias: name,
    chain: btcd.chain,
    rpcPort: ports.rpc,
    p2pPort: ports.p2p,
    announceHost: '127.0.0.1',
    extra: [
      '--noseedbackup',
      '--debuglevel=info',
      '--protocol.zero-conf',
      '--protocol.option-scid-alias',
      '--accept-keysend',
      '--maxpendingchannels=50',
      ...REGTEST_SPEED_ARGS,
      ...(options.requireInterceptor ? ['--requireinterceptor'] : []),
      ...(ports.tower ? ['--watchtower.active', `--watchtower.listen=127.0.0.1:${ports.tower}`] : []),
      ...(options.extraArgs ?? []),
    ],
  });
}
