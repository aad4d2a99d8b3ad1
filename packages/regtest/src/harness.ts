/**
 * A regtest Lightning network in a temp dir: one btcd, any number of named LND nodes, a miner
 * wallet, and the verbs tests and `npm start` use (`newNode`, `fund`, `openChannel`, `mine`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Channel,
  type ChannelPoint,
  formatChannelPoint,
  type Msat,
  msat,
  type Sat,
  type Scid,
  sat,
} from '@blgv/core';
import { onShutdown, WaitAbandoned, type WaitOptions, waitFor } from '@blgv/node-runner';
import { type Btcd, startBtcd } from './btcd.ts';
import { FeeServer } from './fee-server.ts';
import { LndNode, type LndNodeOptions } from './lnd-node.ts';
import { Miner } from './miner.ts';

/** Blocks mined at start: segwit (a BIP9 deployment on btcd regtest) is active from 432. */
const SEGWIT_ACTIVATION_BLOCKS = 432;
/** Confirmations for a channel to be announced and usable in others' path finding. */
const ANNOUNCE_CONFS = 6;
/** Amount of the probe payment that checks a new channel can carry payments. */
const PROBE_MSAT = 1_000_000n;
/** The fee rate every node estimates until a story changes it (sat/vB). */
const DEFAULT_FEE_RATE = 2;

/** Options of {@link Harness.start}. */
export interface HarnessOptions {
  /** Keep the temp dir (logs, data) after stop. Also `BLGV_KEEP_REGTEST=1`. */
  readonly keepDir?: boolean;
  /** Progress lines (default: silent). */
  readonly log?: (line: string) => void;
  /** Added to btcd's environment (see `LndNodeOptions.env`). */
  readonly btcdEnv?: Readonly<Record<string, string>>;
  /**
   * A directory backed by memory (a tmpfs such as `/dev/shm`). When set, btcd's data and that of
   * the nodes started with {@link NewNodeOptions.inMemory} go in a temp dir under it, not on
   * disk: for a bench's rig, the nodes that stand for other machines, whose disk writes would
   * otherwise load the disk of the node being measured. Removed at stop as the temp dir is.
   */
  readonly memoryDir?: string;
}

/** Options of {@link Harness.newNode}. */
export interface NewNodeOptions extends LndNodeOptions {
  /** The node's data in the harness's memory directory ({@link HarnessOptions.memoryDir}), when it has one. */
  readonly inMemory?: boolean;
}

/** Options of {@link Harness.openChannel}. */
export interface OpenOptions {
  readonly push?: Sat;
  readonly private?: boolean;
  /** Zero-conf with scid alias; the receiver must accept it with a channel acceptor. */
  readonly zeroConf?: boolean;
}

/** A regtest network and the verbs to drive it. */
export class Harness implements AsyncDisposable {
  readonly dir: string;
  /** The temp dir in memory for btcd and the `inMemory` nodes ({@link HarnessOptions.memoryDir}). */
  readonly memoryDir: string | undefined;
  readonly btcd: Btcd;
  readonly miner: Miner;
  /** The fee estimates the nodes use: `fees.set(n)` makes every node estimate n sat/vB. */
  readonly fees: FeeServer;
  readonly nodes = new Map<string, LndNode>();
  /** Node starts under way: `stop()` waits for them, so no node comes up after it. */
  readonly #starting = new Set<Promise<unknown>>();
  readonly #keepDir: boolean;
  readonly #log: (line: string) => void;
  readonly #unregister: () => void;
  #stopped = false;

  private constructor(
    dirs: { dir: string; memoryDir: string | undefined },
    btcd: Btcd,
    miner: Miner,
    fees: FeeServer,
    options: HarnessOptions,
  ) {
    this.dir = dirs.dir;
    this.memoryDir = dirs.memoryDir;
    this.btcd = btcd;
    this.miner = miner;
    this.fees = fees;
    this.#keepDir = options.keepDir ?? process.env.BLGV_KEEP_REGTEST === '1';
    this.#log = options.log ?? (() => {});
    this.#unregister = onShutdown(() => this.stop());
  }

