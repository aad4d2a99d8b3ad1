/**
 * The command line of one lnd process: the flags every node we run shares (chain backend, data
 * directory, listeners), used by the regtest harness and the hosting drivers alike.
 */

/** The chain backend an lnd uses: btcd (regtest, tests) or bitcoind (production). */
export type ChainBackend =
  | {
      readonly kind: 'btcd';
      readonly network: 'regtest' | 'testnet' | 'signet' | 'mainnet';
      readonly rpcHost: string;
      readonly rpcUser: string;
      readonly rpcPass: string;
      /** btcd's RPC certificate file. */
      readonly rpcCertPath: string;
    }
  | {
      readonly kind: 'bitcoind';
      readonly network: 'regtest' | 'testnet' | 'signet' | 'mainnet';
      readonly rpcHost: string;
      readonly rpcUser: string;
      readonly rpcPass: string;
      /** `tcp://host:port` of bitcoind's `zmqpubrawblock` and `zmqpubrawtx`. */
      readonly zmqPubRawBlock: string;
      readonly zmqPubRawTx: string;
    };

/** Flags that make lnd fast on regtest (as lnd's own integration tests use). */
export const REGTEST_SPEED_ARGS: readonly string[] = [
  '--bitcoin.defaultchanconfs=1',
  '--bitcoin.defaultremotedelay=4',
  '--trickledelay=50',
  '--gossip.sub-batch-delay=5ms',
  '--db.batch-commit-interval=10ms',
  '--caches.rpc-graph-cache-duration=100ms',
];

/** What {@link lndArgs} needs. */
export interface LndLaunch {
  /** `--lnddir`: the node's whole state. */
  readonly dir: string;
  readonly alias: string;
  /** `#rrggbb`. */
  readonly color?: string;
  readonly chain: ChainBackend;
  /** Host the listeners bind (default 127.0.0.1). */
  readonly listenHost?: string;
  readonly rpcPort: number;
  readonly p2pPort: number;
  /** The REST port; no REST listener when absent. */
  readonly restPort?: number;
  /**
   * Host announced to the network with the p2p port (`--externalip`), so that other nodes (and
   * their autopilots) can dial this one from the graph; nothing is announced when absent.
   */
  readonly announceHost?: string;
  /** More flags, appended last. */
  readonly extra?: readonly string[];
}

/** The flags of an lnd process described by `launch`. */
export function lndArgs(launch: LndLaunch): string[] {
  const host = launch.listenHost ?? '127.0.0.1';
  return [
    `--lnddir=${launch.dir}`,
    `--alias=${launch.alias}`,
    ...(launch.color ? [`--color=${launch.color}`] : []),
    ...chainArgs(launch.chain),
    `--rpclisten=${host}:${launch.rpcPort}`,
    `--listen=${host}:${launch.p2pPort}`,
    ...(launch.restPort === undefined ? ['--norest'] : [`--restlisten=${host}:${launch.restPort}`]),
    ...(launch.announceHost ? [`--externalip=${launch.announceHost}:${launch.p2pPort}`] : []),
    '--nobootstrap',
    ...(launch.extra ?? []),
  ];
}

function chainArgs(chain: ChainBackend): string[] {
  const common = [`--bitcoin.${chain.network}`, `--bitcoin.node=${chain.kind}`];
  if (chain.kind === 'btcd') {
    return [
      ...common,
      `--btcd.rpchost=${chain.rpcHost}`,
      `--btcd.rpcuser=${chain.rpcUser}`,
      `--btcd.rpcpass=${chain.rpcPass}`,
      `--btcd.rpccert=${chain.rpcCertPath}`,
    ];
  }
  return [
    ...common,
    `--bitcoind.rpchost=${chain.rpcHost}`,
    `--bitcoind.rpcuser=${chain.rpcUser}`,
    `--bitcoind.rpcpass=${chain.rpcPass}`,
    `--bitcoind.zmqpubrawblock=${chain.zmqPubRawBlock}`,
    `--bitcoind.zmqpubrawtx=${chain.zmqPubRawTx}`,
  ];
}