  /** Starts btcd and mines until segwit is active and coinbases have matured. */
  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const log = options.log ?? (() => {});
    const dir = mkdtempSync(join(tmpdir(), 'blgv-regtest-'));
    const memoryDir = options.memoryDir ? mkdtempSync(join(options.memoryDir, 'blgv-regtest-')) : undefined;
    const miner = new Miner();
    const btcdDir = join(memoryDir ?? dir, 'btcd');
    log(`starting btcd (regtest) in ${btcdDir}`);
    const btcd = await startBtcd(btcdDir, miner.address, options.btcdEnv);
    miner.attach(btcd);
    const fees = await FeeServer.start(DEFAULT_FEE_RATE);
    const h = new Harness({ dir, memoryDir }, btcd, miner, fees, options);
    try {
      log(`mining ${SEGWIT_ACTIVATION_BLOCKS} blocks to activate segwit`);
      await miner.mine(SEGWIT_ACTIVATION_BLOCKS);
      const info = await btcd.rpc<{ bip9_softforks?: Record<string, { status: string }> }>(
        'getblockchaininfo',
      );
      const segwit = info.bip9_softforks?.segwit?.status;
      if (segwit !== 'active') throw new Error(`segwit is ${segwit ?? 'unknown'} after mining`);
    } catch (err) {
      await h.stop();
      throw err;
    }
    return h;
  }

  /** Starts an LND node named `name` and waits until it is synced. */
  async newNode(name: string, options: NewNodeOptions = {}): Promise<LndNode> {
    if (this.nodes.has(name)) throw new Error(`node ${name} exists`);
    if (this.#stopped) throw new Error(`the harness is stopped; cannot start ${name}`);
    this.#log(`starting lnd node ${name}`);
    const starting = (async () => {
      const root = (options.inMemory && this.memoryDir) || this.dir;
      const node = await LndNode.start(name, join(root, name), this.btcd, {
        ...options,
        extraArgs: [`--fee.url=${this.fees.url}`, ...(options.extraArgs ?? [])],
      });
      this.nodes.set(name, node);
      return node;
    })();
    this.#starting.add(starting);
    try {
      return await starting;
    } finally {
      this.#starting.delete(starting);
    }
  }

  /** Mines `n` blocks and waits until every running node has seen them. */
  async mine(n = 1): Promise<number> {
    const height = await this.miner.mine(n);
    await Promise.all(
      [...this.nodes.values()]
        .filter((node) => node.pid !== undefined)
        .map((node) => node.waitSynced(height)),
    );
    return height;
  }

  /**
   * A simulated chain: mines a block whenever btcd's mempool holds a transaction, until
   * `signal` aborts, so on-chain payments and channel opens confirm as soon as they are
   * published. Resolves once aborted.
   */
  async mineWhilePending(signal: AbortSignal, options: { readonly intervalMs?: number } = {}): Promise<void> {
    const interval = options.intervalMs ?? 200;
    while (!signal.aborted) {
      const pool = await this.btcd.rpc<string[]>('getrawmempool').catch(() => []);
      if (pool.length > 0 && !signal.aborted) {
        await this.mine(1).catch((err: unknown) => this.#log(`auto-mine: ${String(err)}`));
        continue;
      }
      // Poll interval of the mempool watch.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /** Pays each node's wallet (one confirmed output per entry) and waits until they see it. */
  async fund(...grants: readonly (readonly [LndNode, Sat])[]): Promise<void> {
    const signal = AbortSignal.timeout(30_000);
    const before = await Promise.all(grants.map(([n]) => n.lnd.walletBalance(signal)));
    const outputs = new Map<string, bigint>();
    for (const [node, amount] of grants) outputs.set(await node.lnd.newAddress(signal), amount);
    await this.miner.pay(outputs);
    await this.mine(1);
    await Promise.all(
      grants.map(([node, amount], i) =>
        this.waitFor(
          async () => {
            const b = await node.lnd.walletBalance(AbortSignal.timeout(5_000));
            return b.confirmed >= (before[i]?.confirmed ?? 0n) + amount;
          },
          { what: `${node.name}'s wallet to show ${amount} sat more` },
        ),
      ),
    );
  }

  /** Connects `a` to `b` as peers. */
  async connect(a: LndNode, b: LndNode): Promise<void> {
    await a.lnd.connectPeer(b.pubkey, b.host, AbortSignal.timeout(20_000));
    await this.waitFor(
      async () => (await b.lnd.listPeers(AbortSignal.timeout(5_000))).some((p) => p.pubkey === a.pubkey),
      { what: `${b.name} to see ${a.name} as a peer` },
    );
  }

  /**
   * Opens a channel from `a` to `b` and returns it once both sides see it active. Normal
   * channels are mined to announcement depth; zero-conf ones are usable before any block.
   */
  async openChannel(a: LndNode, b: LndNode, amount: Sat, options: OpenOptions = {}): Promise<Channel> {
    await this.connect(a, b);
    // LND refuses to open while its wallet catches up with a block just mined ("channels cannot
    // be created before the wallet is fully synced"): asked again until it has.
    const { channelPoint } = await this.waitFor(
      () =>
        a.lnd
          .openChannel(
            {
              remotePubkey: b.pubkey,
              localAmount: amount,
              pushAmount: options.push ?? sat(0),
              private: options.private ?? options.zeroConf ?? false,
              zeroConf: options.zeroConf ?? false,
              scidAlias: options.zeroConf ?? false,
            },
            AbortSignal.timeout(30_000),
          )
          .catch((err: unknown) => {
            if (/fully synced/.test(String(err))) return undefined;
            // Anything else is not asked again: the open may have gone through.
            throw new WaitAbandoned(`opening a channel from ${a.name} to ${b.name}: ${String(err)}`, {
              cause: err,
            });
          }),
      { what: `${a.name}'s wallet synced to open a channel to ${b.name}`, intervalMs: 250 },
    );
    if (!options.zeroConf) await this.mine(ANNOUNCE_CONFS);
    await this.waitChannelActive(b, channelPoint);
    const channel = await this.waitChannelActive(a, channelPoint);
    await this.waitCanPay(a, b);
    return channel;
  }

  /**
   * Waits until `a` can pay `b` directly. LND lists a channel as active a moment before its
   * link forwards; the probe pays an invoice `b` has cancelled, so it reaches `b` and fails
   * there, proving the route while moving no money.
   */
  async waitCanPay(a: LndNode, b: LndNode): Promise<void> {
    const probe = await b.lnd.addInvoice(
      { amount: msat(PROBE_MSAT), memo: 'harness probe' },
      AbortSignal.timeout(10_000),
    );
    await b.lnd.cancelInvoice(probe.paymentHash, AbortSignal.timeout(10_000));
    await this.waitFor(
      async () => {
        const r = await a.lnd.sendPayment(
          { paymentRequest: probe.paymentRequest, feeLimit: msat(0), timeoutSeconds: 10 },
          AbortSignal.timeout(20_000),
        );
        return r.status === 'failed' && r.reason === 'incorrect_payment_details';
      },
      { what: `${a.name} to be able to pay ${b.name}`, intervalMs: 200 },
    );
  }

  /**
   * Waits until `payer` can send `amount` to `to` over the channel `first` (a probe reaches `to`
   * and fails there): LND lists a new channel active a moment before its path finding uses it.
   */
  async waitCanSend(payer: LndNode, to: LndNode, first: Scid, amount: Msat): Promise<void> {
    await this.waitFor(
      async () => {
        const r = await payer.lnd.probe(
          { destination: to.pubkey, amount, outgoingScid: first, timeoutSeconds: 10 },
          AbortSignal.timeout(30_000),
        );
        return r.status === 'failed' && r.reason === 'incorrect_payment_details';
      },
      { what: `${payer.name} to be able to send ${amount} msat over ${first}`, intervalMs: 200 },
    );
  }

  /** Waits until `node` lists the channel at `point` as active and returns it. */
  waitChannelActive(node: LndNode, point: ChannelPoint): Promise<Channel> {
    const id = formatChannelPoint(point);
    return this.waitFor(
      async () =>
        (await node.lnd.listChannels(AbortSignal.timeout(5_000))).find(
          (c) => c.active && formatChannelPoint(c.channelPoint) === id,
        ),
      // Channel reestablishment after the blocks can take long on a loaded machine (CI runs three
      // stories at once on two cores): twice the default wait.
      { what: `${node.name} to see channel ${id} active`, timeoutMs: 120_000 },
    );
  }

  /** Polls a condition against a deadline (see {@link waitFor}). */
  waitFor<T>(
    check: () => Promise<T | undefined | false> | T | undefined | false,
    options: WaitOptions,
  ): Promise<T> {
    return waitFor(check, options);
  }

  /** Stops every node and btcd, and removes the temp dirs unless asked to keep them. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unregister();
    await Promise.allSettled(this.#starting);
    await Promise.allSettled([...this.nodes.values()].map((n) => n.shutdown()));
    await this.btcd.stop();
    await this.fees.stop();
    const dirs = [this.dir, ...(this.memoryDir ? [this.memoryDir] : [])];
    if (this.#keepDir) this.#log(`regtest data kept in ${dirs.join(' and ')}`);
    else for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
